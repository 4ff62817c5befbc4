"""The JSON API (/api/v1): the ledger endpoints of DESIGN §4 and the commands and queries the pages use.

Errors are {"error": {"code", "message"}} with a 4xx status for the caller's mistakes. Writes need a bearer token
(`archive token create` or the account page): a browser session cannot post here, so there is nothing to forge.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from flask import Blueprint, g, jsonify, request

from application.authorisation import Action, Forbidden
from application.history import parse_moment
from application.search import MAX_OFFSET, SearchQuery
from domain.errors import InvalidValue
from domain.values import Retention, SecurityLevel
from web.auth import login_required, services
from web.forms import LARGEST, VERSIONS, YEARS, json_fields, json_strings, json_text, optional_number, uuid_of, whole_number
from web.openapi import OPENAPI

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_ENTRIES = 1000


def _args_int(name: str, default: int | None = None, minimum: int = 0, maximum: int = LARGEST) -> int:
    value = optional_number(request.args.get(name), name, minimum=minimum, maximum=maximum, default=default)
    if value is None:
        raise InvalidValue(f"the query parameter {name} is required")
    return value


def _body() -> dict[str, Any]:
    if not g.get("token_auth"):
        raise Forbidden("writing through the API needs a bearer token")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidValue("send a JSON object (Content-Type: application/json)")
    return data


def _uuid(text: str, what: str = "record") -> UUID:
    return uuid_of(text, what)


def _moment(name: str) -> datetime:
    """An ISO 8601 time from the query (a bare date: the end of that day; no zone: UTC), held in UTC so that a
    far-off zone at the ends of the calendar is refused here rather than overflowing a comparison later."""
    raw = request.args.get(name)
    if not raw:
        raise InvalidValue(f"the query parameter {name} is required (ISO 8601, e.g. 2026-03-01T09:30:00+08:00)")
    try:
        return parse_moment(raw).astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"{raw!r} is outside the calendar") from None


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A catalogue row as JSON: dates as ISO 8601 (Flask would write them as HTTP dates)."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


def _page() -> tuple[int, int]:
    """offset and limit of a list (at most 100 a call, as search)."""
    return _args_int("offset", 0, maximum=MAX_OFFSET), _args_int("limit", 50, minimum=1, maximum=100)


def _year() -> int | None:
    return optional_number(request.args.get("year"), "year", minimum=YEARS[0], maximum=YEARS[1])


@blueprint.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(OPENAPI)


# -- ledger (DESIGN §4) ------------------------------------------------------------------------------------------


@blueprint.get("/ledger/checkpoint")
def latest_checkpoint():  # type: ignore[no-untyped-def]
    checkpoint = services().ledger.latest_checkpoint()
    if checkpoint is None:
        return jsonify(error={"code": "no_checkpoint", "message": "no checkpoint has been signed yet"}), 404
    return jsonify(checkpoint)


@blueprint.get("/ledger/keys")
def public_keys():  # type: ignore[no-untyped-def]
    return jsonify(keys=services().keyring.public_keys())


@blueprint.get("/ledger/entries")
@login_required
def entries():  # type: ignore[no-untyped-def]
    services().archive.authorise(g.actor, Action.AUDIT_LEDGER)
    start = _args_int("start", 1, minimum=1)
    end = min(_args_int("end", start + MAX_ENTRIES - 1, minimum=start, maximum=LARGEST + MAX_ENTRIES), start + MAX_ENTRIES - 1)
    return jsonify(entries=list(services().ledger.entries(start, end)))


@blueprint.get("/ledger/proof/inclusion")
@login_required
def inclusion():  # type: ignore[no-untyped-def]
    services().archive.authorise(g.actor, Action.AUDIT_LEDGER)
    return jsonify(services().ledger.inclusion_proof(_args_int("seq", minimum=1), _args_int("size", minimum=1)))


@blueprint.get("/ledger/proof/consistency")
@login_required
def consistency():  # type: ignore[no-untyped-def]
    services().archive.authorise(g.actor, Action.AUDIT_LEDGER)
    return jsonify(services().ledger.consistency_proof(_args_int("first", minimum=1), _args_int("second", minimum=1)))


# -- records --------------------------------------------------------------------------------------------------------


@blueprint.get("/search")
@login_required
def search():  # type: ignore[no-untyped-def]
    svc, a = services(), request.args
    svc.catalogue.refresh()
    security = a.get("security")
    query = SearchQuery(
        text=a.get("q", ""),
        category=a.get("category") or None,
        year=_year(),
        security=int(SecurityLevel.parse(security)) if security else None,
        offset=_args_int("offset", 0, maximum=MAX_OFFSET),
        limit=_args_int("limit", 20, minimum=1, maximum=100),
    )
    result = svc.search.search(g.actor, query)
    return jsonify(total=result.total, facets=result.facets, hits=[vars(h) for h in result.hits])


@blueprint.get("/queues")
@login_required
def queues():  # type: ignore[no-untyped-def]
    services().catalogue.refresh()
    return jsonify(services().catalogue.queues(g.actor))


@blueprint.get("/records/<record_id>")
@login_required
def record(record_id: str):  # type: ignore[no-untyped-def]
    svc = services()
    svc.catalogue.refresh()
    return jsonify(svc.catalogue.record(g.actor, _uuid(record_id)))


@blueprint.get("/records/<record_id>/history")
@login_required
def history(record_id: str):  # type: ignore[no-untyped-def]
    return jsonify(events=[item.as_json() for item in services().desk.timeline(g.actor, _uuid(record_id))])


@blueprint.post("/records")
@login_required
def register():  # type: ignore[no-untyped-def]
    data = _body()
    record_id = services().archive.collect(
        g.actor,
        title=json_text(data.get("title"), "title"),
        source=json_text(data.get("source"), "source"),
        metadata=json_fields(data.get("metadata"), "metadata"),
        security=_level(data.get("security"), SecurityLevel.PUBLIC),  # as the office marked it (DESIGN §6)
    )
    return jsonify(record_id=str(record_id)), 201


@blueprint.post("/records/<record_id>/catalogue")
@login_required
def catalogue(record_id: str):  # type: ignore[no-untyped-def]
    d = _body()
    year = whole_number(d.get("year"), "year", minimum=YEARS[0], maximum=YEARS[1], echo=False)
    code = services().archive.catalogue(
        g.actor,
        _uuid(record_id),
        fonds=str(d.get("fonds", "")).upper(),
        category=str(d.get("category", "")).upper(),
        year=year,
        org=str(d.get("org", "")).upper(),
        classification=str(d.get("classification") or d.get("org") or ""),
        retention=Retention.parse(str(d["retention"])) if d.get("retention") else None,
    )
    return jsonify(code=str(code))


@blueprint.post("/records/<record_id>/review")
@login_required
def review(record_id: str):  # type: ignore[no-untyped-def]
    d = _body()
    services().archive.review(
        g.actor, _uuid(record_id), passed=_flag(d.get("passed"), "passed"), findings=json_strings(d.get("findings"), "findings")
    )
    return jsonify(ok=True)


@blueprint.post("/records/<record_id>/appraise")
@login_required
def appraise(record_id: str):  # type: ignore[no-untyped-def]
    d = _body()
    done = services().archive.appraise(
        g.actor,
        _uuid(record_id),
        retention=Retention.parse(json_text(d.get("retention"), "retention")),
        security=_level(d.get("security")),
        reason=json_text(d.get("reason"), "reason") or None,
    )
    # With double appraisal (DESIGN §6) the first appraiser's word is a proposal: no 档号 yet, a second must confirm.
    return jsonify(
        code=str(done.code) if done.code else None,
        awaiting_second_appraiser=done.awaiting_second_appraiser,
        proposed_by=done.proposed_by,
    )


# -- digitisation ---------------------------------------------------------------------------------------------------


def _level(value: Any, default: SecurityLevel | None = None) -> SecurityLevel:
    """A security level from JSON: a name (公开 … 绝密, public … top_secret) or its number 0-4."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidValue("security is a level: 公开, 内部, 秘密, 机密, 绝密 (or public … top_secret, 0-4)")
    return SecurityLevel.parse(value)


