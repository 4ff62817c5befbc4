"""The archivists' pages. Each view: parse the form, call one application method, render (errors in place)."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode
from uuid import UUID, uuid4

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    stream_template,
    url_for,
)
from flask_babel import gettext as _

from application.authorisation import Action
from application.digitisation import Upload
from application.history import parse_moment
from application.search import MAX_OFFSET, SearchQuery
from domain.errors import DomainError
from domain.records import Medium
from domain.values import Retention, SecurityLevel
from web.auth import login_required, services
from web.forms import LARGEST, VERSIONS, YEARS, optional_number
from web.progress import Running

blueprint = Blueprint("pages", __name__)
LEVELS = list(SecurityLevel)


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        abort(404)


def fresh() -> None:
    """Read-your-writes for this browser: the read models must include its own last command, nothing more."""
    # Asked before popped: a pop marks the session changed even when the key is absent, and a changed session is
    # signed and sent back as a new cookie on every page.
    if session.get("catch_up"):  # after a streamed page, whose last write was not known when it began
        session.pop("catch_up")
        session["seen"] = services().archive.recorder.max_notification_id() or 0
    services().catalogue.refresh(upto=session.get("seen", 0))


def wrote() -> None:
    session["seen"] = services().archive.recorder.max_notification_id() or 0


def _int(name: str, default: int | None = None, minimum: int = 0, maximum: int = LARGEST) -> int | None:
    """A whole number from the form or query, within bounds (web/forms.py), or a message naming the field."""
    raw = request.values.get(name, "")
    try:
        return optional_number(raw, name, minimum=minimum, maximum=maximum, default=default)
    except DomainError:
        if raw.strip().lstrip("+-").isdigit():
            raise DomainError(_("%(field)s must be between %(low)s and %(high)s", field=name, low=minimum, high=maximum)) from None
        raise DomainError(_("%(field)s must be a whole number", field=name)) from None


def _date(name: str) -> date | None:
    raw = request.values.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise DomainError(_("%(field)s must be a date like 2011-03-05", field=name)) from None


@blueprint.get("/")
@login_required
def dashboard():  # type: ignore[no-untyped-def]
    svc = services()
    fresh()
    queues = svc.catalogue.my_queues(g.actor) if g.actor.may(Action.READ) else {}
    return render_template("dashboard.html", queues=queues)


# -- records ------------------------------------------------------------------------------------------------------


@blueprint.route("/records/new", methods=["GET", "POST"])
@login_required
def register():  # type: ignore[no-untyped-def]
    services().archive.authorise(g.actor, Action.COLLECT)
    if request.method == "GET":
        return render_template("register.html", form={}, levels=LEVELS)
    form = request.form
    try:
        record_id = services().archive.collect(
            g.actor,
            title=form.get("title", ""),
            source=form.get("source", ""),
            medium=Medium.PAPER,
            metadata={k: form[k].strip() for k in ("doc_number", "responsible", "date", "page_count") if form.get(k, "").strip()},
            security=SecurityLevel.parse(form.get("security") or "0"),  # as the office marked it (DESIGN §6)
        )
    except DomainError as error:
        return render_template("register.html", form=form, error=str(error), levels=LEVELS), 422
    wrote()
    return redirect(url_for("pages.record", record_id=record_id))


def _record_page(record_id: UUID, errors: dict[str, str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    svc = services()
    fresh()
    shown = svc.desk.page(g.actor, record_id)
    return render_template(
        "record.html",
        record=shown.record,
        timeline=shown.timeline,
        text=shown.text,
        errors=errors or {},
        levels=LEVELS,
        Action=Action,
    ), status


@blueprint.get("/records/<record_id>")
@login_required
def record(record_id: str):  # type: ignore[no-untyped-def]
    return _record_page(_uuid(record_id))


@blueprint.get("/records/<record_id>/versions/<int:version>")
@login_required
def record_version(record_id: str, version: int):  # type: ignore[no-untyped-def]
    state = services().desk.state_at(g.actor, _uuid(record_id), version)
    return render_template("record_version.html", state=state, record_id=record_id, version=version)


def _step(record_id: str, form_name: str, command: Callable[[UUID], Any]):  # type: ignore[no-untyped-def]
    """Run one command from a form on the record page; on a refusal, show the page with the message in place."""
    rid = _uuid(record_id)
    try:
        command(rid)
    except DomainError as error:
        return _record_page(rid, {form_name: str(error)}, 422)
    wrote()
    return redirect(url_for("pages.record", record_id=rid) + f"#{form_name}")


@blueprint.post("/records/<record_id>/catalogue")
@login_required
def catalogue_form(record_id: str):  # type: ignore[no-untyped-def]
    f = request.form
    return _step(
        record_id,
        "catalogue",
        lambda rid: services().archive.catalogue(
            g.actor,
            rid,
            fonds=f.get("fonds", "").upper(),
            category=f.get("category", "").upper(),
            year=_int("year", minimum=YEARS[0], maximum=YEARS[1]) or 0,
            org=f.get("org", "").upper(),
            classification=f.get("classification", "") or f.get("org", ""),
            retention=Retention.parse(f["retention"]) if f.get("retention") else None,
        ),
    )


@blueprint.post("/records/<record_id>/review")
@login_required
def review_form(record_id: str):  # type: ignore[no-untyped-def]
    f = request.form
    findings = [line for line in f.get("findings", "").splitlines() if line.strip()]
    return _step(
        record_id,
        "review",
        lambda rid: services().archive.review(
            g.actor, rid, passed=f.get("passed") == "yes", findings=findings, reason=f.get("reason") or None
        ),
    )


@blueprint.post("/records/<record_id>/appraise")
@login_required
def appraise_form(record_id: str):  # type: ignore[no-untyped-def]
    f = request.form

    def appraise(rid: UUID) -> None:
        done = services().archive.appraise(
            g.actor,
            rid,
            retention=Retention.parse(f.get("retention", "")),
            security=SecurityLevel.parse(f.get("security", "")),
            reason=f.get("reason") or None,
        )
        if done.awaiting_second_appraiser:  # the scheme asks for two appraisers (DESIGN §6)
            flash(_("Recorded as a proposal; a second appraiser must confirm it."), "ok")

    return _step(record_id, "appraise", appraise)


@blueprint.post("/records/<record_id>/scan")
@login_required
def scan_form(record_id: str):  # type: ignore[no-untyped-def]
    uploads = [Upload(f.filename or "page", f.read()) for f in request.files.getlist("pages") if f.filename]

    def scan(rid: UUID) -> None:
        d = services().digitisation
        d.scan(g.actor, rid, uploads)
        d.process(g.actor, rid)
        d.check(rid)

    return _step(record_id, "scan", scan)


@blueprint.post("/records/<record_id>/qc")
@login_required
def qc_form(record_id: str):  # type: ignore[no-untyped-def]
    f, d = request.form, services().digitisation
    if f.get("decision") == "override":
        return _step(record_id, "qc", lambda rid: d.override(g.actor, rid, f.get("reason", "")))
    return _step(record_id, "qc", lambda rid: d.rework(g.actor, rid, reason=f.get("reason") or None))


@blueprint.post("/records/<record_id>/ocr")
@login_required
def ocr_form(record_id: str):  # type: ignore[no-untyped-def]
    return _step(record_id, "ocr", lambda rid: services().digitisation.recognise(g.actor, rid))


@blueprint.post("/records/<record_id>/ingest")
@login_required
def ingest_form(record_id: str):  # type: ignore[no-untyped-def]
    return _step(record_id, "ingest", lambda rid: services().digitisation.ingest(g.actor, rid))


@blueprint.get("/records/<record_id>/pages/<page>/<kind>.jpg")
@login_required
def page_image(record_id: str, page: str, kind: str):  # type: ignore[no-untyped-def]
    data = services().desk.image(g.actor, _uuid(record_id), page, kind)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@blueprint.get("/records/<record_id>/pages/<page>/original.jpg")
@login_required
def original_image(record_id: str, page: str):  # type: ignore[no-untyped-def]
    data = services().desk.original_preview(g.actor, _uuid(record_id), page)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@blueprint.get("/qc")
@login_required
def qc_queue():  # type: ignore[no-untyped-def]
    """The QC desk: failed records with each failed page before and after processing, metrics and reasons."""
    svc = services()
    fresh()
    _total, rows = svc.catalogue.browse(g.actor, svc.catalogue_filter(state="qc_failed"), limit=20)
    return render_template("qc.html", records=svc.desk.qc_desk(g.actor, [r["record_id"] for r in rows]))


@blueprint.get("/records/<record_id>/access.pdf")
@login_required
def access_pdf(record_id: str):  # type: ignore[no-untyped-def]
    data = services().desk.access_pdf(g.actor, _uuid(record_id))
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{record_id}.pdf"'})


# -- batch import ---------------------------------------------------------------------------------------------


@blueprint.route("/import", methods=["GET", "POST"])
@login_required
def batch_import():  # type: ignore[no-untyped-def]
    """The manifest import of `archive import` from the browser: a manifest CSV and the page images it names."""
    services().archive.authorise(g.actor, Action.COLLECT)
    if request.method == "GET":
        return render_template("import.html", outcomes=None)
    from application.manifest import read_manifest

    svc = services()
    manifest = request.files.get("manifest")
    files = {(f.filename or "").replace("\\", "/"): f.read() for f in request.files.getlist("pages") if f.filename}
    try:
        rows = read_manifest(manifest.read() if manifest else b"")
    except DomainError as error:
        return render_template("import.html", outcomes=None, error=str(error)), 422

    def read(name: str) -> bytes:
        # Browsers send file names without folders unless a whole folder is chosen: match either way.
        found = files.get(name) or files.get(name.rsplit("/", 1)[-1])
        if found is None:
            raise DomainError(_("page file %(name)s was not uploaded", name=name))
        return found

    outcomes = (o.as_dict() for o in svc.manifest_import.run(g.actor, rows, read))  # refused here, before the page
    session["catch_up"] = True  # the outcomes stream after the headers: the next page catches the read models up
    return Response(stream_template("import.html", outcomes=outcomes))  # each row's outcome shows as it is done


# -- transfers (移交) -------------------------------------------------------------------------------------------


def _lines(text: str) -> list[tuple[str, str, str]]:
    """ "item,title[,security level]" lines (a title is optional for the expected list; the level is the one the
    department marked on the record, 公开 if none)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            item, _, rest = line.partition(",")
            title, _, level = rest.rpartition(",") if rest.count(",") and _is_level(rest.rsplit(",", 1)[-1]) else (rest, "", "")
            out.append((item.strip(), title.strip(), level.strip()))
    return out


