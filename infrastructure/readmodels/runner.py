"""Runs projections by polling the notification log (SQLite has no push subscriptions; DESIGN §5).

Each SQL projection writes its rows and its position in one transaction: a batch is applied exactly once and a
crash mid-batch rolls back both, so the next run resumes at the last committed position. Projections whose
target is not transactional (the search index) apply idempotent writes first and then store the position:
replaying a batch after a crash rewrites the same documents.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert, select, update

from infrastructure.bulk_gc import fewer_collections
from infrastructure.ledger.tables import projection_positions


class SqlProjection(Protocol):
    name: str

    def apply(self, conn: Connection, events: Sequence[Any]) -> None: ...

    def reset(self, conn: Connection) -> None: ...


class ExternalProjection(Protocol):
    """A projection into something outside the SQL transaction; `apply` must be idempotent."""

    name: str

    def apply_external(self, events: Sequence[Any]) -> None: ...

    def reset(self, conn: Connection) -> None: ...

    # Optional: the target was found outdated and emptied on open (a search index of an older schema), so the
    # projection must start again from the first event; replay_started() is called once its position is back at 0.
    # def replay_needed(self) -> bool: ...
    # def replay_started(self) -> None: ...


def read_position(conn: Connection, name: str, for_update: bool = False) -> int:
    query = select(projection_positions.c.position).where(projection_positions.c.name == name)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = conn.execute(query).scalar()
    if found is None:
        conn.execute(insert(projection_positions).values(name=name, position=0))
        return 0
    return int(found)


def write_position(conn: Connection, name: str, position: int) -> None:
    conn.execute(update(projection_positions).where(projection_positions.c.name == name).values(position=position))


def advance_position(conn: Connection, name: str, position: int) -> None:
    """Move forward only: two runners finishing the same external batch must not move it back."""
    conn.execute(
        update(projection_positions)
        .where(projection_positions.c.name == name, projection_positions.c.position < position)
        .values(position=position)
    )


class ProjectionRunner:
    def __init__(self, engine: Engine, recorder: Any, reader: Any, projections: Sequence[Any]) -> None:
        self.engine = engine
        self.recorder = recorder
        self.reader = reader  # SealedEventReader: decodes (and checks) notifications
        self.projections = list(projections)

    def step(self, projection: Any, limit: int = 500) -> int:
        """Apply one batch to one projection; return how many events it took."""
        return self._round([projection], limit)

    def run(self, limit: int = 500, progress: Callable[[int], None] | None = None, only: Sequence[Any] | None = None) -> int:
        """Bring the projections up to date; each batch is read and decoded once for all of them."""
        chosen, total = list(only or self.projections), 0
        while (count := self._round(chosen, limit)) > 0:
            total += count
            if progress:
                progress(count)
        return total

    def follow(self, limit: int = 500) -> int:
        """One turn of the serving process's follower: apply what is pending and stop at the tail (as the ledger's
        follow: chasing events that arrive meanwhile ran many rounds of a few events, each with all its
        transactions)."""
        total = 0
        while (count := self._round(self.projections, limit)) > 0:
            total += count
            if count < limit:
                break
        return total

    def rebuild(self, names: Sequence[str], limit: int = 5000, progress: Callable[[int], None] | None = None) -> int:
        """Empty the named projections and replay the whole event store into them, in batches."""
        chosen = [p for p in self.projections if p.name in names]
        unknown = set(names) - {p.name for p in chosen}
        if unknown:
            raise ValueError(
                f"no projection named {', '.join(sorted(unknown))}; known: {', '.join(p.name for p in self.projections)}"
            )
        for projection in chosen:
            with self.engine.begin() as conn:
                read_position(conn, projection.name, for_update=True)
                projection.reset(conn)
                write_position(conn, projection.name, 0)
            if hasattr(projection, "replay_started"):
                projection.replay_started()
        with ExitStack() as stack:
            stack.enter_context(fewer_collections())
            for projection in chosen:
                if hasattr(projection, "bulk"):
                    stack.enter_context(projection.bulk())
            return self.run(limit, progress, only=chosen)

    def _round(self, chosen: Sequence[Any], limit: int) -> int:
        """Read the batch after the slowest projection's position and give each projection the part it lacks."""
        self._restart_emptied(chosen)
        with self.engine.begin() as conn:
            positions = {p.name: read_position(conn, p.name) for p in chosen}
        start = min(positions.values(), default=0)
        notes = self.recorder.select_notifications(start=start + 1, limit=limit)
        if not notes:
            return 0
        with self.engine.connect() as conn:
            batch = list(zip([n.id for n in notes], self.reader.decode(conn, notes), strict=True))
        last = notes[-1].id
        for projection in chosen:
            if positions[projection.name] < last:
                self._apply(projection, batch, start, last)
        return len(notes)

    def _restart_emptied(self, chosen: Sequence[Any]) -> None:
        """A projection whose target was emptied on open starts again from 0 (its position is kept in SQL, the
        target outside it: nothing else would tell the follower that the documents it wrote are gone)."""
        for projection in chosen:
            if hasattr(projection, "replay_needed") and projection.replay_needed():
                with self.engine.begin() as conn:
                    read_position(conn, projection.name, for_update=True)
                    write_position(conn, projection.name, 0)
                projection.replay_started()

    def _apply(self, projection: Any, batch: list[tuple[int, Any]], start: int, last: int) -> None:
        if hasattr(projection, "apply_external"):
            with self.engine.connect() as conn:
                position = read_position(conn, projection.name)
            if start <= position < last:
                projection.apply_external([event for nid, event in batch if nid > position])
                with self.engine.begin() as conn:
                    advance_position(conn, projection.name, last)
            return
        with self.engine.begin() as conn:
            position = read_position(conn, projection.name, for_update=True)
            if start <= position < last:  # another runner may have moved it meanwhile: apply only what it lacks
                projection.apply(conn, [event for nid, event in batch if nid > position])
                write_position(conn, projection.name, last)

    def positions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {p.name: read_position(conn, p.name) for p in self.projections}

    def wait_for(self, position: int, timeout: float = 10.0) -> None:
        """Read-your-writes: make sure every projection has seen `position` (runs them here if need be)."""
        deadline = time.monotonic() + timeout
        while min(self.positions().values(), default=position) < position:
            self.run()
            if time.monotonic() > deadline:
                raise TimeoutError(f"projections did not reach position {position} in {timeout} s")
