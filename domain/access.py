"""Access requests (DESIGN §6): records at 秘密 and above are read only with an approved request, even within
a reader's clearance. The one who asks cannot approve; the grants a user holds live in their own aggregate so
every read can check them with one load."""

from __future__ import annotations

import uuid
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue

_NAMESPACE = uuid.UUID("c0a8d3e1-2b4f-5a6c-8d7e-9f0a1b2c3d4e")


class AccessRequest(Aggregate):
    @classmethod
    def ask(cls, *, requester: str, record_id: str, purpose: str) -> AccessRequest:
        purpose = str(purpose or "").strip()
        if not purpose:
            raise InvalidValue("an access request states its purpose (利用目的)")
        return cls(requester=requester, record_id=record_id, purpose=purpose[:500])

    @event("Requested")
    def __init__(self, requester: str, record_id: str, purpose: str) -> None:
        self.requester, self.record_id, self.purpose = requester, record_id, purpose
        self.status = "pending"

    def decide(self, approve: bool, actor: str, reason: str | None) -> None:
        if self.status != "pending":
            raise DomainError(f"the request was already {self.status}")
        if actor == self.requester:
            raise DomainError("the one who asked for access cannot decide on the request")
        if not approve and not (reason and reason.strip()):
            raise InvalidValue("a refusal gives its reason")
        self._decided(status="approved" if approve else "refused", actor=actor, reason=reason)

    @event("Decided")
    def _decided(self, status: str, actor: str, reason: str | None) -> None:
        self.status = status


class AccessGrants(Aggregate):
    """The records one user may read beyond their open level, by approved request."""

    # record id -> the request that granted it (its purpose goes into the access log). A class default too, so a
    # snapshot taken before it was kept reads as empty rather than failing; the Granted events carry it anyway.
    requests: ClassVar[dict[str, str]] = {}

    @staticmethod
    def create_id(user_id: str) -> UUID:
        return uuid.uuid5(_NAMESPACE, user_id)

    class Opened(Aggregate.Created):
        user_id: str

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.records: list[str] = []
        self.requests: dict[str, str] = {}  # type: ignore[misc]

    def grant(self, record_id: str, request_id: str, actor: str) -> None:
        if record_id not in self.records:
            self._granted(record_id=record_id, request_id=request_id, actor=actor)

    @event("Granted")
    def _granted(self, record_id: str, request_id: str, actor: str) -> None:
        self.records = [*self.records, record_id]
        self.requests = {**self.requests, record_id: request_id}
