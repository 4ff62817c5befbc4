"""Event store plumbing the eventsourcing API does not offer: listing every stored snapshot (for the audit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent


def stored_snapshots(snapshot_store: Any, batch: int = 1000) -> Iterator[StoredEvent]:
    """Every row of the snapshot table, raw (signatures are checked by the caller)."""
    if snapshot_store is None:
        return
    recorder = snapshot_store.recorder
    table = recorder.events_table_name
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT originator_id, originator_version, topic, state FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
    for row in rows:
        values = tuple(row.values()) if isinstance(row, dict) else tuple(row)
        originator_id, version, topic, state = values
        # SQLite keeps ids as hex text; the signature binds the canonical UUID form, as the recorder returns it.
        yield StoredEvent(UUID(str(originator_id)), int(version), topic, bytes(state))
