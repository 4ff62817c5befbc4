"""Queries over the read models. Every one takes a Visibility and applies it in SQL (never after the fact)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, Select, and_, bindparam, case, func, null, or_, select

from application.visibility import Visibility
from domain.values import SecurityLevel
from infrastructure.readmodels.tables import access_log, catalogue, catalogue_pages, record_steps, search_log

SORTS = {
    "code": (catalogue.c.fonds, catalogue.c.category, catalogue.c.year, catalogue.c.org, catalogue.c.item),
    "date": (catalogue.c.date.desc(),),
    "updated": (catalogue.c.updated_at.desc(),),
    "title": (catalogue.c.title,),
}

# A list shows no free metadata; decoding its JSON for 50 rows was a fifth of a list page's time.
LIST_COLUMNS = [column for column in catalogue.c if column.name != "metadata"]


def visible(v: Visibility) -> ColumnElement[bool]:
    """DESIGN §6 as a SQL condition on the catalogue: at or below open_upto, or below the clearance and approved."""
    approved, values = _visible_values(v)
    return _visible_shape(approved).params(values)


def _visible_shape(approved: bool) -> ColumnElement[bool]:
    """visible() with its values left as parameters, for statements built once (see _page_statements)."""
    clauses = [catalogue.c.security <= bindparam("open_upto")]
    if approved:
        clauses.append(
            and_(catalogue.c.security <= bindparam("clearance"), catalogue.c.record_id.in_(bindparam("approved", expanding=True)))
        )
    return or_(*clauses)


def _visible_values(v: Visibility) -> tuple[bool, dict[str, Any]]:
    approved = bool(v.approved) and v.clearance > v.open_upto
    values: dict[str, Any] = {"open_upto": v.open_upto}
    if approved:
        values |= {"clearance": v.clearance, "approved": sorted(v.approved)}
    return approved, values


# -- the compliance logs (DESIGN §6: a record above the officer's clearance never appears, not even in counts) -------

# Each access with its record's catalogue row, if there is one (a login refusal has no record; a probe for an id that
# never existed has no row).
_ACCESSES = access_log.outerjoin(catalogue, access_log.c.record_id == catalogue.c.record_id)


def _access_visible(v: Visibility) -> ColumnElement[bool]:
    """A view or download shows when its record is visible to the officer at the record's current level (only an
    existing record is ever viewed, so showing one of a hidden record would say that it exists). A refusal always
    shows, but see _record_shown: who was refused, when and why is the officer's business."""
    return or_(access_log.c.action == "denied", visible(v))


def _record_shown(v: Visibility) -> ColumnElement[Any]:
    """The record an access names, or NULL where the officer may not see it. A refused probe for a hidden record and
    one for an id that never existed then look exactly alike (DESIGN §6: not an existence oracle)."""
    return case((and_(catalogue.c.record_id.is_not(None), visible(v)), access_log.c.record_id), else_=null()).label("record_id")


def _hits_seen(v: Visibility) -> ColumnElement[Any]:
    """A search's hit count, or NULL when its hits could include records above what the officer sees: its ceiling
    is higher, or unknown (searches logged before ceilings were) and the officer is not cleared to the top level."""
    if v.open_upto >= max(SecurityLevel):
        return search_log.c.hits
    return case((search_log.c.ceiling <= v.open_upto, search_log.c.hits), else_=null()).label("hits")


_FILTERED = ("state", "fonds", "category", "year", "org", "retention", "security")


@dataclass(frozen=True)
class CatalogueFilter:
    state: str | None = None
    fonds: str | None = None
    category: str | None = None
    year: int | None = None
    org: str | None = None
    retention: str | None = None
    security: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def tree_path(self) -> list[str] | None:
        """The classification-tree path this filter selects, if it filters by nothing else."""
        if any(getattr(self, n) is not None for n in ("state", "retention", "security", "date_from", "date_to")):
            return None
        path = [self.fonds, self.category, None if self.year is None else str(self.year), self.org]
        given = [p for p in path if p is not None]
        return given if path[: len(given)] == given else None

    def values(self) -> dict[str, Any]:
        """What this filter asks for, by column (empty fields ask for nothing)."""
        chosen = {name: getattr(self, name) for name in _FILTERED if getattr(self, name) not in (None, "")}
        return chosen | {name: getattr(self, name) for name in ("date_from", "date_to") if getattr(self, name)}


def _filter_shape(names: tuple[str, ...]) -> list[ColumnElement[bool]]:
    found = [catalogue.c[name] == bindparam(f"is_{name}") for name in names if name in _FILTERED]
    if "date_from" in names:
        found.append(catalogue.c.date >= bindparam("is_date_from"))
    if "date_to" in names:
        found.append(catalogue.c.date <= bindparam("is_date_to"))
    return found


