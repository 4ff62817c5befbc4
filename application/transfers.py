"""Reading a department's hand-over (移交) for the transfer page and the API; the commands live on the Archive.

A transfer lists every item it received with the record made of it. A record above the viewer's clearance does not
exist for them (DESIGN §6), so its id is withheld: the item shows as received, which the viewer's own hand-over list
already says, and nothing about the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.archive import Archive
from application.authorisation import Action, Actor
from domain.transfers import Transfer


@dataclass(frozen=True)
class TransferView:
    id: UUID
    department: str
    state: str
    expected: list[str]
    received: dict[str, str | None]  # item -> record id, or None where the record is hidden from the viewer
    missing: list[str]
    complete: bool | None  # known once the receipt is checked

    def as_json(self) -> dict[str, Any]:
        return {
            "transfer_id": str(self.id),
            "department": self.department,
            "state": self.state,
            "expected": list(self.expected),
            "received": dict(self.received),
            "missing": list(self.missing),
            "complete": self.complete,
        }


class Transfers:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def load(self, actor: Actor, transfer_id: UUID) -> TransferView:
        self.archive.authorise(actor, Action.COLLECT)
        transfer = self.archive.load(Transfer, transfer_id)
        received = {item: self._shown(actor, record_id) for item, record_id in transfer.received.items()}
        return TransferView(
            transfer.id,
            transfer.department,
            transfer.state,
            list(transfer.expected),
            received,
            list(transfer.missing),
            getattr(transfer, "complete", None),
        )

    def _shown(self, actor: Actor, record_id: str) -> str | None:
        return record_id if self.archive.visible_record(actor, UUID(record_id)) is not None else None
