"""Names shown to people for the archive's codes (states, levels, events…), in the request's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from application.authorisation import Action, Actor
from application.catalogue import QUEUES
from web.i18n import LANGUAGES

# The header's links, in order: (endpoint, label, permission that shows it; None: everyone signed in).
_NAVIGATION = [
    ("pages.dashboard", lambda: _("Dashboard"), None),
    ("pages.search", lambda: _("Search"), Action.SEARCH),
    ("pages.browse", lambda: _("Catalogue"), Action.READ),
    ("pages.register", lambda: _("Register a record"), Action.COLLECT),
    ("pages.transfers", lambda: _("Transfers"), Action.COLLECT),
    ("pages.batch_import", lambda: _("Batch import"), Action.COLLECT),
    ("pages.access", lambda: _("Access requests"), Action.READ),
    ("pages.qc_queue", lambda: _("Quality check"), Action.QC),
    ("pages.ledger", lambda: _("Ledger"), Action.AUDIT_LEDGER),
    ("pages.compliance", lambda: _("Compliance"), Action.READ_LOGS),
    ("admin.users", lambda: _("Users"), (Action.MANAGE_USERS, Action.ASSIGN_ROLES, Action.AUDIT_ADMINISTRATION)),
    ("admin.audit", lambda: _("Security audit"), Action.AUDIT_ADMINISTRATION),
    ("pages.scheme", lambda: _("Archiving scheme"), Action.MANAGE_SCHEME),
]
_NAV_BY_KEY: dict[tuple[str, frozenset[Any], bool], list[tuple[str, str]]] = {}


def _opens(actor: Actor, needs: Action | tuple[Action, ...] | None) -> bool:
    """Whether the link shows: for everyone signed in, or any of the permissions named."""
    if needs is None:
        return True
    return any(actor.may(n) for n in (needs if isinstance(needs, tuple) else (needs,)))


def navigation(actor: Actor | None, locale: str) -> list[tuple[str, str]]:
    """(href, label) of the pages this actor's roles open, built once per language and set of roles."""
    if actor is None:
        return []
    key = (locale, actor.roles, actor.is_system)
    if key not in _NAV_BY_KEY:
        _NAV_BY_KEY[key] = [
            (url_for(endpoint), label()) for endpoint, label, needs in _NAVIGATION if _opens(actor, needs)
        ]
    return _NAV_BY_KEY[key]


def labels() -> dict[str, Any]:
    """The request's language's names for codes; built once per language (web/app.py): ~150 translations looked
    up on every page cost a third of a page's time."""
    return {
        "Action_": Action,
        "stylesheet": url_for("static", filename="app.css"),
        "script": url_for("static", filename="app.js"),
        "record_base": url_for("pages.record", record_id="-")[:-1],  # + a record id: no route building per row
        "links": {
            "account": url_for("auth.account"),
            "logout": url_for("auth.logout"),
            "languages": [(url_for("auth.language", code=code), name) for code, name in LANGUAGES.items()],
        },
        "state_names": {
            "collected": _("collected"),
            "catalogued": _("catalogued"),
            "reviewed": _("reviewed"),
            "appraised": _("appraised"),
            "scanned": _("scanned"),
            "processed": _("processed"),
            "qc_passed": _("QC passed"),
            "qc_failed": _("QC failed"),
            "rework": _("rework"),
            "text_recognised": _("text recognised"),
            "ingested": _("ingested"),
            "disposal_proposed": _("disposal proposed"),
            "disposal_approved": _("disposal approved"),
            "destroyed": _("destroyed"),
        },
        "level_names": [_("public"), _("internal"), _("secret"), _("confidential"), _("top secret")],
        "queue_names": {
            "to_catalogue": _("to catalogue"),
            "to_review": _("to review"),
            "to_appraise": _("to appraise"),
            "to_scan": _("to scan"),
            "to_process": _("to process"),
            "to_check": _("to check"),
            "qc_failed_or_rework": _("QC failed / rework"),
            "to_recognise": _("to recognise (OCR)"),
            "to_ingest": _("to ingest"),
        },
        "queue_states": {name: states[0] for name, states in QUEUES.items()},
        "facet_names": {
            "category": _("Category"),
            "fonds": _("Fonds"),
            "year": _("Year"),
            "org": _("Organisation"),
            "retention": _("Retention"),
            "security": _("Security level"),
        },
        "field_names": {
            "title": _("Title"),
            "doc_number": _("Document number"),
            "responsible": _("Responsible party"),
            "date": _("Date"),
            "page_count": _("Declared pages"),
            "abstract": _("Abstract"),
            "keywords": _("Keywords"),
        },
        "event_names": {
            "Collected": _("Collected"),
            "Catalogued": _("Catalogued"),
            "MetadataAnnotated": _("Metadata annotated"),
            "MetadataCorrected": _("Metadata corrected"),
            "Reviewed": _("Reviewed"),
            "AppraisalProposed": _("Appraisal proposed"),
            "Appraised": _("Appraised"),
            "PagesScanned": _("Pages scanned"),
            "ImagesProcessed": _("Images processed"),
            "QCPassed": _("QC passed"),
            "QCFailed": _("QC failed"),
            "ReworkRequested": _("Rework requested"),
            "TextRecognised": _("Text recognised"),
            "Ingested": _("Ingested"),
            "Reclassified": _("Reclassified"),
            "RetentionReviewed": _("Retention reviewed"),
            "DisposalApproved": _("Disposal approved"),
            "Destroyed": _("Destroyed"),
        },
        "admin_event_names": {
            "Registered": _("Account created"),
            "RoleGranted": _("Role granted"),
            "RoleRevoked": _("Role revoked"),
            "ClearanceChanged": _("Clearance changed"),
            "Disabled": _("Account disabled"),
            "Enabled": _("Account enabled"),
            "PasswordReset": _("Password reset"),
            "PasswordChanged": _("Password changed"),
            "TokenNoted": _("API token issued"),
            "TokenForgotten": _("API token revoked"),
            "Appointed": _("First security officer appointed"),
            "Defined": _("Archiving scheme defined"),
            "CategoryAdded": _("Category added"),
            "ClassAdded": _("Class added"),
            "RequiredMetadataSet": _("Required metadata set"),
            "QCProfileSet": _("QC profile set"),
            "DoubleAppraisalSet": _("Double appraisal set"),
        },
        "role_names": {
            "admin": _("system administrator"),
            "security_officer": _("security officer"),
            "security_auditor": _("security auditor"),
            "archivist": _("archivist"),
            "digitiser": _("digitiser"),
            "appraiser": _("appraiser"),
            "reader": _("reader"),
            "auditor": _("auditor"),
            "compliance": _("compliance officer"),
        },
    }


def when(value: Any) -> str:
    """An ISO time (or datetime) in the reader's language and the server's display zone."""
    if not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{format_datetime(moment, 'medium')} {format_datetime(moment, 'z')}"  # local time, with its zone
