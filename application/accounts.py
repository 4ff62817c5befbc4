"""Who is asking: logins (Argon2id, rate-limited), password changes, API bearer tokens (DESIGN §6).

A refused login says the same thing whether the name is unknown, the password wrong or the account disabled, and
costs the same: one Argon2id verification (against a dummy hash made once for unknown names) and one AccessDenied
event (under `anonymous` for a name nobody has), so neither the answer nor its time tells an attacker which names
exist. Failures are counted per account and per client address separately (OWASP ASVS 2.2.1): a success clears the
account's count only, never the address's, so logging into one's own account does not buy more guesses elsewhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from application.archive import Archive, NotFound
from application.authorisation import ANONYMOUS, Action, Actor
from application.ports import FailureLog, PasswordHasher, PasswordPolicy
from domain.errors import DomainError, InvalidValue
from domain.tokens import DEFAULT_DAYS, ApiToken
from domain.users import User

TOKEN_PREFIX = "arc_"


class LoginRefused(DomainError):
    def __init__(self, message: str = "wrong user name or password", retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def actor_of(user: User) -> Actor:
    return Actor(str(user.id), user.username, frozenset(user.effective_roles), user.clearance, bool(user.must_change_password))


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    label: str
    expires_at: str | None
    expired: bool


class Accounts:
    def __init__(
        self,
        archive: Archive,
        hasher: PasswordHasher,
        failures: FailureLog,
        policy: PasswordPolicy,
        address_failures: FailureLog | None = None,
    ) -> None:
        self.archive = archive
        self.hasher = hasher
        self.policy = policy
        self.failures = failures  # per account (bootstrap: 5 in 5 minutes)
        self.address_failures = address_failures or failures  # per client address (bootstrap: a larger number)
        self._dummy: str | None = None

    def login(self, username: str, password: str, client: str) -> Actor:
        account, address = f"user:{username.strip().lower()}", f"client:{client}"
        wait = max(self.failures.wait(account), self.address_failures.wait(address))
        if wait:
            raise LoginRefused(f"too many failed logins; try again in {wait} s", retry_after=wait)
        user = self.archive.find_user(username.strip()) if username.strip() else None
        valid = self._verify(user.password_hash if user else self._dummy_hash(), password)
        if user is None or not valid or not user.enabled:
            self.failures.fail(account)
            self.address_failures.fail(address)
            why = "unknown user name" if user is None else ("wrong password" if not valid else "account disabled")
            who = actor_of(user) if user is not None else ANONYMOUS
            self.archive.deny(who, "login", f"{why}: {username.strip()[:64]!r} from {client}"[:300])
            raise LoginRefused()
        self.failures.clear(account)  # the address keeps its count: a success elsewhere buys no more guesses
        return actor_of(user)

    def _verify(self, password_hash: str, password: str) -> bool:
        """Passwords are compared NFKC-normalised; hashes made before that was the rule took the text as typed."""
        normal = self.policy.normalised(password)
        return self.hasher.verify(password_hash, normal) or (normal != password and self.hasher.verify(password_hash, password))

    def _dummy_hash(self) -> str:
        """A hash of nothing anyone knows, made once: an unknown name then costs one verification, as a known one."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def actor(self, user_id: str) -> Actor | None:
        """The current state of a logged-in user (roles or clearance may have changed; disabled users are out)."""
        try:
            user = self.archive.current(User, UUID(user_id))
        except (NotFound, ValueError):
            return None
        return actor_of(user) if user.enabled else None

    def hash_new_password(self, password: str, username: str = "") -> str:
        """The hash of a password set now, if the policy (NIST SP 800-63B-4) accepts it."""
        return self.hasher.hash(self.policy.check(password, username))

    def username(self, actor_id: str) -> str:
        """The name to show for an event's actor ("system" and the automatic QC keep their own names)."""
        found = self.actor(actor_id) if len(actor_id) == 36 else None
        return found.username if found else actor_id

    def change_password(self, actor: Actor, current: str, new: str) -> None:
        user = self.archive.load(User, UUID(actor.id))
        if not self._verify(user.password_hash, current):
            raise InvalidValue("the current password is not right")
        if self.policy.normalised(new) == self.policy.normalised(current):
            raise InvalidValue("the new password is the one you have")
        user.change_password(self.hash_new_password(new, user.username), actor=actor.id)
        self.archive.save(user)

    # -- API tokens -----------------------------------------------------------------------------------------------

    def issue_token(self, actor: Actor, username: str, label: str, days: int = DEFAULT_DAYS) -> tuple[str, str]:
        """A new token for `username` (themselves; anyone for the local operator): (token id, the token — shown once).
        Not for an administrator to give someone else: a token acts as its holder, so it would let them read what
        the holder may (三员分立: administrators see no content). It expires after `days` (1-365)."""
        if not actor.is_system and actor.username.lower() != username.strip().lower():
            raise self.archive.refuse(actor, "issue_token", "a token is issued to its own holder only")
        user = self._user_for_tokens(actor, username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        issued = ApiToken.issue(
            token_sha256=_digest(token), user_id=str(user.id), label=label, actor=actor.id, now=datetime.now(UTC), days=days
        )
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

    def tokens(self, actor: Actor, username: str) -> list[TokenInfo]:
        """The tokens a user holds, with their expiry (oldest first)."""
        user, now, found = self._user_for_tokens(actor, username), datetime.now(UTC), []
        for token_id, label in getattr(user, "tokens", {}).items():
            try:
                token = self.archive.current(ApiToken, UUID(token_id))
                found.append(TokenInfo(token_id, label, token.expires_at, token.expired(now)))
            except (NotFound, ValueError):
                found.append(TokenInfo(token_id, label, None, True))
        return found

    def actor_for_token(self, token: str) -> Actor | None:
        """The holder of a live token: not revoked, not expired, the account enabled."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        try:
            found = self.archive.current(ApiToken, ApiToken.create_id(_digest(token)))
        except NotFound:
            return None
        if found.revoked or found.expired(datetime.now(UTC)):
            return None
        return self.actor(found.user_id)

    def _user_for_tokens(self, actor: Actor, username: str) -> User:
        user = self.archive.find_user(username)
        if user is None or (actor.username.lower() != username.lower() and not actor.may(Action.MANAGE_USERS)):
            if not actor.may(Action.MANAGE_USERS):
                raise self.archive.refuse(actor, "manage_tokens", f"{actor.username} may only manage their own tokens")
            raise NotFound(f"no user {username}")
        return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
