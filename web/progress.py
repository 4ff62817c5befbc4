"""Long work on a page (verifying the ledger, the catalogue as of a past moment): the page is streamed, so the
reader sees a progress bar move while the work runs in a thread beside the request, then the result in place.
No script is needed (the CSP forbids inline script): each update is a new <progress> element and the stylesheet
shows only the latest one."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from domain.errors import DomainError

log = logging.getLogger(__name__)

UPDATE_SECONDS = 0.5  # at most two bars a second: enough to see it move, little to send


class Progress:
    """What the work reports: how far it is (`set`), or how much more it did (`advance`)."""

    def __init__(self, updates: queue.Queue[tuple[int, int] | None], total: int = 0) -> None:
        self._updates, self.done, self.total = updates, 0, total

    def set(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        self._updates.put((done, total))

    def advance(self, count: int) -> None:
        self.set(self.done + count, max(self.total, self.done + count))


class Running:
    """Work started at once in its own thread; iterate `updates()` to follow it, then read `result` or `error`."""

    def __init__(self, work: Callable[[Progress], Any], total: int = 0) -> None:
        self._updates: queue.Queue[tuple[int, int] | None] = queue.Queue()
        self.result: Any = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, args=(work, Progress(self._updates, total)), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[Progress], Any], progress: Progress) -> None:
        try:
            self.result = work(progress)
        except DomainError as refused:  # the reader's mistake or a refusal: shown in place, like a form's error
            self.error = str(refused)
        except Exception:  # a fault: logged for the operator; the page says the work failed, not why
            log.exception("long work failed")
            self.error = "the work failed; the server log has the details"
        finally:
            self._updates.put(None)

    def updates(self) -> Iterator[tuple[int, int]]:
        """(done, total) about every UPDATE_SECONDS until the work ends."""
        latest, shown, last = None, None, 0.0
        while True:
            try:
                item = self._updates.get(timeout=UPDATE_SECONDS)
            except queue.Empty:
                item = latest
            else:
                if item is None:
                    self._thread.join()
                    return
                latest = item
            if latest is not None and latest != shown and time.monotonic() - last >= UPDATE_SECONDS:
                shown, last = latest, time.monotonic()
                yield latest
