"""Accesses and searches are events too (DESIGN §3), in their own streams: one log per user per day, so that
recording them never makes loading a Record slower and one busy reader does not contend with another."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

_NAMESPACE = uuid.UUID("0f8e7d6c-5b4a-5392-8170-6f5e4d3c2b1a")


class ActivityLog(Aggregate):
    """Append-only: the application writes events at the next version without loading the whole day."""

    @staticmethod
    def create_id(user_id: str, day: str) -> UUID:
        return uuid.uuid5(_NAMESPACE, f"{user_id}/{day}")

    @classmethod
    def id_for(cls, user_id: str, day: date) -> UUID:
        return cls.create_id(user_id, day.isoformat())

    class Opened(Aggregate.Created):
        user_id: str
        day: str

    class Searched(Aggregate.Event):
        actor: str
        group: str
        query: str
        filters: dict[str, Any]
        hits: int
        # The highest security level the hits could include (the searcher's scope): a compliance officer cleared
        # lower is not shown the count (DESIGN §6: not even in counts). Searches stored before it have none.
        ceiling: int | None = None

    class RecordViewed(Aggregate.Event):
        actor: str
        group: str
        record_id: str
        purpose: str | None
        category: str | None

    class RecordDownloaded(Aggregate.Event):
        actor: str
        group: str
        record_id: str
        purpose: str | None
        category: str | None

    class AccessDenied(Aggregate.Event):
        """A refused attempt (DESIGN §6: every denial is an event). `record_id` is kept even when the record is
        above the user's clearance: the log is for compliance officers, never shown to the user."""

        actor: str
        group: str
        action: str
        record_id: str | None
        reason: str

    def __init__(self, user_id: str, day: str) -> None:
        self.user_id, self.day = user_id, day
