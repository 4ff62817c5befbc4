"""Decoding notifications for projections and rebuilds, fast and still checked.

An event whose stored bytes hash to the payload_sha256 of its ledger entry was verified when it was sealed, and the
entry itself is signed: one SHA-256 (~1 µs) then stands in for a second Ed25519 verification (~70 µs). Events the
ledger has not sealed yet, or whose bytes no longer match, go through the full signature check (which raises for
altered bytes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from infrastructure.ledger.tables import ledger_entries


class SealedEventReader:
    def __init__(self, mapper: Any) -> None:
        self.mapper = mapper

    def decode(self, conn: Connection, notes: Sequence[Any]) -> list[Any]:
        """Decode a batch; `conn` is the caller's connection to the database holding the ledger tables."""
        if not notes:
            return []
        rows = conn.execute(
            select(ledger_entries.c.notification_id, ledger_entries.c.payload_sha256).where(
                ledger_entries.c.notification_id.between(notes[0].id, notes[-1].id)
            )
        )
        sealed = {int(nid): digest for nid, digest in rows}
        return [self._one(note, sealed.get(note.id)) for note in notes]

    def _one(self, note: Any, sealed_digest: str | None) -> Any:
        if sealed_digest is not None and hashlib.sha256(note.state).hexdigest() == sealed_digest:
            return self.mapper.decode_sealed(note)
        return self.mapper.to_domain_event(note)
