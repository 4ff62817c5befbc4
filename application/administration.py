"""User administration under 三员分立 (GB/T 39784-2021; DESIGN §6): one named command per change to an account.

- The system administrator keeps accounts: creates them (Archive.register_user), disables and enables them, resets a
  password (a temporary one, replaced by its holder at the next login).
- The security officer gives and takes roles and sets clearance.
- The security auditor reviews what both did (the administration log, a projection of the User events).
Nobody changes their own roles, clearance or standing; every refusal is recorded like any other (Archive.deny).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

from application.archive import Archive, NotFound
from application.authorisation import Action, Actor
from application.ports import Sessions
from domain.tokens import ApiToken
from domain.users import User
from domain.values import SecurityLevel

USERS_PAGE = 50


class AdministrationLog(Protocol):
    def page(self, offset: int, limit: int, actor_id: str | None = None) -> tuple[int, list[dict[str, Any]]]: ...


class UserDirectory(Protocol):
    def page(self, text: str, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]: ...


class Administration:
    def __init__(self, archive: Archive, log: AdministrationLog, directory: UserDirectory, sessions: Sessions) -> None:
        self.archive = archive
        self.log = log
        self.directory = directory
        self.sessions = sessions

    # -- the security officer: roles and clearance -------------------------------------------------------------

    def grant_role(self, actor: Actor, username: str, role: str, reason: str | None = None) -> None:
        self._change(actor, Action.ASSIGN_ROLES, username, lambda user: user.grant_role(role, actor=actor.id, reason=reason))

    def revoke_role(self, actor: Actor, username: str, role: str, reason: str | None = None) -> None:
        self._change(actor, Action.ASSIGN_ROLES, username, lambda user: user.revoke_role(role, actor=actor.id, reason=reason))

    def change_clearance(self, actor: Actor, username: str, clearance: SecurityLevel, reason: str | None = None) -> None:
        self._change(
            actor, Action.ASSIGN_ROLES, username, lambda user: user.change_clearance(clearance, actor=actor.id, reason=reason)
        )

    # -- the system administrator: accounts --------------------------------------------------------------------

    def disable(self, actor: Actor, username: str, reason: str | None = None) -> None:
        """The account stops at once, everywhere, for good: its sessions end and its tokens are revoked, so enabling
        it again later revives neither (its holder logs in anew and issues new tokens)."""
        self._change(actor, Action.MANAGE_USERS, username, lambda user: user.disable(actor=actor.id, reason=reason), ends=True)

    def enable(self, actor: Actor, username: str) -> None:
        self._change(actor, Action.MANAGE_USERS, username, lambda user: user.enable(actor=actor.id))

    def reset_password(self, actor: Actor, username: str, password_hash: str, reason: str | None = None) -> None:
        """A temporary password; what the account had open (sessions, tokens) ends with the old one."""
        self._change(
            actor,
            Action.MANAGE_USERS,
            username,
            lambda user: user.reset_password(password_hash, actor=actor.id, reason=reason),
            ends=True,
        )

    def _change(self, actor: Actor, action: Action, username: str, change: Callable[[User], None], ends: bool = False) -> None:
        self.archive.authorise(actor, action)
        user = self.archive.find_user(username)
        if user is None:
            raise NotFound(f"no user {username}")
        if str(user.id) == actor.id:
            # DESIGN §6: nobody changes their own roles or clearance, nor disables themself.
            raise self.archive.refuse(actor, action.value, "you cannot change your own account's roles, clearance or standing")
        change(user)
        revoked = self._revoke_tokens(user, actor, why="the account was disabled or its password reset") if ends else []
        self.archive.commit(user, *revoked)
        if ends:
            self.sessions.close_all(str(user.id))

    def _revoke_tokens(self, user: User, actor: Actor, why: str) -> list[ApiToken]:
        revoked = []
        for token_id in list(getattr(user, "tokens", {})):
            token = self.archive.load(ApiToken, UUID(token_id))
            if not token.revoked:
                token.revoke(actor=actor.id, reason=why)
                revoked.append(token)
            user.forget_token(token_id, actor=actor.id)
        return revoked

    # -- reading -----------------------------------------------------------------------------------------------

    def user(self, actor: Actor, username: str) -> User | None:
        self._may_see_accounts(actor)
        return self.archive.find_user(username)

    def users(self, actor: Actor, text: str = "", offset: int = 0, limit: int = USERS_PAGE) -> tuple[int, list[dict[str, Any]]]:
        """Accounts whose name contains `text`, by name: every administrator may see who has which role."""
        self._may_see_accounts(actor)
        return self.directory.page(text.strip(), max(0, offset), max(1, min(limit, 200)))

    def first_security_officer_needed(self, actor: Actor) -> bool:
        """Whether this system administrator may still appoint the first security officer (a new installation)."""
        return actor.may(Action.MANAGE_USERS) and not actor.is_system and not self.archive.first_security_officer_appointed()

    def audit_log(self, actor: Actor, offset: int = 0, limit: int = 100, of: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        """What the administrators (and the local operator) did to accounts, newest first: the security auditor's."""
        self.archive.authorise(actor, Action.AUDIT_ADMINISTRATION)
        actor_id = None
        if of:
            found = self.archive.find_user(of)
            actor_id = str(found.id) if found else str(UUID(int=0))
        return self.log.page(max(0, offset), max(1, min(limit, 500)), actor_id)

    def _may_see_accounts(self, actor: Actor) -> None:
        if not (actor.may(Action.MANAGE_USERS) or actor.may(Action.ASSIGN_ROLES) or actor.may(Action.AUDIT_ADMINISTRATION)):
            self.archive.authorise(actor, Action.MANAGE_USERS)  # refuses, and records it
