"""The administrators' pages (三员分立, GB/T 39784-2021): accounts for the system administrator, roles and clearance
for the security officer, and the administration log for the security auditor. Each view parses the form, calls one
named command of application/administration.py, and renders the page with the message beside the form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, render_template, request
from flask_babel import gettext as _

from application.authorisation import Action, Forbidden
from domain.errors import DomainError
from domain.values import SecurityLevel
from web.auth import login_required, services
from web.forms import optional_number
from web.pages import fresh, wrote

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
LEVELS = list(SecurityLevel)
PAGE = 50


@blueprint.route("/users", methods=["GET", "POST"])
@login_required
def users():  # type: ignore[no-untyped-def]
    svc, f, errors, status = services(), request.form, {}, 200
    if request.method == "POST":
        action = f.get("action", "add")
        try:
            _act(svc, action, f)
            wrote()
        except Forbidden as refused:  # recorded already (Archive.authorise / refuse); shown beside the form
            errors[action], status = str(refused), 403
        except (DomainError, ValueError) as problem:
            errors[action], status = str(problem), 422
    fresh()  # the list is a projection: it shows this browser's own last change
    text = request.args.get("q", "")
    page = optional_number(request.args.get("page"), "page", minimum=1, maximum=10_000, default=1) or 1
    total, listed = svc.administration.users(g.actor, text, (page - 1) * PAGE, PAGE)
    wanted = request.values.get("username", "").strip()
    found = svc.administration.user(g.actor, wanted) if wanted else None
    return render_template(
        "users.html",
        errors=errors,
        levels=LEVELS,
        found=found,
        listed=listed,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        q=text,
        may=_abilities(),
        first_officer=svc.administration.first_security_officer_needed(g.actor),
        form=f if errors else {},
    ), status


def _abilities() -> dict[str, bool]:
    actor = g.actor
    return {
        "accounts": actor.may(Action.MANAGE_USERS),
        "roles": actor.may(Action.ASSIGN_ROLES),
        "audit": actor.may(Action.AUDIT_ADMINISTRATION),
    }


def _act(svc: Any, action: str, f: Any) -> None:
    admin, actor, username, reason = svc.administration, g.actor, f.get("username", "").strip(), f.get("reason") or None
    if action == "add":
        appoint = f.get("first_security_officer") == "on"
        svc.archive.register_user(
            actor,
            username=username,
            roles=["security_officer"] if appoint else [],
            password_hash=svc.accounts.hash_new_password(f.get("password", ""), username),
            temporary_password=not actor.is_system,  # the holder replaces it at the first login
        )
        flash(_("Account %(name)s created; the security officer gives its roles and clearance.", name=username), "ok")
    elif action in ("grant", "revoke"):
        (admin.grant_role if action == "grant" else admin.revoke_role)(actor, username, f.get("role", ""), reason)
    elif action == "clearance":
        admin.change_clearance(actor, username, SecurityLevel.parse(f.get("clearance", "")), reason)
    elif action == "disable":
        admin.disable(actor, username, reason)
    elif action == "enable":
        admin.enable(actor, username)
    elif action == "reset":
        admin.reset_password(actor, username, svc.accounts.hash_new_password(f.get("password", ""), username), reason)
        flash(_("Password reset; %(name)s must change it at the next login.", name=username), "ok")
    else:
        raise DomainError(_("unknown action"))


@blueprint.get("/audit")
@login_required
def audit():  # type: ignore[no-untyped-def]
    """The security auditor's page: every change to accounts and schemes, newest first, filtered by who did it."""
    svc, a = services(), request.args
    fresh()
    page = optional_number(a.get("page"), "page", minimum=1, maximum=100_000, default=1) or 1
    total, entries = svc.administration.audit_log(g.actor, (page - 1) * PAGE, PAGE, of=a.get("actor") or None)
    return render_template(
        "security_audit.html", entries=entries, total=total, page=page, pages=max(1, -(-total // PAGE)), args=a
    )