def _flag(value: Any, name: str) -> bool:
    if value is not None and not isinstance(value, bool):
        raise InvalidValue(f"{name} is true or false")
    return bool(value)


def _token_only() -> None:
    if not g.get("token_auth"):
        raise Forbidden("writing through the API needs a bearer token")


@blueprint.post("/records/<record_id>/pages")
@login_required
def upload_pages(record_id: str):  # type: ignore[no-untyped-def]
    """Multipart upload of page images (field `pages`, repeatable): scanned, processed and checked in one call."""
    _token_only()
    from application.digitisation import Upload

    uploads = [Upload(f.filename or "page", f.read()) for f in request.files.getlist("pages") if f.filename]
    d, rid = services().digitisation, _uuid(record_id)
    d.scan(g.actor, rid, uploads)
    d.process(g.actor, rid)
    failures = d.check(rid)
    return jsonify(qc="failed" if failures else "passed", failures=failures)


@blueprint.post("/records/<record_id>/qc")
@login_required
def quality_check(record_id: str):  # type: ignore[no-untyped-def]
    d = _body()
    reason = json_text(d.get("reason"), "reason")
    if d.get("decision") == "override":
        services().digitisation.override(g.actor, _uuid(record_id), reason)
        return jsonify(qc="passed")
    if d.get("decision") == "rework":
        pages = d.get("pages") or []
        if not isinstance(pages, list):
            raise InvalidValue("pages is a list of page numbers")
        numbers = [whole_number(p, "a page number", minimum=1, maximum=100_000) for p in pages]
        return jsonify(rework=services().digitisation.rework(g.actor, _uuid(record_id), numbers or None, reason=reason or None))
    raise InvalidValue('decision is "override" (with a reason) or "rework" (optionally with pages)')


