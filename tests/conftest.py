"""Shared fixtures: real SQLite files under a temporary ARCHIVE_HOME, and a real PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from application.bootstrap import Services, initialise
from infrastructure.config import Settings

PG_ADMIN_URL = os.environ.get("ARCHIVE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True)


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"archive_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for the backend under test, also exported to the environment for CLI and subprocess tests."""
    home = tmp_path / "home"
    monkeypatch.setenv("ARCHIVE_HOME", str(home))
    monkeypatch.delenv("ARCHIVE_SIGNING_KEY", raising=False)
    monkeypatch.delenv("ARCHIVE_WITNESS_DIR", raising=False)
    if backend == "postgres":
        url = request.getfixturevalue("pg_database_url")
        monkeypatch.setenv("ARCHIVE_DATABASE_URL", url)
    else:
        monkeypatch.delenv("ARCHIVE_DATABASE_URL", raising=False)
    return Settings.from_env()


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    initialise(settings)
    svc = Services(settings)
    try:
        yield svc
    finally:
        svc.close()
