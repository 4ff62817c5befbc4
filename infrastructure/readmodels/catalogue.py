"""The catalogue projection: one row per record (and its pages), written from the Record aggregate's own state.

Rather than re-implement the lifecycle rules in SQL, the projection advances Record aggregates with the events'
own `mutate` (the same code the event store replays) and writes the resulting state. Aggregates stay in a bounded
cache between batches; a miss loads the aggregate at the version just before the event.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete

from domain.records import Record
from infrastructure.readmodels.sql import upsert
from infrastructure.readmodels.tables import catalogue, catalogue_pages, record_steps

# Events that change what a record says but not where it stands in the workflow. A proposed appraisal (double
# appraisal, DESIGN §6) leaves the record reviewed: a step there would restart the reviewed → appraised timing.
_NOT_A_STEP = {"MetadataAnnotated", "MetadataCorrected", "Reclassified", "AppraisalProposed"}


def is_record_event(event: Any) -> bool:
    return type(event).__qualname__.startswith("Record.") and type(event).__module__ == Record.__module__


class AggregateCache:
    """Aggregates advanced event by event; `load(id, version)` fills a miss from the event store."""

    def __init__(self, load: Callable[[UUID, int], Any], size: int = 20000) -> None:
        self.load = self._load = load
        self._size = size
        self._items: OrderedDict[UUID, Any] = OrderedDict()

    def advance(self, event: Any) -> Any:
        """The aggregate just after `event`. Projections share one cache: the second to see an event gets the
        aggregate the first one advanced; one that lags behind the cache loads its version from the store."""
        aggregate = self._items.pop(event.originator_id, None)
        if aggregate is not None and aggregate.version >= event.originator_version:
            self._items[event.originator_id] = aggregate
            if aggregate.version == event.originator_version:
                return aggregate
            return self._load(event.originator_id, event.originator_version)
        if aggregate is not None and aggregate.version != event.originator_version - 1:
            aggregate = None  # out of step (another writer, a rollback): reload
        if aggregate is None and event.originator_version > 1:
            aggregate = self._load(event.originator_id, event.originator_version - 1)
        aggregate = event.mutate(aggregate)
        self._items[event.originator_id] = aggregate
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return aggregate

    def latest(self, event: Any) -> Any:
        """The aggregate at `event` or later: for projections that keep only a record's latest state (the search
        index), which then need not replay what another projection sharing the cache already applied."""
        cached = self._items.get(event.originator_id)
        if cached is not None and cached.version >= event.originator_version:
            return cached
        return self.advance(event)

    def clear(self) -> None:
        self._items.clear()


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


_ROWS: OrderedDict[tuple[UUID, int], dict[str, Any]] = OrderedDict()
_ROWS_KEPT = 8192  # more than the records one batch touches
_ROWS_LOCK = threading.Lock()


def catalogue_row(record: Record) -> dict[str, Any]:
    """The record's catalogue fields (read-only: the catalogue and the search index share it for one version)."""
    key = (record.id, record.version)
    row = _ROWS.get(key)
    if row is None:
        row = _row(record)
        with _ROWS_LOCK:  # projections may run in the scheduler's thread and in request threads at once
            _ROWS[key] = row
            if len(_ROWS) > _ROWS_KEPT:
                _ROWS.popitem(last=False)
    return row


def _row(record: Record) -> dict[str, Any]:
    code = record.code
    metadata = dict(record.metadata or {})
    return {
        "record_id": str(record.id),
        "state": record.state.value,
        "title": record.title,
        "source": record.source,
        "medium": record.medium.value,
        "code": str(code) if code else None,
        "fonds": code.fonds if code else metadata.get("fonds"),
        "category": code.category if code else metadata.get("category"),
        "year": code.year if code else None,
        "org": code.org if code else None,
        "item": code.item if code else None,
        "classification": record.classification,
        "retention": str(record.retention) if record.retention else (code.retention if code else None),
        "security": int(record.security),
        "doc_number": metadata.get("doc_number"),
        "responsible": metadata.get("responsible"),
        "date": _date(metadata.get("date")),
        "page_count": len(record.pages or {}),
        "ocr_status": "done" if record.text_sha256 else "none",
        "storage_status": "ingested" if record.package else ("destroyed" if record.state.value == "destroyed" else "none"),
        "transfer_id": str(record.transfer_id) if record.transfer_id else None,
        "metadata": metadata,
        "created_at": record.created_on.isoformat(),
        "updated_at": record.modified_on.isoformat(),
        "version": record.version,
    }


def page_rows(record: Record) -> list[dict[str, Any]]:
    failures = record.qc_failures or {}
    rows = []
    for no, page in sorted((record.pages or {}).items()):
        reasons = failures.get(str(no), [])
        rows.append(
            {
                "record_id": str(record.id),
                "no": int(no),
                "sha256": page.get("sha256", ""),
                "derivative_sha256": page.get("derivative_sha256"),
                "qc_status": "failed" if reasons else page.get("qc_status", "pending"),
                "qc_reasons": reasons,
            }
        )
    return rows


class CatalogueProjection:
    name = "catalogue"

    def __init__(self, load: Callable[[UUID, int], Any], cache_size: int = 20000, cache: AggregateCache | None = None) -> None:
        self.cache = cache or AggregateCache(load, cache_size)

    def apply(self, conn: Connection, events: Sequence[Any]) -> None:
        touched: dict[UUID, Record] = {}
        steps: list[dict[str, Any]] = []
        try:
            for event in events:
                if is_record_event(event):
                    record = touched[event.originator_id] = self.cache.advance(event)
                    if type(event).__name__ not in _NOT_A_STEP:
                        steps.append(
                            {
                                "record_id": str(record.id),
                                "version": event.originator_version,
                                "state": record.state.value,
                                "at": event.timestamp.isoformat(),
                                "actor": event.actor,
                            }
                        )
            self.write(conn, list(touched.values()))
            upsert(conn, record_steps, steps)
        except Exception:
            self.cache.clear()  # the transaction rolls back: cached states may be ahead of the table
            raise

    def reset(self, conn: Connection) -> None:
        self.cache.clear()
        for table in (record_steps, catalogue_pages, catalogue):
            conn.execute(delete(table))

    @staticmethod
    def write(conn: Connection, records: Sequence[Record]) -> None:
        if not records:
            return
        upsert(conn, catalogue, [catalogue_row(r) for r in records])
        ids = [str(r.id) for r in records]
        conn.execute(delete(catalogue_pages).where(catalogue_pages.c.record_id.in_(ids)))
        pages = [row for r in records for row in page_rows(r)]
        if pages:
            conn.execute(catalogue_pages.insert(), pages)
