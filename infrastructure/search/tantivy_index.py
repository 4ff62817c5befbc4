"""The search index (tantivy): Chinese, English and numbers matched as substrings, clearance inside every query.

Text fields hold positioned bigrams (see bigrams.py); one more field, `chars`, holds every character of all of them,
so a one-character term is one term query; the original texts are kept in one stored JSON field for hit titles and
snippets. Facets are tantivy aggregations over fast fields, run on the same query as the hits, so
counts and facet numbers obey the same visibility clause as the results.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import html
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy

from application.search import FACETS, SearchHit, SearchQuery, SearchResult
from infrastructure.search.bigrams import characters, grams, runs, tokens
from infrastructure.search.snippets import snippet

log = logging.getLogger(__name__)

TOKENIZER = "positioned_bigrams"
# DA/T 22 item-level fields that are searched, with their boosts.
TEXT_FIELDS = {
    "title": 3.0,
    "code": 3.0,
    "doc_number": 3.0,
    "keywords": 2.0,
    "responsible": 1.5,
    "abstract": 1.5,
    "fulltext": 1.0,
}
# Every character of the text fields, for one-character terms (no positions: a character is matched on its own).
CHARS = "chars"
STORED = ("title", "code", "doc_number", "abstract", "fulltext", "date")
SNIPPET_FIELDS = ("fulltext", "abstract", "title", "doc_number")
KEYWORD_FIELDS = ("category", "fonds", "org", "retention")
MAX_QUERY = 200
# Repeated searches are answered from memory until the index changes (as Solr's queryResultCache does). The index is
# rewritten only when records change, not when they are viewed or searched, so a popular query costs one tantivy
# search per change instead of one per asking. Keyed on the whole query, visibility included: an answer is only
# ever given again to the same clearance and grants. About 20 KB an answer.
RESULTS_KEPT = 2048
# Left in the index directory when an index of an older schema was cleared: the search projection's position must go
# back to 0 so that its follower fills the new index from the event store (see replay_needed).
REPLAY_NEEDED = "replay-needed"
_OPEN_LOCK = "open.lock"


class SearchIndexBusy(RuntimeError):
    """Another process holds the index writer (e.g. `archive serve` while a CLI rebuild runs)."""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("record_id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name=TOKENIZER)
    builder.add_text_field(CHARS, stored=False, tokenizer_name=TOKENIZER, index_option="freq")
    builder.add_bytes_field("stored", stored=True, indexed=False)
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="raw", fast=True)
    builder.add_integer_field("year", stored=False, indexed=True, fast=True)
    builder.add_integer_field("security", stored=True, indexed=True, fast=True)
    # Days since 0001-01-01, not a tantivy date: those stop at 1677, and archives hold older records.
    builder.add_integer_field("day", stored=False, indexed=True, fast=True)
    return builder.build()


class TantivySearchIndex:
    def __init__(self, directory: Path, writer_memory: int = 200_000_000, threads: int = 1) -> None:
        self.directory = directory
        self.schema = _schema()
        self._writer_memory = writer_memory
        self._threads = threads
        self._lock = threading.Lock()  # tantivy allows one writer per index
        self._bulk_writer: Any = None
        self._generation: tuple[int, int, int] | None = None
        self._results: dict[SearchQuery, tuple[tuple[int, int, int], SearchResult]] = {}
        self.directory.mkdir(parents=True, exist_ok=True)
        self.index = self._open()
        # Tokenizers are not persisted with the index: register at every open.
        self.index.register_tokenizer(TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())

    def _open(self) -> tantivy.Index:
        """The index, or a new empty one where an older version's index (another schema) was: the index is a
        projection, so it is cleared and marked for replay rather than refused. Under a lock, as every worker
        process opens it at start."""
        with open(self.directory / _OPEN_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return tantivy.Index(self.schema, path=str(self.directory))
            except ValueError as mismatch:
                if "schema does not match" not in str(mismatch) and not self.replay_needed():
                    raise
                log.warning("the search index at %s has an older schema: cleared, it is refilled from the event store", self.directory)
                (self.directory / REPLAY_NEEDED).touch()  # first: a crash while clearing still leaves the mark
                for path in self.directory.iterdir():
                    if path.name not in (REPLAY_NEEDED, _OPEN_LOCK):
                        shutil.rmtree(path) if path.is_dir() else path.unlink()
                return tantivy.Index(self.schema, path=str(self.directory))

    def replay_needed(self) -> bool:
        """An older index was cleared here and the search projection has not yet been told to start again."""
        return (self.directory / REPLAY_NEEDED).exists()

    def replay_started(self) -> None:
        (self.directory / REPLAY_NEEDED).unlink(missing_ok=True)

    # -- writing ------------------------------------------------------------------------------------------------

    def upsert(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            self._write(lambda writer: [self._replace(writer, doc) for doc in docs])

    def delete(self, record_ids: list[str]) -> None:
        if record_ids:
            self._write(lambda writer: [writer.delete_documents_by_term("record_id", r) for r in record_ids])

    def clear(self) -> None:
        self._write(lambda writer: writer.delete_all_documents())

    def _write(self, change: Any) -> None:
        with self._lock:
            if self._bulk_writer is not None:
                change(self._bulk_writer)
                self._bulk_writer.commit()
            else:
                writer = self._writer()
                change(writer)
                writer.commit()
                writer.wait_merging_threads()  # releases the index's writer lock for other processes
        self.index.reload()

    def _writer(self) -> Any:
        """tantivy lets one writer at a time hold an index; another process may hold it for a moment."""
        for attempt in range(50):
            try:
                return self.index.writer(self._writer_memory, self._threads)
            except ValueError as busy:
                if "lock" not in str(busy).lower() or attempt == 49:
                    raise SearchIndexBusy(f"the search index at {self.directory} is being written by another process") from busy
                time.sleep(0.1)
        raise AssertionError("unreachable")

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """One writer for many batches (a rebuild): each batch is still committed, merges are waited for once."""
        with self._lock:
            self._bulk_writer = self._writer()
        try:
            yield
        finally:
            with self._lock:
                writer, self._bulk_writer = self._bulk_writer, None
                writer.wait_merging_threads()
            self.index.reload()

    def _replace(self, writer: Any, doc: dict[str, Any]) -> None:
        writer.delete_documents_by_term("record_id", doc["record_id"])
        writer.add_document(self.document(doc))

    def document(self, doc: dict[str, Any]) -> tantivy.Document:
        fields: dict[str, Any] = {"record_id": doc["record_id"], "security": int(doc.get("security") or 0)}
        texts = [str(doc[name]) for name in TEXT_FIELDS if doc.get(name)]
        for name in TEXT_FIELDS:
            if doc.get(name):
                fields[name] = tokens(str(doc[name]))
        if texts:
            fields[CHARS] = characters(texts)
        fields["stored"] = json.dumps({n: str(doc[n]) for n in STORED if doc.get(n)}, ensure_ascii=False).encode()
        if doc.get("date"):
            fields["day"] = doc["date"].toordinal()
        for name in KEYWORD_FIELDS:
            if doc.get(name):
                fields[name] = str(doc[name])
        if doc.get("year"):
            fields["year"] = int(doc["year"])
        return tantivy.Document(**fields)

    def count(self) -> int:
        return self.index.searcher().num_docs

    def destroy(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- querying -------------------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        """From memory if the same query (its visibility included) was answered since the index last changed."""
        generation = self._generation_now()
        if generation != self._generation:
            self.index.reload()  # another process may have committed: search what it wrote, then forget old answers
            self._results, self._generation = {}, generation
        kept = self._results.get(query)
        if kept is not None and kept[0] == generation:
            return kept[1]
        result = self._search(query)
        self._results[query] = (generation, result)
        if len(self._results) > RESULTS_KEPT:
            self._results.pop(next(iter(self._results)), None)
        return result

    def _generation_now(self) -> tuple[int, int, int]:
        """tantivy rewrites meta.json (a new file, renamed into place) at every commit, and at nothing else."""
        try:
            found = os.stat(self.directory / "meta.json")
        except FileNotFoundError:
            return (0, 0, 0)
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    def terms(self, text: str) -> list[str]:
        """The different terms a text is searched for (folded, in order): what a query costs grows with these."""
        return list(dict.fromkeys(runs(text[:MAX_QUERY])))

    def phrase_work(self, terms: list[str]) -> int:
        """At most how many postings checking the terms' phrases reads: per field, a phrase's bigrams times the records
        holding its rarest bigram (its positions are checked in each). Term queries are left out: one posting list a
        field each, and a query has few of them (MAX_TERMS)."""
        searcher, work = self.index.searcher(), 0
        for term in terms:
            parts = grams(term)
            if len(parts) > 1:
                work += sum(len(parts) * self._rarest(searcher, name, parts) for name in TEXT_FIELDS)
        return work

    @staticmethod
    def _rarest(searcher: Any, name: str, parts: list[str]) -> int:
        rarest = None
        for part in parts:
            found = searcher.doc_freq(name, part)
            if found == 0:
                return 0
            rarest = found if rarest is None else min(rarest, found)
        return rarest or 0

    def _search(self, query: SearchQuery) -> SearchResult:
        terms = self.terms(query.text)
        full = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in (self._text_query(terms), *self._filters(query))])
        searcher = self.index.searcher()
        options: dict[str, Any] = {"count": True, "offset": query.offset}
        if query.sort == "date" or not terms:
            options.update(order_by_field="day", order=tantivy.Order.Desc)
        found = searcher.search(full, query.limit, **options)
        hits = [self._hit(searcher.doc(address), score, terms) for score, address in found.hits]
        return SearchResult(found.count, hits, self._facets(searcher, full))

    def _text_query(self, terms: list[str]) -> Any:
        if not terms:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, self._term_query(term)) for term in terms])

    def _term_query(self, term: str) -> Any:
        """Any searched field contains the term as a substring (boosted per field; a single character in any)."""
        if len(term) == 1:
            return tantivy.Query.term_query(self.schema, CHARS, term)
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.boost_query(self._field_query(name, term), boost))
                for name, boost in TEXT_FIELDS.items()
            ]
        )

    def _field_query(self, name: str, term: str) -> Any:
        parts = grams(term)
        if len(parts) == 1:
            return tantivy.Query.term_query(self.schema, name, parts[0])
        return tantivy.Query.phrase_query(self.schema, name, parts)

    def _filters(self, query: SearchQuery) -> list[Any]:
        schema, found = self.schema, [self._visibility(query)]
        for name in KEYWORD_FIELDS:
            value = getattr(query, name)
            if value:
                found.append(tantivy.Query.term_query(schema, name, str(value)))
        for name in ("year", "security"):
            value = getattr(query, name)
            if value is not None:
                found.append(tantivy.Query.range_query(schema, name, tantivy.FieldType.Integer, int(value), int(value)))
        if query.date_from or query.date_to:
            low, high = query.date_from or dt.date.min, query.date_to or dt.date.max
            found.append(tantivy.Query.range_query(schema, "day", tantivy.FieldType.Integer, low.toordinal(), high.toordinal()))
        return found

    def _visibility(self, query: SearchQuery) -> Any:
        """DESIGN §6 inside the query: results, counts and facets never include what the user may not see."""
        v, schema = query.visibility, self.schema
        if v.open_upto < 0 and not v.approved:
            return tantivy.Query.empty_query()
        open_part = tantivy.Query.range_query(schema, "security", tantivy.FieldType.Integer, -1, v.open_upto)
        if not v.approved or v.clearance <= v.open_upto:
            return open_part
        approved = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.range_query(schema, "security", tantivy.FieldType.Integer, -1, v.clearance)),
                (tantivy.Occur.Must, tantivy.Query.term_set_query(schema, "record_id", sorted(v.approved))),
            ]
        )
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, open_part), (tantivy.Occur.Should, approved)])

    def _facets(self, searcher: Any, query: Any) -> dict[str, dict[str, int]]:
        request = {name: {"terms": {"field": name, "size": 1000}} for name in FACETS}
        answer = searcher.aggregate(query, request)
        return {name: {str(b["key"]): int(b["doc_count"]) for b in answer.get(name, {}).get("buckets", [])} for name in FACETS}

    def _hit(self, doc: Any, score: Any, terms: list[str]) -> SearchHit:
        stored = json.loads(bytes(doc.get_first("stored") or b"{}"))
        excerpt = next((s for s in (snippet(stored.get(n, ""), terms) for n in SNIPPET_FIELDS) if s), "")
        if not excerpt:
            excerpt = html.escape((stored.get("abstract") or stored.get("fulltext") or "")[:150])
        return SearchHit(
            record_id=doc.get_first("record_id"),
            score=float(score) if isinstance(score, float) else 0.0,
            title=stored.get("title", ""),
            code=stored.get("code", ""),
            date=stored.get("date"),
            security=int(doc.get_first("security") or 0),
            snippet_html=excerpt,
        )
