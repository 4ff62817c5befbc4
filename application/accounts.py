"""Who is asking: logins (Argon2id, rate-limited), password changes, API bearer tokens (DESIGN §6).

A refused login says the same thing whether the name is unknown, the password wrong or the account disabled, so the
form does not tell an attacker which names exist. Failures are counted per account and per client address; past
the limit the form says how long to wait. Refusals are events, like every other denial.
"""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID

from application.archive import Archive, NotFound
from application.authorisation import Action, Actor
from application.ports import FailureLog, PasswordHasher
from domain.activity import ActivityLog
from domain.errors import DomainError, InvalidValue
from domain.tokens import ApiToken
from domain.users import User

MIN_PASSWORD = 10
TOKEN_PREFIX = "arc_"


class LoginRefused(DomainError):
    def __init__(self, message: str = "wrong user name or password", retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def actor_of(user: User) -> Actor:
    return Actor(str(user.id), user.username, frozenset(user.effective_roles), user.clearance, bool(user.must_change_password))


class Accounts:
    def __init__(
        self,
        archive: Archive,
        hasher: PasswordHasher,
        failures: FailureLog,
    ) -> None:
        self.archive = archive
        self.hasher = hasher
        self.failures = failures  # 5 failures in 5 minutes lock a name or a client out (bootstrap wires them)

    def login(self, username: str, password: str, client: str) -> Actor:
        keys = (f"user:{username.strip().lower()}", f"client:{client}")
        wait = max(self.failures.wait(k) for k in keys)
        if wait:
            raise LoginRefused(f"too many failed logins; try again in {wait} s", retry_after=wait)
        user = self.archive.find_user(username.strip()) if username.strip() else None
        # Verify even for unknown names, so the answer takes as long either way.
        valid = self.hasher.verify(user.password_hash if user else _DUMMY_HASH(self.hasher), password)
        if user is None or not valid or not user.enabled:
            for key in keys:
                self.failures.fail(key)
            if user is not None:
                self.archive.record_activity(
                    actor_of(user),
                    ActivityLog.AccessDenied,
                    action="login",
                    record_id=None,
                    reason="wrong password" if not valid else "account disabled",
                )
            raise LoginRefused()
        for key in keys:
            self.failures.clear(key)
        return actor_of(user)

    def actor(self, user_id: str) -> Actor | None:
        """The current state of a logged-in user (roles or clearance may have changed; disabled users are out)."""
        try:
            user = self.archive.current(User, UUID(user_id))
        except (NotFound, ValueError):
            return None
        return actor_of(user) if user.enabled else None

    def hash_new_password(self, password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise InvalidValue(f"a password has at least {MIN_PASSWORD} characters")
        return self.hasher.hash(password)

    def username(self, actor_id: str) -> str:
        """The name to show for an event's actor ("system" and the automatic QC keep their own names)."""
        found = self.actor(actor_id) if len(actor_id) == 36 else None
        return found.username if found else actor_id

    def change_password(self, actor: Actor, current: str, new: str) -> None:
        user = self.archive.load(User, UUID(actor.id))
        if not self.hasher.verify(user.password_hash, current):
            raise InvalidValue("the current password is not right")
        if len(new) < MIN_PASSWORD:
            raise InvalidValue(f"a new password has at least {MIN_PASSWORD} characters")
        user.change_password(self.hasher.hash(new), actor=actor.id)
        self.archive.save(user)

    # -- API tokens -----------------------------------------------------------------------------------------------

    def issue_token(self, actor: Actor, username: str, label: str) -> tuple[str, str]:
        """A new token for `username` (themselves; anyone for the local operator): (token id, the token — shown once).
        Not for an administrator to give someone else: a token acts as its holder, so it would let them read what
        the holder may (三员分立: administrators see no content)."""
        if not actor.is_system and actor.username.lower() != username.strip().lower():
            raise self.archive.refuse(actor, "issue_token", "a token is issued to its own holder only")
        user = self._user_for_tokens(actor, username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        issued = ApiToken.issue(token_sha256=_digest(token), user_id=str(user.id), label=label, actor=actor.id)
        user.note_token(str(issued.id), issued.label, actor=actor.id)
        self.archive.save(issued, user)
        return str(issued.id), token

    def revoke_token(self, actor: Actor, token_id: str) -> None:
        try:
            token = self.archive.load(ApiToken, UUID(token_id))
        except (NotFound, ValueError):
            raise NotFound(f"no token {token_id}") from None
        user = self.archive.load(User, UUID(token.user_id))
        if str(user.id) != actor.id:
            self.archive.authorise(actor, Action.MANAGE_USERS)
        token.revoke(actor=actor.id)
        user.forget_token(str(token.id), actor=actor.id)
        self.archive.save(token, user)

    def tokens(self, actor: Actor, username: str) -> dict[str, str]:
        return dict(getattr(self._user_for_tokens(actor, username), "tokens", {}))

    def actor_for_token(self, token: str) -> Actor | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        try:
            found = self.archive.current(ApiToken, ApiToken.create_id(_digest(token)))
        except NotFound:
            return None
        return None if found.revoked else self.actor(found.user_id)

    def _user_for_tokens(self, actor: Actor, username: str) -> User:
        user = self.archive.find_user(username)
        if user is None or (actor.username.lower() != username.lower() and not actor.may(Action.MANAGE_USERS)):
            if not actor.may(Action.MANAGE_USERS):
                raise self.archive.refuse(actor, "manage_tokens", f"{actor.username} may only manage their own tokens")
            raise NotFound(f"no user {username}")
        return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_dummy: dict[int, str] = {}


def _DUMMY_HASH(hasher: PasswordHasher) -> str:  # noqa: N802 - computed once per hasher
    return _dummy.setdefault(id(hasher), hasher.hash(secrets.token_urlsafe(16)))
