"""Users: roles (DESIGN §6), clearance, Argon2id password hash (computed by the application's hasher)."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue
from domain.values import SecurityLevel

_NAMESPACE = uuid.UUID("9a7c1e55-3b2d-5e4f-8c6a-7d1b2c3e4f50")
_USERNAME = re.compile(r"[A-Za-z0-9._-]{2,64}")


class Role(str, enum.Enum):
    ADMIN = "admin"
    ARCHIVIST = "archivist"
    DIGITISER = "digitiser"
    APPRAISER = "appraiser"
    READER = "reader"
    AUDITOR = "auditor"
    COMPLIANCE = "compliance"


class User(Aggregate):
    @staticmethod
    def create_id(username: str) -> UUID:
        # One id per name, whatever its case: registering a name twice conflicts in the event store.
        return uuid.uuid5(_NAMESPACE, username.strip().lower())

    @classmethod
    def register(cls, *, username: str, roles: Sequence[Role], clearance: SecurityLevel, password_hash: str, actor: str) -> User:
        username = str(username).strip()
        if not _USERNAME.fullmatch(username):
            raise InvalidValue("a user name has 2-64 letters, digits, '.', '_' or '-'")
        roles = sorted({Role(r).value for r in roles})
        if not roles:
            raise InvalidValue("a user needs at least one role")
        return cls(
            username=username, roles=roles, clearance=int(SecurityLevel(clearance)), password_hash=password_hash, actor=actor
        )

    @event("Registered")
    def __init__(self, username: str, roles: list[str], clearance: int, password_hash: str, actor: str) -> None:
        self.username, self.role_names, self.clearance_level = username, list(roles), clearance
        self.password_hash, self.enabled = password_hash, True

    @property
    def roles(self) -> set[Role]:
        return {Role(r) for r in self.role_names}

    @property
    def clearance(self) -> SecurityLevel:
        return SecurityLevel(self.clearance_level)

    def may_see(self, level: SecurityLevel) -> bool:
        return level <= self.clearance

    def grant_role(self, role: Role, actor: str) -> None:
        if Role(role) in self.roles:
            raise InvalidValue(f"{self.username} already has the role {Role(role).value}")
        self._role_granted(role=Role(role).value, actor=actor)

    @event("RoleGranted")
    def _role_granted(self, role: str, actor: str) -> None:
        self.role_names = sorted({*self.role_names, role})

    def revoke_role(self, role: Role, actor: str) -> None:
        if Role(role) not in self.roles:
            raise InvalidValue(f"{self.username} does not have the role {Role(role).value}")
        if len(self.roles) == 1:
            raise DomainError("a user keeps at least one role; disable the user instead")
        self._role_revoked(role=Role(role).value, actor=actor)

    @event("RoleRevoked")
    def _role_revoked(self, role: str, actor: str) -> None:
        self.role_names = [r for r in self.role_names if r != role]

    def change_clearance(self, clearance: SecurityLevel, actor: str, reason: str | None = None) -> None:
        self._clearance_changed(clearance=int(SecurityLevel(clearance)), actor=actor, reason=reason)

    @event("ClearanceChanged")
    def _clearance_changed(self, clearance: int, actor: str, reason: str | None) -> None:
        self.clearance_level = clearance

    def change_password(self, password_hash: str, actor: str) -> None:
        self._password_changed(password_hash=password_hash, actor=actor)

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str, actor: str) -> None:
        self.password_hash = password_hash

    def disable(self, actor: str, reason: str | None) -> None:
        if not self.enabled:
            raise DomainError(f"{self.username} is already disabled")
        self._disabled(actor=actor, reason=reason)

    @event("Disabled")
    def _disabled(self, actor: str, reason: str | None) -> None:
        self.enabled = False

    def enable(self, actor: str) -> None:
        if self.enabled:
            raise DomainError(f"{self.username} is already enabled")
        self._enabled(actor=actor)

    @event("Enabled")
    def _enabled(self, actor: str) -> None:
        self.enabled = True

    # API tokens: the user keeps their ids and labels (for listing); the ApiToken aggregate holds the hash.
    def note_token(self, token_id: str, label: str, actor: str) -> None:
        self._token_noted(token_id=token_id, label=label, actor=actor)

    @event("TokenNoted")
    def _token_noted(self, token_id: str, label: str, actor: str) -> None:
        self.tokens = {**getattr(self, "tokens", {}), token_id: label}

    def forget_token(self, token_id: str, actor: str) -> None:
        if token_id not in getattr(self, "tokens", {}):
            raise DomainError("no such token")
        self._token_forgotten(token_id=token_id, actor=actor)

    @event("TokenForgotten")
    def _token_forgotten(self, token_id: str, actor: str) -> None:
        self.tokens = {k: v for k, v in getattr(self, "tokens", {}).items() if k != token_id}
