"""Who is signed in, and who failed to sign in, kept in the database rather than in one process's memory: every
worker process of `archive serve` sees the same sessions and the same failure counts, and a restart neither logs
anybody out nor resets a lock-out. Tables are created by migration 0005."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, bindparam, delete, insert, select, update

metadata = MetaData()

# The cookie carries the session id; only its SHA-256 is stored, so a copy of the database logs nobody in.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("sid_sha256", String(64), primary_key=True),
    Column("user_id", String(36), nullable=False, index=True),
    Column("opened_at", Float, nullable=False),
    Column("seen_at", Float, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, index=True),
    Column("at", Float, nullable=False),
)

IDLE_SECONDS = 8 * 3600
# "Last seen" is written at most this often per session: a page view is then a read, not a write.
TOUCH_SECONDS = 60.0


# Asked on every request: built once (building a statement costs more than running it).
_SESSION = select(web_sessions.c.user_id, web_sessions.c.seen_at).where(web_sessions.c.sid_sha256 == bindparam("key"))


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SqlSessions:
    """Server-side session ids: a login always opens a new id (no fixation), a logout really ends it."""

    def __init__(self, engine: Engine, reader: Engine | None = None, clock: Callable[[], float] = time.time) -> None:
        """`reader`: an engine whose transactions do not take SQLite's write lock (a page view only reads)."""
        self.engine, self.reader, self.clock = engine, reader or engine, clock

    def open(self, user_id: str) -> str:
        sid, now = secrets.token_urlsafe(32), self.clock()
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.seen_at < now - IDLE_SECONDS))
            conn.execute(insert(web_sessions).values(sid_sha256=_digest(sid), user_id=user_id, opened_at=now, seen_at=now))
        return sid

    def user(self, sid: str | None) -> str | None:
        if not sid:
            return None
        key, now = _digest(sid), self.clock()
        with self.reader.connect() as conn:
            found = conn.execute(_SESSION, {"key": key}).first()
        if found is None:
            return None
        if now - found.seen_at > IDLE_SECONDS:
            self.close(sid)
            return None
        if now - found.seen_at > TOUCH_SECONDS:
            with self.engine.begin() as conn:
                conn.execute(update(web_sessions).where(web_sessions.c.sid_sha256 == key).values(seen_at=now))
        return str(found.user_id)

    def close(self, sid: str | None) -> None:
        if sid:
            with self.engine.begin() as conn:
                conn.execute(delete(web_sessions).where(web_sessions.c.sid_sha256 == _digest(sid)))

    def close_all(self, user_id: str) -> None:
        """End every session of a user, in every worker, for good (a disabled account, a reset password)."""
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))


class SqlFailureWindow:
    """Failed sign-ins per key (a user name, a client address) within a sliding window."""

    def __init__(
        self,
        engine: Engine,
        reader: Engine | None = None,
        limit: int = 5,
        seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`reader`: as for SqlSessions, so asking how long to wait does not take SQLite's write lock."""
        self.engine, self.reader, self.limit, self.seconds, self.clock = engine, reader or engine, limit, seconds, clock

    def wait(self, key: str) -> int:
        """Seconds until `key` may try again (0: now)."""
        since = self.clock() - self.seconds
        with self.reader.connect() as conn:
            recent = (
                conn.execute(
                    select(login_failures.c.at)
                    .where(login_failures.c.key == key, login_failures.c.at > since)
                    .order_by(login_failures.c.at.desc())
                    .limit(self.limit)
                )
                .scalars()
                .all()
            )
        return 0 if len(recent) < self.limit else int(recent[-1] - since) + 1

    def fail(self, key: str) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.at <= now - self.seconds))
            conn.execute(insert(login_failures).values(key=key, at=now))

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.key == key))
