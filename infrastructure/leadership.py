"""One process of a machine's `archive serve` runs the background jobs (ledger follower, projections follower,
signed checkpoints); the others serve pages. Whoever holds an exclusive lock on a file under ARCHIVE_HOME leads.
The operating system drops the lock when its process ends, however it ends, so another worker takes over at its
next tick and the jobs never stop for long nor run twice at once."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class Leadership:
    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._fd: int | None = None
        self._guard = threading.Lock()

    def held(self) -> bool:
        """True if this process leads, taking the lead if nobody holds it."""
        with self._guard:
            if self._fd is not None:
                return True
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._fd = fd
            return True

    def release(self) -> None:
        with self._guard:
            if self._fd is not None:
                os.close(self._fd)  # closing the descriptor releases the lock
                self._fd = None
