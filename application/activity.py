"""Recording accesses, searches and refusals (DESIGN §3, §6) with group commit.

Every page view and every search writes a signed event, and each write is a transaction that waits for the disk.
Done one by one, the writes queue behind each other (one writer at a time) and every reader of the process waits
with them. Here a request hands its event over and waits until it is durable, as before, but the thread that
writes takes every event handed over meanwhile into the same transaction: under load one commit carries many
views, idle it carries one, and no request is answered before its event is stored.

Each request encodes and signs its own event before handing it over, at the version it is promised for its log;
the writer only inserts. Whatever the writer does, every request waiting for that commit waits with it, and each
signature let go of the GIL and then waited for it behind a dozen busy threads: a commit of four events took
11–15 ms under load, most of it in those waits. A promise the store did not keep (an earlier write failed, or
another process wrote the same log first) is mended by the writer, which re-signs that event at the version due.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from application.authorisation import Actor
from domain.activity import ActivityLog
from domain.errors import DomainError

ATTEMPTS = 20
ROUNDS = 3
KNOWN_LOGS = 100_000  # one entry per user and day; yesterday's are not needed


class Conflict(DomainError):
    """Someone else changed the same aggregate at the same moment; the caller may retry."""


@dataclass
class _Entry:
    log_id: UUID
    user_id: str
    day: str
    make: Callable[[int], Any]  # the event at a given version of the log
    version: int = 0  # the version `stored` was signed for (the log's first event opens it: two events then)
    stored: list[StoredEvent] = field(default_factory=list)
    error: BaseException | None = None
    lead: bool = False  # handed the writing over: this request's thread writes the next batches
    done: threading.Event = field(default_factory=threading.Event)


class ActivityJournal:
    """Appends to each user's log of the day (domain/activity.py) without loading the day."""

    def __init__(
        self,
        encode: Callable[[Any], StoredEvent],
        insert: Callable[[Sequence[StoredEvent]], Any],
        last_version: Callable[[UUID], int | None],
    ) -> None:
        """`encode`: the application's mapper (it signs); `insert`: its recorder's insert, one transaction."""
        self._encode, self._insert, self._last_version = encode, insert, last_version
        self._pending: list[_Entry] = []
        self._lock = threading.Lock()
        self._writing = False  # a thread is writing batches (the others wait on their own entry)
        self._next: dict[UUID, int] = {}  # next version per log as the store last had it (checked at each insert)
        self._promised: dict[UUID, int] = {}  # next version per log as handed to requests (ahead of _next)

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
        self._prepare(entry, self._promise(log_id))  # a malformed event fails here, in its own request
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

    def _promise(self, log_id: UUID) -> int:
        """The version this request's event is to have: the next after those promised before it."""
        with self._lock:
            version = self._promised.get(log_id)
        if version is None:  # first sight of this log in this process: ask the store, outside the lock
            stored = self._from_store(log_id)
            with self._lock:
                self._next.setdefault(log_id, stored)
                version = self._promised.setdefault(log_id, stored)
        with self._lock:
            version = max(version, self._promised[log_id])
            self._promised[log_id] = version + (2 if version == 1 else 1)
        return version

    def _prepare(self, entry: _Entry, version: int) -> None:
        """Encode and sign the entry's events for `version` (a new log is opened by its first event)."""
        events = ActivityLog(user_id=entry.user_id, day=entry.day).collect_events() if version == 1 else []
        events.append(entry.make(2 if version == 1 else version))
        entry.stored, entry.version = [self._encode(event) for event in events], version

    def _try(self, batch: list[_Entry]) -> bool:
        stored: list[StoredEvent] = []
        versions: dict[UUID, int] = {}
        broken: set[UUID] = set()  # logs whose promises ran ahead of the store
        for entry in sorted(batch, key=lambda e: e.version):  # a log's events in the order they were promised
            if entry.error is not None:
                continue
            due = versions.get(entry.log_id) or self._next.get(entry.log_id) or self._from_store(entry.log_id)
            if entry.version != due:  # the promise was not kept: sign again at the version due
                broken.add(entry.log_id)
                try:
                    self._prepare(entry, due)
                except Exception as error:
                    entry.error = error
                    continue
            stored.extend(entry.stored)
            versions[entry.log_id] = due + len(entry.stored)
        if not stored:
            return True
        try:
            self._insert(stored)
        except IntegrityError:
            for log_id in versions:  # another process wrote to the same log: ask the store again
                self._next.pop(log_id, None)
            return False
        self._kept(versions, broken)
        return True

    def _kept(self, versions: dict[UUID, int], broken: set[UUID]) -> None:
        with self._lock:
            if len(self._next) > KNOWN_LOGS:
                self._next.clear()
                self._promised.clear()
            self._next.update(versions)
            for log_id, version in versions.items():  # promises never fall behind what is stored, and start
                ahead = self._promised.get(log_id, 0)  # again from it when they ran ahead of it (a failed write)
                self._promised[log_id] = version if log_id in broken else max(ahead, version)

    def _from_store(self, log_id: UUID) -> int:
        last = self._last_version(log_id)
        return 1 if last is None else last + 1
