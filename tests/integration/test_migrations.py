"""The read-model schema changes only through Alembic, and its history runs from empty, both ways, on both databases."""

from __future__ import annotations

from alembic.config import Config
from sqlalchemy import inspect

from alembic import command
from application.bootstrap import Services
from infrastructure.migrations import SCRIPT_LOCATION


def run(services: Services, target: str, direction: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    with services.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, target)


def read_model_tables(services: Services) -> set[str]:
    # On PostgreSQL the event store shares the database; its tables are not Alembic's (events are never migrated).
    return {t for t in inspect(services.engine).get_table_names() if not t.startswith("archive_")}


def test_the_migration_history_runs_down_to_empty_and_up_again(services: Services) -> None:
    tables = read_model_tables(services)
    assert {"catalogue", "catalogue_pages", "record_steps", "access_log", "search_log", "ledger_entries"} <= tables
    run(services, "base", "downgrade")
    assert read_model_tables(services) <= {"alembic_version"}
    run(services, "head", "upgrade")
    assert read_model_tables(services) == tables
