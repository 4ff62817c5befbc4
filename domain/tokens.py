"""API bearer tokens (DESIGN §6). Only a token's SHA-256 is ever stored; its aggregate id is derived from that hash,
so a presented token is looked up without scanning, and the token itself is shown once, when issued."""

from __future__ import annotations

import uuid
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue

_NAMESPACE = uuid.UUID("3f0c2a91-6d4e-5b7a-9c1d-2e3f4a5b6c7d")


class ApiToken(Aggregate):
    @staticmethod
    def create_id(token_sha256: str) -> UUID:
        return uuid.uuid5(_NAMESPACE, token_sha256)

    @classmethod
    def issue(cls, *, token_sha256: str, user_id: str, label: str, actor: str) -> ApiToken:
        label = str(label or "").strip()[:100]
        if not label:
            raise InvalidValue("a token needs a label saying what it is for")
        return cls(token_sha256=token_sha256, user_id=user_id, label=label, actor=actor)

    @event("Issued")
    def __init__(self, token_sha256: str, user_id: str, label: str, actor: str) -> None:
        self.token_sha256, self.user_id, self.label = token_sha256, user_id, label
        self.revoked = False

    def revoke(self, actor: str, reason: str | None = None) -> None:
        if self.revoked:
            raise DomainError("the token is already revoked")
        self._revoked(actor=actor, reason=reason)

    @event("Revoked")
    def _revoked(self, actor: str, reason: str | None) -> None:
        self.revoked = True
