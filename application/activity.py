"""Recording accesses, searches and refusals (DESIGN §3, §6) with group commit.

Every page view and every search writes a signed event, and each write is a transaction that waits for the disk.
Done one by one, the writes queue behind each other (one writer at a time) and every reader of the process waits
with them. Here a request hands its event over and waits until it is durable, as before, but the thread that
writes takes every event handed over meanwhile into the same transaction: under load one commit carries many
views, idle it carries one, and no request is answered before its event is stored.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.authorisation import Actor
from domain.activity import ActivityLog
from domain.errors import DomainError

ATTEMPTS = 20
ROUNDS = 3


class Conflict(DomainError):
    """Someone else changed the same aggregate at the same moment; the caller may retry."""


@dataclass
class _Entry:
    log_id: UUID
    user_id: str
    day: str
    make: Callable[[int], Any]  # the event at a given version of the log
    error: BaseException | None = None
    lead: bool = False  # handed the writing over: this request's thread writes the next batches
    done: threading.Event = field(default_factory=threading.Event)


class ActivityJournal:
    """Appends to each user's log of the day (domain/activity.py) without loading the day."""

    def __init__(self, save: Callable[..., Any], last_version: Callable[[UUID], int | None]) -> None:
        self._save, self._last_version = save, last_version
        self._pending: list[_Entry] = []
        self._lock = threading.Lock()
        self._writing = False  # a thread is writing batches (the others wait on their own entry)
        self._next: dict[UUID, int] = {}  # next version per log as this process last wrote it (checked by the store)

    def append(self, actor: Actor, kind: type, **fields: Any) -> None:
        day = datetime.now(UTC).date()
        timestamp = kind.create_timestamp()  # the moment of the request, not of the commit
        log_id = ActivityLog.id_for(actor.id, day)

        def make(version: int) -> Any:
            return kind(
                originator_id=log_id,
                originator_version=version,
                timestamp=timestamp,
                actor=actor.id,
                group=actor.group,
                **fields,
            )

        entry = _Entry(log_id, actor.id, day.isoformat(), make)
        with self._lock:
            self._pending.append(entry)
            entry.lead = not self._writing
            self._writing = True
        if not entry.lead:
            entry.done.wait()  # written by the thread writing now, or handed the writing (entry.lead)
        if entry.lead:
            self._write_rounds()
        if entry.error is not None:
            raise entry.error

    def _write_rounds(self) -> None:
        """Write what is pending, a batch at a time. Each waiting request is woken on its own, not passed a lock
        from one thread to the next (a lock hand-over waits for the GIL at every step: a convoy under load).
        After a few rounds the writing passes to a waiting request, so no one request writes for everybody."""
        for _round in range(ROUNDS):
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._writing = False
                    return
            self._write(batch)
            for written in batch:
                written.done.set()
        with self._lock:
            if not self._pending:
                self._writing = False
                return
            heir = self._pending[0]
        heir.lead = True
        heir.done.set()

    def _write(self, batch: list[_Entry]) -> None:
        try:
            for attempt in range(ATTEMPTS):
                if self._try(batch):
                    return
                # Another process appended to one of these logs first (two workers serving the same person):
                # step aside for a random moment, so the two stop colliding, then take the next free version.
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            failure: BaseException = Conflict("could not record the activity; try again")
        except BaseException as error:  # a failed commit fails every request whose event it carried (and
            failure = error  # each raises it in its own thread); the writing must go on for the others
        for entry in batch:
            entry.error = entry.error or failure

    def _try(self, batch: list[_Entry]) -> bool:
        events: list[Any] = []
        versions: dict[UUID, int] = {}
        for entry in batch:
            if entry.error is not None:
                continue
            version = versions.get(entry.log_id) or self._next.get(entry.log_id) or self._from_store(entry.log_id)
            if version == 1:
                events.extend(ActivityLog(user_id=entry.user_id, day=entry.day).collect_events())
                version = 2
            try:
                events.append(entry.make(version))
            except Exception as error:  # a malformed event fails its own request only
                entry.error = error
                continue
            versions[entry.log_id] = version + 1
        try:
            self._save(*events)
        except IntegrityError:
            for log_id in versions:  # another process wrote to the same log: ask the store again
                self._next.pop(log_id, None)
            return False
        self._next.update(versions)
        if len(self._next) > 100_000:  # one entry per user and day; yesterday's are not needed
            self._next.clear()
        return True

    def _from_store(self, log_id: UUID) -> int:
        last = self._last_version(log_id)
        return 1 if last is None else last + 1