@lru_cache(maxsize=512)
def _page_statements(sort: str, names: tuple[str, ...], approved: bool) -> tuple[Select[Any], Select[Any]]:
    """(count, page) for one shape of query, built once: building a statement of this size cost more than running
    it (SQLAlchemy's compiled cache still needs a cache key from a new statement each time; a reused one keeps it)."""
    condition = and_(_visible_shape(approved), *_filter_shape(names))
    count = select(func.count()).select_from(catalogue).where(condition)
    order = (*SORTS.get(sort, SORTS["code"]), catalogue.c.record_id)
    # Keys first, rows after (a "deferred join"): OFFSET skips index entries, not whole rows.
    keys = (
        select(catalogue.c.record_id)
        .where(condition)
        .order_by(*order)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    return count, select(*LIST_COLUMNS).join(keys, catalogue.c.record_id == keys.c.record_id).order_by(*order)


class SqlCatalogue:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(
        self,
        v: Visibility,
        where: CatalogueFilter,
        sort: str = "code",
        offset: int = 0,
        limit: int = 50,
        total: int | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of rows and the total (counted unless the caller already knows it)."""
        approved, values = _visible_values(v)
        chosen = where.values()
        values |= {f"is_{name}": value for name, value in chosen.items()}
        count, found = _page_statements(sort if sort in SORTS else "code", tuple(chosen), approved)
        with self.engine.connect() as conn:
            if total is None:
                total = conn.execute(count, values).scalar_one()
            result = conn.execute(found, values | {"offset": max(0, offset), "limit": max(1, min(limit, 500))})
            names = list(result.keys())
            rows = [dict(zip(names, row, strict=True)) for row in result.all()]  # plain tuples: no mapping view a row
        return int(total), rows

    def record(self, v: Visibility, record_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(catalogue).where(catalogue.c.record_id == record_id, visible(v))).mappings().first()
            if row is None:
                return None
            pages = (
                conn.execute(
                    select(catalogue_pages).where(catalogue_pages.c.record_id == record_id).order_by(catalogue_pages.c.no)
                )
                .mappings()
                .all()
            )
        return {**dict(row), "pages": [dict(p) for p in pages]}

    def levels(self, record_ids: list[str]) -> dict[str, int]:
        """Today's security level of each record the catalogue knows (to grade a past view by the present too)."""
        found: dict[str, int] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(record_ids), 500):
                chunk = record_ids[start : start + 500]
                rows = conn.execute(select(catalogue.c.record_id, catalogue.c.security).where(catalogue.c.record_id.in_(chunk)))
                found.update({record_id: int(level) for record_id, level in rows})
        return found

    def queues(self, v: Visibility) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(catalogue.c.state, func.count()).where(visible(v)).group_by(catalogue.c.state))
            return {state: int(count) for state, count in rows}

    def tree(self, v: Visibility) -> list[dict[str, Any]]:
        """Counts per fonds / category / year / organisation (the classification tree), visible records only; the
        records not catalogued yet come as one row with no fonds."""
        keys = (catalogue.c.fonds, catalogue.c.category, catalogue.c.year, catalogue.c.org)
        with self.engine.connect() as conn:
            rows = conn.execute(select(*keys, func.count()).where(visible(v)).group_by(*keys).order_by(*keys))
            return [{"fonds": f, "category": c, "year": y, "org": o, "count": int(n)} for f, c, y, o, n in rows]

    # -- logs and statistics (compliance) -------------------------------------------------------------------------

    def access_log(
        self, v: Visibility, record_id: str | None = None, user_id: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        columns = [_record_shown(v) if c.name == "record_id" else c for c in access_log.c]
        columns.append(access_log.c.record_id.is_not(None).label("names_a_record"))  # withheld or not: one did
        query = select(*columns).select_from(_ACCESSES).where(_access_visible(v)).order_by(access_log.c.at.desc()).limit(limit)
        if record_id:
            query = query.where(access_log.c.record_id == record_id)
        if user_id:
            query = query.where(access_log.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def search_log(self, v: Visibility, user_id: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        columns = [c for c in search_log.c if c.name not in ("hits", "ceiling")]
        query = select(*columns, _hits_seen(v)).order_by(search_log.c.at.desc()).limit(limit)
        if user_id:
            query = query.where(search_log.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def usage(self, v: Visibility) -> dict[str, list[dict[str, Any]]]:
        """Use per day, per category and per user group (accesses by action, of what the officer may see; searches:
        a count of searches, not of records, so all of them)."""
        with self.engine.connect() as conn:

            def grouped(query, *columns):  # type: ignore[no-untyped-def]
                rows = conn.execute(query.add_columns(*columns, func.count()).group_by(*columns).order_by(*columns))
                return [{**dict(zip([c.name for c in columns], row[:-1], strict=True)), "count": int(row[-1])} for row in rows]

            def accesses(*keys):  # type: ignore[no-untyped-def]
                return grouped(select().select_from(_ACCESSES).where(_access_visible(v)), *[access_log.c[k] for k in keys])

            def searches(key):  # type: ignore[no-untyped-def]
                return grouped(select().select_from(search_log), search_log.c[key])

            return {
                "accesses_per_day": accesses("day", "action"),
                "accesses_per_category": accesses("category", "action"),
                "accesses_per_group": accesses("user_group", "action"),
                "searches_per_day": searches("day"),
                "searches_per_group": searches("user_group"),
            }

    def step_times(self) -> list[dict[str, Any]]:
        """For each workflow step, how long records took to reach it from the previous step (service timings)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(record_steps).order_by(record_steps.c.record_id, record_steps.c.version)).mappings().all()
        return [dict(r) for r in rows]
