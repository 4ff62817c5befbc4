"""Item numbers (件号) per numbering class, without gaps or duplicates (DA/T 22-2015).

The application saves the sequence and the record in one atomic save: two concurrent allocations conflict on the
sequence's version, one is retried, and no number is given twice or skipped. Numbers are never reused.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.archival_code import ArchivalCode, ClassKey

_NAMESPACE = uuid.UUID("2b0c5e1e-8f3a-5d7c-9a41-6c2e8b7d4f10")


class ItemSequence(Aggregate):
    @staticmethod
    def create_id(class_key: str) -> UUID:
        return uuid.uuid5(_NAMESPACE, class_key)

    @classmethod
    def id_for(cls, key: ClassKey) -> UUID:
        return cls.create_id(str(key))

    @classmethod
    def start(cls, key: ClassKey) -> ItemSequence:
        return cls(
            class_key=str(key), fonds=key.fonds, category=key.category, year=key.year, retention=key.retention, org=key.org
        )

    @event("Started")
    def __init__(self, class_key: str, fonds: str, category: str, year: int, retention: str, org: str) -> None:
        # Primitives only: snapshots store the aggregate's attributes as JSON.
        self.class_key = class_key
        self.parts = [fonds, category, year, retention, org]
        self.last = 0

    @property
    def key(self) -> ClassKey:
        fonds, category, year, retention, org = self.parts
        return ClassKey(fonds, category, int(year), retention, org)

    def allocate(self, record_id: UUID, actor: str) -> ArchivalCode:
        self._allocated(record_id=record_id, item=self.last + 1, actor=actor)
        k = self.key
        return ArchivalCode(k.fonds, k.category, k.year, k.retention, k.org, self.last)

    @event("ItemNumberAllocated")
    def _allocated(self, record_id: UUID, item: int, actor: str) -> None:
        self.last = item