@blueprint.post("/records/<record_id>/ocr")
@login_required
def recognise(record_id: str):  # type: ignore[no-untyped-def]
    _token_only()
    text = services().digitisation.recognise(g.actor, _uuid(record_id))
    return jsonify(characters=len(text.replace("\f", "")))


@blueprint.post("/records/<record_id>/ingest")
@login_required
def ingest(record_id: str):  # type: ignore[no-untyped-def]
    _token_only()
    return jsonify(package=services().digitisation.ingest(g.actor, _uuid(record_id)))


# -- the past of a record (compliance: DESIGN §6 gives history to archivists, appraisers and compliance) ----------


@blueprint.get("/records/<record_id>/versions/<int:version>")
@login_required
def record_version(record_id: str, version: int):  # type: ignore[no-untyped-def]
    if version < VERSIONS[0]:
        raise InvalidValue("versions count from 1")
    return jsonify(services().desk.state_at(g.actor, _uuid(record_id), version))


@blueprint.get("/records/<record_id>/as-of")
@login_required
def record_as_of(record_id: str):  # type: ignore[no-untyped-def]
    return jsonify(services().desk.state_as_of(g.actor, _uuid(record_id), _moment("time")))


@blueprint.get("/records/<record_id>/diff")
@login_required
def record_diff(record_id: str):  # type: ignore[no-untyped-def]
    first, second = _args_int("from", minimum=1, maximum=VERSIONS[1]), _args_int("to", minimum=1, maximum=VERSIONS[1])
    changes = services().desk.diff(g.actor, _uuid(record_id), first, second)
    return jsonify(changes=[change.as_json() for change in changes])


# -- the catalogue ------------------------------------------------------------------------------------------------


@blueprint.get("/catalogue")
@login_required
def catalogue_list():  # type: ignore[no-untyped-def]
    """The browse page's list: filtered by the classification (and state); only what the caller may see is counted."""
    svc, a = services(), request.args
    svc.catalogue.refresh()
    where = svc.catalogue_filter(
        state=a.get("state") or None,
        fonds=a.get("fonds") or None,
        category=a.get("category") or None,
        year=_year(),
        org=a.get("org") or None,
    )
    offset, limit = _page()
    total, rows = svc.catalogue.browse(g.actor, where, offset=offset, limit=limit)
    return jsonify(total=total, records=[_plain(row) for row in rows])


@blueprint.get("/catalogue/tree")
@login_required
def catalogue_tree():  # type: ignore[no-untyped-def]
    services().catalogue.refresh()
    return jsonify(services().catalogue.tree(g.actor))


@blueprint.get("/catalogue/as-of")
@login_required
def catalogue_as_of():  # type: ignore[no-untyped-def]
    """The catalogue as it stood at a moment, replayed from the events (the compliance page streams it; here one
    answer, a page of it at a time, with the total then)."""
    moment = _moment("time")
    offset, limit = _page()
    rows = services().catalogue.as_of(g.actor, moment)
    return jsonify(total=len(rows), records=[_plain(row) for row in rows[offset : offset + limit]])


# -- compliance logs (DESIGN §6: compliance reads the logs) ---------------------------------------------------------


