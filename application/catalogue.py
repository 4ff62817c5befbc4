"""Reading the catalogue: browse, one record, work queues, classification tree, and the compliance views (access and
search logs, usage statistics, service timings). Clearance is applied inside every query (application/visibility.py);
a record above it does not exist for the reader — the answer is the same as for a record that never existed — and
the refused attempt is recorded as an AccessDenied event. The compliance logs are graded the same way.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, NoReturn, Protocol
from uuid import UUID

from application.archive import HIDDEN_OR_ABSENT, Archive, NotFound
from application.authorisation import Action, Actor
from application.visibility import Visibility, visibility_with
from domain.activity import ActivityLog

# Work queues by state (issue 3): what each desk has to do next.
# The classification tree counts every visible record: kept a few seconds per clearance, not recounted per page.
TREE_SECONDS = 5.0
# Which permission works each queue (DESIGN §3 workflow).
QUEUE_ACTIONS = {
    "to_catalogue": Action.CATALOGUE,
    "to_review": Action.REVIEW,
    "to_appraise": Action.APPRAISE,
    "to_scan": Action.SCAN,
    "to_process": Action.PROCESS,
    "to_check": Action.QC,
    "qc_failed_or_rework": Action.QC,
    "to_recognise": Action.OCR,
    "to_ingest": Action.INGEST,
}
QUEUES = {
    "to_catalogue": ["collected"],
    "to_review": ["catalogued"],
    "to_appraise": ["reviewed"],
    "to_scan": ["appraised"],
    "to_process": ["scanned"],
    "to_check": ["processed"],
    "qc_failed_or_rework": ["qc_failed", "rework"],
    "to_recognise": ["qc_passed"],
    "to_ingest": ["text_recognised"],
}


class _All:
    """A filter that filters nothing."""

    def values(self) -> dict[str, Any]:
        return {}


_ALL = _All()


class CatalogueQueries(Protocol):
    def page(
        self, v: Visibility, where: Any, sort: str = "code", offset: int = 0, limit: int = 50, total: int | None = None
    ) -> tuple[int, list[dict[str, Any]]]: ...
    def record(self, v: Visibility, record_id: str) -> dict[str, Any] | None: ...
    def levels(self, record_ids: list[str]) -> dict[str, int]: ...
    def queues(self, v: Visibility) -> dict[str, int]: ...
    def tree(self, v: Visibility) -> list[dict[str, Any]]: ...
    def access_log(
        self, v: Visibility, record_id: str | None = None, user_id: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]: ...
    def search_log(self, v: Visibility, user_id: str | None = None, limit: int = 500) -> list[dict[str, Any]]: ...
    def usage(self, v: Visibility) -> dict[str, list[dict[str, Any]]]: ...
    def step_times(self) -> list[dict[str, Any]]: ...


class Projections(Protocol):
    def run(self, limit: int = 500, progress: Any = None) -> int: ...

    def wait_for(self, position: int, timeout: float = 10.0) -> None: ...


class PastCatalogue(Protocol):
    def rows(self, moment: datetime, batch: int = 2000, progress: Any = None) -> list[dict[str, Any]]: ...


class Catalogue:
    def __init__(
        self,
        archive: Archive,
        queries: CatalogueQueries,
        projections: Projections,
        past: PastCatalogue,
        grants: Callable[[Actor], frozenset[str]] | None = None,
        purposes: Callable[[Actor, str], str | None] | None = None,
    ) -> None:
        self.grants = grants or (lambda actor: frozenset())
        self.purposes = purposes or (lambda actor, record_id: None)
        self.archive = archive
        self.queries = queries
        self.projections = projections
        self.past = past
        self._trees: dict[Visibility, tuple[float, dict[str, Any]]] = {}  # per clearance, briefly
        self._tree_lock = threading.Lock()

    def visibility(self, actor: Actor) -> Visibility:
        return visibility_with(actor, self.grants)  # with approved access requests (DESIGN §6)

    def refresh(self, upto: int | None = None) -> None:
        """Read-your-writes. Without `upto`: bring the read models up to the latest event. With it: only make sure
        they have seen the caller's own last write (a web page after a form); otherwise the serving process's
        follower keeps them current within a second, and a page view does no projection work at all."""
        if upto is None:
            self.projections.run()
        elif upto > 0:
            self.projections.wait_for(upto)

    def browse(
        self, actor: Actor, where: Any, sort: str = "code", offset: int = 0, limit: int = 50
    ) -> tuple[int, list[dict[str, Any]]]:
        self.archive.authorise(actor, Action.READ)
        return self.queries.page(self.visibility(actor), where, sort, offset, limit, total=self._tree_count(actor, where))

    def _tree_count(self, actor: Actor, where: Any) -> int | None:
        """A list filtered by the classification alone takes its total from the (briefly cached) tree instead of
        counting the table again on every page."""
        path = where.tree_path() if hasattr(where, "tree_path") else None
        if path is None:
            return None
        node = self.tree(actor)
        for key in path:
            node = node["children"].get(key)
            if node is None:
                return 0
        return int(node["count"])

    def everything(self, actor: Actor, batch: int = 500) -> list[dict[str, Any]]:
        """Every visible record in 档号 order (exports)."""
        self.archive.authorise(actor, Action.READ)
        rows: list[dict[str, Any]] = []
        while True:
            total, page = self.queries.page(self.visibility(actor), _ALL, "code", len(rows), batch)
            rows.extend(page)
            if not page or len(rows) >= total:
                return rows

    def record(self, actor: Actor, record_id: UUID) -> dict[str, Any]:
        self.archive.authorise(actor, Action.READ, record_id=str(record_id))
        row = self.queries.record(self.visibility(actor), str(record_id))
        if row is None:
            self.refuse_view(actor, record_id)
        self.note_view(actor, record_id, row.get("category"))
        return row

    def note_view(self, actor: Actor, record_id: UUID, category: str | None) -> None:
        """The access log (DESIGN §3): who read which record, when, and for what purpose."""
        self.archive.record_activity(
            actor, ActivityLog.RecordViewed, record_id=str(record_id), purpose=self.purpose_of(actor, record_id), category=category
        )

    def purpose_of(self, actor: Actor, record_id: UUID) -> str | None:
        """The purpose a view is recorded with: the one stated in the access request that lets the actor read the
        record, if one does. A purpose is stated by a POST (the request), never by a link someone else can send."""
        if str(record_id) not in self.visibility(actor).approved:
            return None
        return self.purposes(actor, str(record_id))

    def refuse_view(self, actor: Actor, record_id: UUID) -> NoReturn:
        """DESIGN §6: the refusal is an event; the answer is the one a record that never existed gets."""
        self.archive.deny(actor, "view", HIDDEN_OR_ABSENT, record_id=str(record_id))
        raise NotFound(f"no record {record_id}")

    def queues(self, actor: Actor) -> dict[str, int]:
        self.archive.authorise(actor, Action.READ)
        counts = self.queries.queues(self.visibility(actor))
        return {queue: sum(counts.get(s, 0) for s in states) for queue, states in QUEUES.items()}

    def my_queues(self, actor: Actor) -> dict[str, int]:
        """The queues of the work this actor's roles do (the dashboard); all of them for the local operator."""
        return {q: n for q, n in self.queues(actor).items() if actor.is_system or actor.may(QUEUE_ACTIONS[q])}

    def tree(self, actor: Actor) -> dict[str, Any]:
        """fonds -> category -> year -> org -> count, each level with its total."""
        self.archive.authorise(actor, Action.READ)
        v = self.visibility(actor)
        cached = self._trees.get(v)
        if cached and time.monotonic() - cached[0] < TREE_SECONDS:
            return cached[1]
        # One thread recounts; the others keep showing the tree of a few seconds ago meanwhile (no stampede).
        if not self._tree_lock.acquire(blocking=cached is None):
            return cached[1]  # type: ignore[index]
        try:
            cached = self._trees.get(v)
            if cached and time.monotonic() - cached[0] < TREE_SECONDS:
                return cached[1]
            return self._count_tree(v)
        finally:
            self._tree_lock.release()

    def _count_tree(self, v: Visibility) -> dict[str, Any]:
        root: dict[str, Any] = {"count": 0, "children": {}}
        for row in self.queries.tree(v):
            node = root
            node["count"] += row["count"]  # the whole list's total, records not catalogued yet included
            if row["fonds"] is None:
                continue  # they have no place in the tree
            for key in (row["fonds"], row["category"], str(row["year"]), row["org"]):
                node = node["children"].setdefault(key, {"count": 0, "children": {}})
                node["count"] += row["count"]
        self._trees[v] = (time.monotonic(), root)
        return root

    def as_of(self, actor: Actor, moment: datetime, progress: Any = None) -> list[dict[str, Any]]:
        """The catalogue as it stood at `moment` (built from the events up to then, never from today's rows), graded
        by the higher of each record's level then and now (DESIGN §6): a record hidden from the actor today, or
        classified above them at that moment, is not in it. A record the read models do not know yet counts as
        hidden."""
        self.archive.authorise(actor, Action.READ_HISTORY)
        v = self.visibility(actor)
        rows = self.past.rows(moment, progress=progress)
        self.refresh()  # today's levels include everything recorded up to now
        now = self.queries.levels([row["record_id"] for row in rows])
        return [r for r in rows if r["record_id"] in now and v.allows_then(r["security"], now[r["record_id"]], r["record_id"])]

    # -- compliance -------------------------------------------------------------------------------------------
    # The logs are graded by the officer's own clearance (DESIGN §6: a record above it never appears, not even in
    # counts): a view of such a record is left out of the log and of the statistics, and a search whose hits could
    # include such records shows its query but no count (hits None).

    def access_log(self, actor: Actor, record_id: str | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
        self.archive.authorise(actor, Action.READ_LOGS)
        return self.queries.access_log(self.visibility(actor), record_id, user_id)

    def search_log(self, actor: Actor, user_id: str | None = None) -> list[dict[str, Any]]:
        self.archive.authorise(actor, Action.READ_LOGS)
        return self.queries.search_log(self.visibility(actor), user_id)

    def usage(self, actor: Actor) -> dict[str, list[dict[str, Any]]]:
        self.archive.authorise(actor, Action.READ_LOGS)
        return self.queries.usage(self.visibility(actor))

    def service_timings(self, actor: Actor) -> list[dict[str, Any]]:
        """Hours from one workflow step to the next (e.g. collected → catalogued), over all records."""
        self.archive.authorise(actor, Action.READ_LOGS)
        spans: dict[tuple[str, str], list[float]] = defaultdict(list)
        previous: dict[str, Any] = {}
        for step in self.queries.step_times():
            before = previous.get(step["record_id"])
            if before is not None:
                hours = (datetime.fromisoformat(step["at"]) - datetime.fromisoformat(before["at"])).total_seconds() / 3600
                spans[(before["state"], step["state"])].append(hours)
            previous[step["record_id"]] = step
        return [
            {
                "from": a,
                "to": b,
                "count": len(v),
                "mean_hours": round(statistics.fmean(v), 3),
                "median_hours": round(statistics.median(v), 3),
                "max_hours": round(max(v), 3),
            }
            for (a, b), v in sorted(spans.items())
        ]
