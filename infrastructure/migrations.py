"""Apply the Alembic migrations of the read models and ledger tables (`archive init` / `archive migrate`)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

from alembic import command

SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "alembic"


def upgrade(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