@blueprint.get("/compliance/access-log")
@login_required
def access_log():  # type: ignore[no-untyped-def]
    a = request.args
    services().catalogue.refresh()
    rows = services().catalogue.access_log(g.actor, record_id=a.get("record_id") or None, user_id=a.get("user_id") or None)
    return jsonify(entries=rows)


@blueprint.get("/compliance/search-log")
@login_required
def search_log():  # type: ignore[no-untyped-def]
    services().catalogue.refresh()
    return jsonify(entries=services().catalogue.search_log(g.actor, user_id=request.args.get("user_id") or None))


@blueprint.get("/compliance/usage")
@login_required
def usage():  # type: ignore[no-untyped-def]
    services().catalogue.refresh()
    return jsonify(services().catalogue.usage(g.actor))


# -- transfers (移交) ---------------------------------------------------------------------------------------------


@blueprint.post("/transfers")
@login_required
def register_transfer():  # type: ignore[no-untyped-def]
    d = _body()
    transfer_id = services().archive.register_transfer(
        g.actor, department=str(d.get("department", "")), expected=json_strings(d.get("expected"), "expected")
    )
    return jsonify(transfer_id=str(transfer_id)), 201


@blueprint.get("/transfers/<transfer_id>")
@login_required
def transfer(transfer_id: str):  # type: ignore[no-untyped-def]
    return jsonify(services().transfers.load(g.actor, _uuid(transfer_id, "transfer")).as_json())


def _received_items(value: Any, department: str) -> list[tuple[str, UUID, dict[str, Any]]]:
    """[{"item", "title"?, "security"?}] as the transfer page's "item,title,level" lines: the title defaults to the
    item, the source is the handing-over department, the level is what the department marked (公开 if none)."""
    if not isinstance(value, list) or not all(isinstance(v, dict) and isinstance(v.get("item"), str) for v in value):
        raise InvalidValue('items is a list of {"item": "...", "title": "...", "security": "..."}')
    return [
        (
            v["item"].strip(),
            uuid4(),
            {
                "title": json_text(v.get("title"), "title") or v["item"],
                "source": department,
                "security": _level(v.get("security"), SecurityLevel.PUBLIC),
            },
        )
        for v in value
    ]


@blueprint.post("/transfers/<transfer_id>/receive")
@login_required
def receive(transfer_id: str):  # type: ignore[no-untyped-def]
    d, svc, tid = _body(), services(), _uuid(transfer_id, "transfer")
    items = _received_items(d.get("items"), svc.transfers.load(g.actor, tid).department)
    return jsonify(record_ids=[str(r) for r in svc.archive.receive_batch(g.actor, tid, items)])


@blueprint.post("/transfers/<transfer_id>/check")
@login_required
def check_receipt(transfer_id: str):  # type: ignore[no-untyped-def]
    _token_only()
    missing = services().archive.check_receipt(g.actor, _uuid(transfer_id, "transfer"))
    return jsonify(missing=missing, complete=not missing)


# -- access requests (DESIGN §6: 秘密 and above need an approved request) --------------------------------------------


@blueprint.post("/access-requests")
@login_required
def ask_access():  # type: ignore[no-untyped-def]
    d = _body()
    request_id = services().access.ask(g.actor, _uuid(str(d.get("record_id", ""))), json_text(d.get("purpose"), "purpose"))
    return jsonify(request_id=str(request_id)), 201


@blueprint.post("/access-requests/<request_id>/decision")
@login_required
def decide_access(request_id: str):  # type: ignore[no-untyped-def]
    d = _body()
    if not isinstance(d.get("approve"), bool):
        raise InvalidValue("approve is true or false")
    reason = json_text(d.get("reason"), "reason") or None
    services().access.decide(g.actor, _uuid(request_id, "request"), d["approve"], reason)
    return jsonify(status="approved" if d["approve"] else "refused")


@blueprint.get("/access-requests/pending")
@login_required
def pending_access():  # type: ignore[no-untyped-def]
    """Undecided requests on records the decider may see, oldest first."""
    pending = services().access.pending(g.actor)
    return jsonify(
        requests=[
            {
                "request_id": str(req.id),
                "requester": req.requester,
                "purpose": req.purpose,
                "record_id": req.record_id,
                "title": record.title,
                "code": str(record.code) if record.code else None,
            }
            for req, record in pending
        ]
    )
