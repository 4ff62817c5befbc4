"""Test helper: reach past the application into the stored rows, the way an attacker with database access would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from application.bootstrap import Services


@contextmanager
def raw_cursor(services: Services) -> Iterator[Any]:
    """A DB-API cursor on the event store, committed on exit."""
    recorder = services.archive.recorder
    with recorder.datastore.transaction(commit=True) as cursor:
        yield cursor


def tables(services: Services) -> tuple[str, str]:
    events = services.archive.recorder.events_table_name
    snapshots = services.archive.snapshots.recorder.events_table_name
    return events, snapshots


def placeholder(services: Services) -> str:
    return "%s" if services.settings.is_postgres else "?"


def id_column(services: Services) -> str:
    return "notification_id" if services.settings.is_postgres else "rowid"
