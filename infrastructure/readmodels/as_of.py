"""The catalogue as it stood at a past moment, for compliance officers: the catalogue projection replayed into a
scratch database (in memory) from the events up to that moment. The live read model is never touched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, select

from infrastructure.bulk_gc import fewer_collections
from infrastructure.readmodels.catalogue import CatalogueProjection
from infrastructure.readmodels.queries import SORTS
from infrastructure.readmodels.reader import SealedEventReader
from infrastructure.readmodels.tables import catalogue, metadata


class CatalogueAsOf:
    def __init__(self, engine: Engine, recorder: Any, reader: SealedEventReader, load: Callable[[Any, int], Any]) -> None:
        self.engine = engine  # holds the ledger tables the reader checks against
        self.recorder = recorder
        self.reader = reader
        self.load = load

    def rows(self, moment: datetime, batch: int = 2000, progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
        """Every record as it stood at `moment`, ungraded: the application grades them by their levels then and
        now (application/catalogue.py as_of), which only it knows together."""
        scratch = create_engine("sqlite://", future=True)
        metadata.create_all(
            scratch, tables=[catalogue, *[t for t in metadata.sorted_tables if t.name in ("catalogue_pages", "record_steps")]]
        )
        projection = CatalogueProjection(self.load, cache_size=1_000_000)
        start = 1
        with fewer_collections(), self.engine.connect() as ledger_conn, scratch.begin() as conn:
            while notes := self.recorder.select_notifications(start=start, limit=batch):
                events = [e for e in self.reader.decode(ledger_conn, notes) if e.timestamp <= moment]
                projection.apply(conn, events)
                start = notes[-1].id + 1
                if progress:
                    progress(len(notes))
            found = conn.execute(select(catalogue).order_by(*SORTS["code"], catalogue.c.record_id)).mappings()
            result = [dict(r) for r in found]
        scratch.dispose()
        return result