def _is_level(text: str) -> bool:
    try:
        SecurityLevel.parse(text)
    except DomainError:
        return False
    return True


@blueprint.route("/transfers", methods=["GET", "POST"])
@login_required
def transfers():  # type: ignore[no-untyped-def]
    services().archive.authorise(g.actor, Action.COLLECT)  # the form too: a page nobody may use is not shown
    if request.method == "GET":
        return render_template("transfers.html", form={})
    form = request.form
    try:
        transfer_id = services().archive.register_transfer(
            g.actor, department=form.get("department", ""), expected=[item for item, _, _ in _lines(form.get("expected", ""))]
        )
    except DomainError as error:
        return render_template("transfers.html", form=form, error=str(error)), 422
    wrote()
    return redirect(url_for("pages.transfer", transfer_id=transfer_id))


@blueprint.route("/transfers/<transfer_id>", methods=["GET", "POST"])
@login_required
def transfer(transfer_id: str):  # type: ignore[no-untyped-def]
    svc, tid, error = services(), _uuid(transfer_id), None
    if request.method == "POST":
        try:
            if request.form.get("action") == "check":
                svc.archive.check_receipt(g.actor, tid)
            else:
                found = svc.transfers.load(g.actor, tid)
                items = [
                    (
                        item,
                        uuid4(),
                        {"title": title or item, "source": found.department, "security": SecurityLevel.parse(level or "0")},
                    )
                    for item, title, level in _lines(request.form.get("received", ""))
                ]
                svc.archive.receive_batch(g.actor, tid, items)
            wrote()
        except DomainError as problem:
            error = str(problem)
    return render_template("transfer.html", transfer=svc.transfers.load(g.actor, tid), error=error), 422 if error else 200


