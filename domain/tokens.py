"""API bearer tokens (DESIGN §6). Only a token's SHA-256 is ever stored; its aggregate id is derived from that hash,
so a presented token is looked up without scanning, and the token itself is shown once, when issued."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue

_NAMESPACE = uuid.UUID("3f0c2a91-6d4e-5b7a-9c1d-2e3f4a5b6c7d")
DEFAULT_DAYS = 90  # a token lives this long unless its holder chooses otherwise
LONGEST_DAYS = 365


class ApiToken(Aggregate):
    @staticmethod
    def create_id(token_sha256: str) -> UUID:
        return uuid.uuid5(_NAMESPACE, token_sha256)

    @classmethod
    def issue(
        cls, *, token_sha256: str, user_id: str, label: str, actor: str, now: datetime, days: int = DEFAULT_DAYS
    ) -> ApiToken:
        label = str(label or "").strip()[:100]
        if not label:
            raise InvalidValue("a token needs a label saying what it is for")
        if not 1 <= int(days) <= LONGEST_DAYS:
            raise InvalidValue(f"a token lives 1 to {LONGEST_DAYS} days")
        expires = (now + timedelta(days=int(days))).isoformat()
        return cls(token_sha256=token_sha256, user_id=user_id, label=label, actor=actor, expires_at=expires)

    class Issued(Aggregate.Created):
        """Version 2 carries the expiry. Tokens issued before had none: they expire DEFAULT_DAYS after issue."""

        token_sha256: str
        user_id: str
        label: str
        actor: str
        expires_at: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            issued = state["timestamp"]
            issued = issued if isinstance(issued, datetime) else datetime.fromisoformat(str(issued))
            state["expires_at"] = (issued + timedelta(days=DEFAULT_DAYS)).isoformat()

    @event(Issued)
    def __init__(self, token_sha256: str, user_id: str, label: str, actor: str, expires_at: str) -> None:
        self.token_sha256, self.user_id, self.label, self.expires_at = token_sha256, user_id, label, expires_at
        self.revoked = False

    def expired(self, now: datetime) -> bool:
        return now >= datetime.fromisoformat(self.expires_at)

    def revoke(self, actor: str, reason: str | None = None) -> None:
        if self.revoked:
            raise DomainError("the token is already revoked")
        self._revoked(actor=actor, reason=reason)

    @event("Revoked")
    def _revoked(self, actor: str, reason: str | None) -> None:
        self.revoked = True
