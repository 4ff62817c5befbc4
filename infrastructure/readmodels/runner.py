"""Runs projections by polling the notification log (SQLite has no push subscriptions; DESIGN §5).

Each SQL projection writes its rows and its position in one transaction: a batch is applied exactly once and a
crash mid-batch rolls back both, so the next run resumes at the last committed position. Projections whose
target is not transactional (the search index) apply idempotent writes first and then store the position:
replaying a batch after a crash rewrites the same documents.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert, select, update

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


class ProjectionRunner:
    def __init__(self, engine: Engine, recorder: Any, reader: Any, projections: Sequence[Any]) -> None:
        self.engine = engine
        self.recorder = recorder
        self.reader = reader  # SealedEventReader: decodes (and checks) notifications
        self.projections = list(projections)

    def _batch(self, conn: Connection, position: int, limit: int) -> tuple[list[Any], int]:
        notes = self.recorder.select_notifications(start=position + 1, limit=limit)
        return self.reader.decode(conn, notes), (notes[-1].id if notes else position)

    def step(self, projection: Any, limit: int = 500) -> int:
        """Apply one batch to one projection; return how many events it took."""
        if hasattr(projection, "apply_external"):
            with self.engine.connect() as conn:
                position = read_position(conn, projection.name)
                events, last = self._batch(conn, position, limit)
                conn.commit()
            if events:
                projection.apply_external(events)
                with self.engine.begin() as conn:
                    write_position(conn, projection.name, last)
            return len(events)
        with self.engine.begin() as conn:
            position = read_position(conn, projection.name, for_update=True)
            events, last = self._batch(conn, position, limit)
            if events:
                projection.apply(conn, events)
                write_position(conn, projection.name, last)
            return len(events)

    def run(self, limit: int = 500, progress: Callable[[int], None] | None = None) -> int:
        """Bring every projection up to date."""
        total = 0
        for projection in self.projections:
            while (count := self.step(projection, limit)) > 0:
                total += count
                if progress:
                    progress(count)
        return total

    def rebuild(self, names: Sequence[str], limit: int = 1000, progress: Callable[[int], None] | None = None) -> int:
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
        total = 0
        for projection in chosen:
            while (count := self.step(projection, limit)) > 0:
                total += count
                if progress:
                    progress(count)
        return total

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
