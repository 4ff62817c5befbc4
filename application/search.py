"""Full-text search over the records a user may see; every search is itself an event (ActivityLog.Searched)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from application.archive import Archive
from application.authorisation import Action, Actor
from application.visibility import Visibility, visibility_with
from domain.activity import ActivityLog
from domain.errors import InvalidValue

FACETS = ("category", "fonds", "year", "org", "retention", "security")
MAX_OFFSET = 10_000  # deep paging costs the index more than it helps a reader (and huge offsets overflow it)
MAX_TEXT = 200
# A query's cost grows with its different terms (each is matched in every searched field): 16 is more than a reader
# types, and keeps the costliest query within ~10× a one-word one (benchmarks/README.md, issue 11).
MAX_TERMS = 16
# Phrases (words of 3+ characters) found in nearly every record cost ~5 ms each at 100,000 records, positions checked
# in every one: their work is estimated before running, and above this many postings a record refused (~10× a
# normal query). Small archives are never refused for it.
MAX_PHRASE_WORK = 6
_PHRASE_WORK_FROM = 10_000


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    visibility: Visibility = field(default_factory=lambda: Visibility(-1, -1))
    category: str | None = None
    fonds: str | None = None
    year: int | None = None
    org: str | None = None
    retention: str | None = None
    security: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"  # or "date" (newest first)
    offset: int = 0
    limit: int = 20

    def filters(self) -> dict[str, Any]:
        """What the user filtered by, as recorded in the search log."""
        chosen = {name: getattr(self, name) for name in (*FACETS, "date_from", "date_to") if getattr(self, name) is not None}
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in chosen.items()} | {"sort": self.sort}


@dataclass(frozen=True)
class SearchHit:
    record_id: str
    score: float
    title: str
    code: str
    date: str | None
    security: int
    snippet_html: str  # HTML-escaped text with <mark>…</mark> around the matches


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]


class SearchIndex(Protocol):
    def upsert(self, docs: list[dict[str, Any]]) -> None: ...
    def delete(self, record_ids: list[str]) -> None: ...
    def clear(self) -> None: ...
    def search(self, query: SearchQuery) -> SearchResult: ...
    def count(self) -> int: ...
    def terms(self, text: str) -> list[str]: ...  # the different terms the index would search the text for
    def phrase_work(self, terms: list[str]) -> int: ...  # postings that checking their phrases reads, at most


def refuse_costly(index: SearchIndex, text: str) -> None:
    """Refuse, before it runs, a query of more different terms than MAX_TERMS or of phrases found nearly everywhere."""
    terms = index.terms(text)
    if len(terms) > MAX_TERMS:
        raise InvalidValue(f"a search can have up to {MAX_TERMS} different words; this one has {len(terms)}: leave some out")
    if index.phrase_work(terms) > MAX_PHRASE_WORK * max(index.count(), _PHRASE_WORK_FROM):
        raise InvalidValue("these words are each in nearly every record, too many to search for at once: leave some out")


class Search:
    def __init__(self, archive: Archive, index: SearchIndex, grants: Callable[[Actor], frozenset[str]] | None = None) -> None:
        self.archive = archive
        self.index = index
        self.grants = grants or (lambda actor: frozenset())

    def search(self, actor: Actor, query: SearchQuery, approved: frozenset[str] | None = None) -> SearchResult:
        self.archive.authorise(actor, Action.SEARCH)
        if query.offset > MAX_OFFSET:
            raise InvalidValue(f"results can be paged up to {MAX_OFFSET:,}; narrow the search with filters instead")
        if query.year is not None and not 1 <= query.year <= 9999:
            raise InvalidValue(f"year {query.year} is not a year")
        scoped = replace(
            query,
            visibility=visibility_with(actor, self.grants if approved is None else lambda _actor: approved),
            limit=max(1, min(query.limit, 100)),
            offset=max(0, query.offset),
            text=query.text[:MAX_TEXT],
        )
        refuse_costly(self.index, scoped.text)
        result = self.index.search(scoped)
        self.archive.record_activity(
            actor,
            ActivityLog.Searched,
            query=scoped.text,
            filters=scoped.filters(),
            hits=result.total,
            ceiling=scoped.visibility.ceiling,  # who may later see this count in the search log (DESIGN §6)
        )
        return result
