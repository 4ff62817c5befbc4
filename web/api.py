"""The JSON API (/api/v1): the ledger endpoints of DESIGN §4 and the commands and queries the pages use.

Errors are {"error": {"code", "message"}} with a 4xx status for the caller's mistakes. Writes need a bearer token
(`archive token create` or the account page): a browser session cannot post here, so there is nothing to forge.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, g, jsonify, request

from application.authorisation import Action, Forbidden, authorise
from application.search import SearchQuery
from domain.errors import InvalidValue
from domain.values import Retention, SecurityLevel
from web.auth import login_required, services
from web.openapi import OPENAPI

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_ENTRIES = 1000


def _args_int(name: str, default: int | None = None, minimum: int = 0) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        if default is None:
            raise InvalidValue(f"the query parameter {name} is required")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidValue(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise InvalidValue(f"{name} must be at least {minimum}")
    return value


def _body() -> dict[str, Any]:
    if not g.get("token_auth"):
        raise Forbidden("writing through the API needs a bearer token")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidValue("send a JSON object (Content-Type: application/json)")
    return data


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a record id") from None


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
    authorise(g.actor, Action.AUDIT_LEDGER)
    start = _args_int("start", 1, minimum=1)
    end = min(_args_int("end", start + MAX_ENTRIES - 1, minimum=start), start + MAX_ENTRIES - 1)
    return jsonify(entries=list(services().ledger.entries(start, end)))


@blueprint.get("/ledger/proof/inclusion")
@login_required
def inclusion():  # type: ignore[no-untyped-def]
    authorise(g.actor, Action.AUDIT_LEDGER)
    return jsonify(services().ledger.inclusion_proof(_args_int("seq", minimum=1), _args_int("size", minimum=1)))


@blueprint.get("/ledger/proof/consistency")
@login_required
def consistency():  # type: ignore[no-untyped-def]
    authorise(g.actor, Action.AUDIT_LEDGER)
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
        year=_args_int("year", 0) or None,
        security=int(SecurityLevel.parse(security)) if security else None,
        offset=_args_int("offset", 0),
        limit=min(_args_int("limit", 20, minimum=1), 100),
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
    return jsonify(svc.catalogue.record(g.actor, _uuid(record_id), purpose=request.args.get("purpose")))


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
        title=str(data.get("title", "")),
        source=str(data.get("source", "")),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )
    return jsonify(record_id=str(record_id)), 201


@blueprint.post("/records/<record_id>/catalogue")
@login_required
def catalogue(record_id: str):  # type: ignore[no-untyped-def]
    d = _body()
    try:
        year = int(d.get("year", 0))
    except (TypeError, ValueError):
        raise InvalidValue("year must be a whole number") from None
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
        g.actor, _uuid(record_id), passed=bool(d.get("passed")), findings=[str(x) for x in d.get("findings") or []]
    )
    return jsonify(ok=True)


@blueprint.post("/records/<record_id>/appraise")
@login_required
def appraise(record_id: str):  # type: ignore[no-untyped-def]
    d = _body()
    code = services().archive.appraise(
        g.actor,
        _uuid(record_id),
        retention=Retention.parse(str(d.get("retention", ""))),
        security=SecurityLevel.parse(str(d.get("security", ""))),
        reason=d.get("reason"),
    )
    return jsonify(code=str(code) if code else None)


# -- digitisation ---------------------------------------------------------------------------------------------------


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
    if d.get("decision") == "override":
        services().digitisation.override(g.actor, _uuid(record_id), str(d.get("reason") or ""))
        return jsonify(qc="passed")
    if d.get("decision") == "rework":
        pages = [int(p) for p in d.get("pages") or [] if str(p).isdigit()]
        return jsonify(rework=services().digitisation.rework(g.actor, _uuid(record_id), pages or None, reason=d.get("reason")))
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