# -- access requests (DESIGN §6) -------------------------------------------------------------------------------


@blueprint.route("/access", methods=["GET", "POST"])
@login_required
def access():  # type: ignore[no-untyped-def]
    svc, f, error, done = services(), request.form, None, None
    if request.method == "POST":
        try:
            if f.get("action") == "ask":
                svc.access.ask(g.actor, _uuid(f.get("record_id", "").strip()), f.get("purpose", ""))
                done = _("Your request is recorded; an archivist will decide on it.")
            else:
                svc.access.decide(g.actor, _uuid(f.get("request_id", "")), f.get("action") == "approve", f.get("reason") or None)
                done = _("Decision recorded.")
            wrote()
        except DomainError as problem:
            error = str(problem)
    pending = svc.access.pending(g.actor) if g.actor.may(Action.DECIDE_ACCESS) else []
    return render_template("access.html", pending=pending, error=error, done=done), 422 if error else 200


# -- finding ------------------------------------------------------------------------------------------------------


@blueprint.get("/search")
@login_required
def search():  # type: ignore[no-untyped-def]
    svc, a = services(), request.args
    fresh()
    query = SearchQuery(
        text=a.get("q", ""),
        category=a.get("category") or None,
        fonds=a.get("fonds") or None,
        year=_int("year", minimum=YEARS[0], maximum=YEARS[1]),
        org=a.get("org") or None,
        retention=a.get("retention") or None,
        security=_int("security", maximum=int(max(SecurityLevel))),
        date_from=_date("from"),
        date_to=_date("to"),
        sort=a.get("sort", "relevance"),
        offset=((_int("page", 1, minimum=1, maximum=MAX_OFFSET // 20 + 1) or 1) - 1) * 20,
        limit=20,
    )
    try:
        result = svc.search.search(g.actor, query) if "q" in a else None
    except DomainError as error:  # e.g. too many words: said beside the search box, which keeps what was typed
        return render_template("search.html", result=None, refine={}, query=query, args=a, error=str(error)), 422
    return render_template("search.html", result=result, refine=_refinements(result), query=query, args=a)


def _refinements(result: Any) -> dict[str, list[tuple[str, int, str]]]:
    """Per facet: (value, count, link to this search narrowed to it, from its first page)."""
    if result is None:
        return {}
    links = {}
    for facet, buckets in result.facets.items():
        kept = urlencode([(k, v) for k, v in request.args.items(multi=True) if k not in (facet, "page")])
        prefix = f"?{kept}&" if kept else "?"
        links[facet] = [(key, count, f"{prefix}{facet}={quote_plus(str(key))}") for key, count in buckets.items()]
    return links


@blueprint.get("/browse")
@login_required
def browse():  # type: ignore[no-untyped-def]
    svc, a = services(), request.args
    fresh()
    where = svc.catalogue_filter(
        state=a.get("state") or None,
        fonds=a.get("fonds") or None,
        category=a.get("category") or None,
        year=_int("year", minimum=YEARS[0], maximum=YEARS[1]),
        org=a.get("org") or None,
    )
    page = _int("page", 1, minimum=1, maximum=MAX_OFFSET // 50 + 1) or 1
    total, rows = svc.catalogue.browse(g.actor, where, offset=(page - 1) * 50, limit=50)
    shown = [(r["code"] or "", r["record_id"], r["title"], r["state"], r["date"] or "") for r in rows]
    return render_template("browse.html", tree=svc.catalogue.tree(g.actor), total=total, rows=shown, page=page, args=a)


# -- auditors and compliance ----------------------------------------------------------------------------------------


@blueprint.route("/ledger", methods=["GET", "POST"])
@login_required
def ledger():  # type: ignore[no-untyped-def]
    services().archive.authorise(g.actor, Action.AUDIT_LEDGER)
    svc, proof = services(), None
    seq = _int("seq", minimum=1)
    checkpoint = svc.ledger.latest_checkpoint()
    if seq and checkpoint:
        proof = svc.ledger.inclusion_proof(seq, checkpoint["size"])
    page = {"checkpoint": checkpoint, "size": svc.ledger.size(), "proof": proof, "seq": seq}
    if request.method == "POST" and request.form.get("action") == "verify":
        # Every event against its sealed entry: a minute for a million; the page shows it going.
        verifying = Running(lambda progress: svc.audit(progress=progress.set))
        return Response(stream_template("ledger.html", verifying=verifying, **page))
    return render_template("ledger.html", **page)


@blueprint.get("/ledger/export.zip")
@login_required
def ledger_export():  # type: ignore[no-untyped-def]
    """The signed trail for offline verification (DESIGN §4): entries.jsonl, checkpoints.jsonl and keys.json in a
    zip; unpacked, `archive ledger verify DIR` or any verifier written against DESIGN §4 checks it."""
    services().archive.authorise(g.actor, Action.AUDIT_LEDGER)
    svc = services()
    bundle = tempfile.TemporaryFile(suffix=".zip")
    with tempfile.TemporaryDirectory(prefix="ledger-export-") as scratch:
        head = svc.ledger.export(Path(scratch))
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in ("entries.jsonl", "checkpoints.jsonl", "keys.json"):
                archive.write(Path(scratch) / name, arcname=name)
    bundle.seek(0)
    return send_file(
        bundle, mimetype="application/zip", as_attachment=True, download_name=f"ledger-{head['size']}.zip", max_age=0
    )


@blueprint.get("/compliance")
@login_required
def compliance():  # type: ignore[no-untyped-def]
    svc, a, actor = services(), request.args, g.actor
    fresh()
    changes = None
    if a.get("record") and a.get("from") and a.get("to"):
        rid = _uuid(a["record"])
        first, second = (_int(n, minimum=VERSIONS[0], maximum=VERSIONS[1]) or 0 for n in ("from", "to"))
        changes = svc.desk.diff(actor, rid, first, second)
    page = {
        "changes": changes,
        "args": a,
        "access": svc.catalogue.access_log(actor)[:100],
        "searches": svc.catalogue.search_log(actor)[:100],
        "usage": svc.catalogue.usage(actor),
    }
    if not a.get("as_of"):
        return render_template("compliance.html", replaying=None, **page)
    moment = parse_moment(a["as_of"])  # a bad date is refused here, before the page starts
    services().archive.authorise(actor, Action.READ_HISTORY)
    # The catalogue as of a moment is replayed from the events (tens of seconds for 100,000 records): streamed.
    replaying = Running(
        lambda progress: svc.catalogue.as_of(actor, moment, progress=progress.advance),
        total=svc.archive.recorder.max_notification_id() or 0,
    )
    return Response(stream_template("compliance.html", replaying=replaying, **page))


# -- administration ------------------------------------------------------------------------------------------------


@blueprint.route("/admin/scheme", methods=["GET", "POST"])
@login_required
def scheme():  # type: ignore[no-untyped-def]
    """The archiving scheme editor: define a fonds, add categories and classes, set the QC profile and whether an
    appraisal needs two appraisers."""
    services().archive.authorise(g.actor, Action.MANAGE_SCHEME)
    svc, f, error = services(), request.form, None
    fonds = (request.values.get("fonds") or "").strip().upper()
    if request.method == "POST":
        try:
            _edit_scheme(svc, f.get("action", ""), fonds, f)
            wrote()
        except (DomainError, ValueError) as problem:
            error = str(problem)
    current = None
    if fonds:
        try:
            current = svc.archive.scheme_for(fonds)
        except DomainError:
            current = None
    return render_template(
        "scheme.html", scheme=current, fonds=fonds, error=error, profile=_profile(current)
    ), 422 if error else 200


def _profile(current: Any) -> dict[str, Any]:
    from domain.quality import profile_with_defaults

    return profile_with_defaults(current.qc_profile if current else {})


def _edit_scheme(svc: Any, action: str, fonds: str, f: Any) -> None:
    actor = g.actor
    if action == "define":
        svc.archive.define_scheme(actor, fonds=fonds, fonds_name=f.get("fonds_name", ""))
    elif action == "category":
        svc.archive.edit_scheme(actor, fonds, lambda s: s.add_category(f.get("code", ""), f.get("name", ""), actor=actor.id))
    elif action == "class":
        retention = Retention.parse(f["retention"]) if f.get("retention") else None
        svc.archive.edit_scheme(
            actor, fonds, lambda s: s.add_class(f.get("code", ""), f.get("name", ""), actor=actor.id, retention=retention)
        )
    elif action == "double_appraisal":
        required = f.get("double_appraisal") == "on"
        svc.archive.edit_scheme(actor, fonds, lambda s: s.set_double_appraisal(required, actor=actor.id))
    elif action == "qc":
        profile: dict[str, Any] = {}
        for key, default in _profile(None).items():
            raw = f.get(key, "")
            if isinstance(default, bool):
                profile[key] = raw == "on"
            elif isinstance(default, int):
                if raw.strip() and not raw.strip().isdigit():
                    raise DomainError(_("%(field)s must be a whole number", field=key))
                profile[key] = int(raw) if raw.strip() else default
            else:
                profile[key] = raw.strip() or default
        svc.archive.edit_scheme(actor, fonds, lambda s: s.set_qc_profile(profile, actor=actor.id))
    else:
        raise DomainError(_("unknown action"))
