"""The search projection: one index document per record, rebuilt from the Record aggregate after each batch.

tantivy is not part of the SQL transaction, so this projection writes first (idempotent upserts by record id) and
its position is stored afterwards: a crash in between replays the batch and rewrites the same documents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from domain.records import Record, RecordState
from infrastructure.readmodels.catalogue import AggregateCache, catalogue_row, is_record_event
from infrastructure.search.tantivy_index import TantivySearchIndex

# Text the index takes from a record's metadata (DA/T 22 item-level fields).
METADATA_TEXT = {"doc_number": "doc_number", "responsible": "responsible", "keywords": "keywords", "abstract": "abstract"}


def search_document(record: Record, fulltext: str = "") -> dict[str, Any]:
    row = catalogue_row(record)
    metadata = row["metadata"]
    return {
        "record_id": row["record_id"],
        "title": row["title"],
        "code": row["code"] or "",
        **{key: metadata.get(name, "") for key, name in METADATA_TEXT.items()},
        "fulltext": fulltext or metadata.get("fulltext", ""),
        "category": row["category"],
        "fonds": row["fonds"],
        "year": row["year"],
        "org": row["org"],
        "retention": row["retention"],
        "security": row["security"],
        "date": row["date"],
    }


class SearchProjection:
    name = "search"

    def __init__(
        self,
        index: TantivySearchIndex,
        load: Callable[[UUID, int], Any],
        text_of: Callable[[Record], str] | None = None,
        cache: AggregateCache | None = None,
    ) -> None:
        self.index = index
        self.cache = cache or AggregateCache(load)
        self.text_of = text_of or (lambda record: "")  # OCR text from the blob store once digitisation lands

    def apply_external(self, events: Sequence[Any]) -> None:
        touched: dict[UUID, Record] = {}
        try:
            for event in events:
                if is_record_event(event):
                    touched[event.originator_id] = self.cache.latest(event)
        except Exception:
            self.cache.clear()
            raise
        destroyed = [str(r.id) for r in touched.values() if r.state is RecordState.DESTROYED]
        self.index.upsert([search_document(r, self.text_of(r)) for r in touched.values() if r.state is not RecordState.DESTROYED])
        if destroyed:
            self.index.delete(destroyed)  # a destroyed record's content must not stay findable

    def bulk(self) -> Any:
        return self.index.bulk()

    def reset(self, conn: Connection) -> None:
        self.cache.clear()
        self.index.clear()

    def replay_needed(self) -> bool:
        return self.index.replay_needed()

    def replay_started(self) -> None:
        self.index.replay_started()
