"""Server-side session ids: the signed cookie only carries a random id, so a login always starts a new id (no
fixation), a logout really ends the session, and disabling a user ends theirs at the next request."""

from __future__ import annotations

import secrets
import threading
import time

IDLE_SECONDS = 8 * 3600


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def open(self, user_id: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[sid] = (user_id, time.monotonic())
        return sid

    def user(self, sid: str | None) -> str | None:
        if not sid:
            return None
        with self._lock:
            found = self._sessions.get(sid)
            if found is None or time.monotonic() - found[1] > IDLE_SECONDS:
                self._sessions.pop(sid, None)
                return None
            self._sessions[sid] = (found[0], time.monotonic())
            return found[0]

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)
