"""Users: roles (DESIGN §6), clearance, Argon2id password hash (computed by the application's hasher).

三员分立 (GB/T 39784-2021, 分级保护): three administrators who are separate people. The system administrator
(`admin`, 系统管理员) keeps accounts: creates, disables, enables them and resets passwords. The security officer
(安全保密管理员) gives roles and clearance. The security auditor (安全审计员) reviews what both of them did. None of
them sees record content by that role, so an administrator role is held alone: with no other role at all.
"""

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
    ADMIN = "admin"  # the system administrator (accounts); the name stays, events recorded it
    SECURITY_OFFICER = "security_officer"
    SECURITY_AUDITOR = "security_auditor"
    ARCHIVIST = "archivist"
    DIGITISER = "digitiser"
    APPRAISER = "appraiser"
    READER = "reader"
    AUDITOR = "auditor"
    COMPLIANCE = "compliance"


ADMINISTRATORS = frozenset({Role.ADMIN, Role.SECURITY_OFFICER, Role.SECURITY_AUDITOR})


def check_roles(roles: set[Role]) -> None:
    """三员分立: an administrator role is held alone (not two of them, and no work role beside it)."""
    held = roles & ADMINISTRATORS
    if held and len(roles) > 1:
        raise InvalidValue(
            f"the {next(iter(held)).value} role is held alone (三员分立): an administrator has no other role"
        )


class User(Aggregate):
    # A password an administrator set (a new account's or a reset one) is the holder's to replace at the next login.
    # A class default too, for snapshots taken before it was kept.
    must_change_password = False
    @staticmethod
    def create_id(username: str) -> UUID:
        # One id per name, whatever its case: registering a name twice conflicts in the event store.
        return uuid.uuid5(_NAMESPACE, username.strip().lower())

    @classmethod
    def register(
        cls,
        *,
        username: str,
        roles: Sequence[Role],
        clearance: SecurityLevel,
        password_hash: str,
        actor: str,
        temporary_password: bool = False,
    ) -> User:
        """`temporary_password`: an administrator chose the password; the holder replaces it at the first login."""
        username = str(username).strip()
        if not _USERNAME.fullmatch(username):
            raise InvalidValue("a user name has 2-64 letters, digits, '.', '_' or '-'")
        roles = sorted({Role(r).value for r in roles})
        check_roles({Role(r) for r in roles})  # no role yet is an account waiting for the security officer
        return cls(
            username=username,
            roles=roles,
            clearance=int(SecurityLevel(clearance)),
            password_hash=password_hash,
            actor=actor,
            temporary_password=bool(temporary_password),
        )

    class Registered(Aggregate.Created):
        """Version 2 says whether the password is temporary; accounts registered before kept theirs (False)."""

        username: str
        roles: list[str]
        clearance: int
        password_hash: str
        actor: str
        temporary_password: bool
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["temporary_password"] = False

    @event(Registered)
    def __init__(
        self, username: str, roles: list[str], clearance: int, password_hash: str, actor: str, temporary_password: bool
    ) -> None:
        self.username, self.role_names, self.clearance_level = username, list(roles), clearance
        self.password_hash, self.enabled = password_hash, True
        self.must_change_password = temporary_password

    @property
    def roles(self) -> set[Role]:
        return {Role(r) for r in self.role_names}

    @property
    def effective_roles(self) -> set[Role]:
        """The roles that count: an administrator's alone. An account given work roles beside an administrator role
        before 三员分立 was enforced keeps them on record, but they open nothing until the security officer sorts it."""
        held = self.roles & ADMINISTRATORS
        return held or self.roles

    @property
    def clearance(self) -> SecurityLevel:
        return SecurityLevel(self.clearance_level)

    def may_see(self, level: SecurityLevel) -> bool:
        return level <= self.clearance

    def grant_role(self, role: Role, actor: str, reason: str | None = None) -> None:
        if Role(role) in self.roles:
            raise InvalidValue(f"{self.username} already has the role {Role(role).value}")
        check_roles({*self.roles, Role(role)})
        self._role_granted(role=Role(role).value, actor=actor, reason=reason)

    class RoleChange(Aggregate.Event):
        """Version 2 keeps the reason (shown to the security auditor); version 1 events had none."""

        role: str
        actor: str
        reason: str | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["reason"] = None

    class RoleGranted(RoleChange):
        pass

    class RoleRevoked(RoleChange):
        pass

    @event(RoleGranted)
    def _role_granted(self, role: str, actor: str, reason: str | None) -> None:
        self.role_names = sorted({*self.role_names, role})

    def revoke_role(self, role: Role, actor: str, reason: str | None = None) -> None:
        if Role(role) not in self.roles:
            raise InvalidValue(f"{self.username} does not have the role {Role(role).value}")
        if len(self.roles) == 1:  # an account with no role yet waits for its first; one that had roles is disabled
            raise DomainError("a user keeps at least one role; disable the user instead")
        self._role_revoked(role=Role(role).value, actor=actor, reason=reason)

    @event(RoleRevoked)
    def _role_revoked(self, role: str, actor: str, reason: str | None) -> None:
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
        self.must_change_password = False

    def reset_password(self, password_hash: str, actor: str, reason: str | None = None) -> None:
        """An administrator sets a temporary password: the holder must replace it at the next login, so the one who
        set it cannot go on using the account unnoticed (and the security auditor sees the reset)."""
        if actor == str(self.id):
            raise DomainError("change your own password on your account page")
        self._password_reset(password_hash=password_hash, actor=actor, reason=reason)

    @event("PasswordReset")
    def _password_reset(self, password_hash: str, actor: str, reason: str | None) -> None:
        self.password_hash = password_hash
        self.must_change_password = True

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


class FirstSecurityOfficer(Aggregate):
    """三员分立 on a new installation: nobody gives roles yet, so the system administrator may appoint the first
    security officer, once. One aggregate with a fixed id: a second appointment conflicts in the event store."""

    @staticmethod
    def create_id() -> UUID:
        return uuid.uuid5(_NAMESPACE, "the first security officer")

    class Appointed(Aggregate.Created):
        user_id: str
        actor: str

    def __init__(self, user_id: str, actor: str) -> None:
        self.user_id = user_id
