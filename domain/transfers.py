"""A transfer (移交): a department's hand-over batch, with the items it should contain and a receipt check."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue


class Transfer(Aggregate):
    @classmethod
    def register(
        cls, *, department: str, expected: Sequence[str], actor: str, reason: str | None = None, transfer_id: UUID | None = None
    ) -> Transfer:
        items = [str(i).strip() for i in expected]
        if not str(department).strip():
            raise InvalidValue("a transfer comes from a department")
        if not items or any(not i for i in items):
            raise InvalidValue("a transfer lists the items it hands over")
        if len(set(items)) != len(items):
            raise InvalidValue("an item is listed twice in the transfer")
        return cls._create(
            cls.Registered,
            id=transfer_id or uuid4(),
            department=str(department).strip(),
            expected=items,
            actor=actor,
            reason=reason,
        )

    @event("Registered")
    def __init__(self, department: str, expected: list[str], actor: str, reason: str | None) -> None:
        self.department, self.expected = department, list(expected)
        self.expected_lookup = {item: n for n, item in enumerate(expected)}  # JSON-friendly, for snapshots
        self.received: dict[str, str] = {}
        self.state = "open"
        self.missing: list[str] = []

    def receive(self, record_id: UUID, item: str, actor: str) -> None:
        if self.state != "open":
            raise DomainError("the receipt of this transfer was already checked; register a new transfer")
        if item not in self.expected_lookup:
            raise InvalidValue(f"item {item!r} is not on the transfer list")
        if item in self.received:
            raise InvalidValue(f"item {item!r} was already received")
        self._received(record_id=record_id, item=item, actor=actor)

    @event("ItemReceived")
    def _received(self, record_id: UUID, item: str, actor: str) -> None:
        self.received[item] = str(record_id)

    def check_receipt(self, actor: str) -> None:
        if self.state != "open":
            raise DomainError("the receipt of this transfer was already checked")
        missing = [i for i in self.expected if i not in self.received]
        self._checked(missing=missing, complete=not missing, actor=actor)

    @event("ReceiptChecked")
    def _checked(self, missing: list[str], complete: bool, actor: str) -> None:
        self.missing, self.complete, self.state = list(missing), complete, "checked"
