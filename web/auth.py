"""Logging in and out, changing one's password, API tokens; and who the current request acts for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from application.accounts import LoginRefused
from application.bootstrap import Services
from domain.errors import DomainError
from domain.tokens import DEFAULT_DAYS, LONGEST_DAYS
from web.forms import optional_number

blueprint = Blueprint("auth", __name__)


def services() -> Services:
    return current_app.extensions["archive"]


def load_actor() -> None:
    """The actor for this request: a bearer token (API) or the session's user; None for anonymous."""
    g.actor = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.actor = services().accounts.actor_for_token(header[7:].strip())
        g.token_auth = True
        return
    user_id = services().sessions.user(session.get("sid"))
    if user_id:
        g.actor = services().accounts.actor(user_id)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            if request.path.startswith("/api/"):
                from web.app import error_response

                return error_response(401, "unauthenticated", "log in or send an API token (Authorization: Bearer …)")
            return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
        if g.actor.must_change_password and request.endpoint not in ("auth.account", "auth.logout"):
            # A password an administrator set opens nothing but the account page, where its holder replaces it.
            if request.path.startswith("/api/"):
                from web.app import error_response

                return error_response(403, "password_change_required", "replace the temporary password on the account page first")
            flash(_("Choose a new password first: the one you were given is temporary."), "error")
            return redirect(url_for("auth.account"))
        return view(*args, **kwargs)

    return wrapped


@blueprint.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return render_template("login.html")
    username, password = request.form.get("username", ""), request.form.get("password", "")
    try:
        actor = services().accounts.login(username, password, client=request.remote_addr or "?")
    except LoginRefused as refused:
        status = 429 if refused.retry_after else 401
        return render_template("login.html", error=str(refused), username=username), status
    store = services().sessions
    store.close(session.get("sid"))
    session.clear()  # a new session id at every login: nothing from before the login carries over
    session["sid"] = store.open(actor.id)
    generate_csrf()  # the session's CSRF secret goes into the login's cookie: the pages after it need not re-sign it
    return redirect(safe_target(request.args.get("next")) or url_for("pages.dashboard"))


# What browsers drop from a URL before they follow it (WHATWG URL): C0 controls and spaces at either end, and tabs
# and newlines anywhere; a backslash counts as a slash. "/\t/evil.example" is "//evil.example" to a browser.
_STRIPPED = "".join(chr(c) for c in range(0x21))


def safe_target(target: str | None) -> str | None:
    """`target` if, read as a browser reads it, it is a path on this site (no scheme, no host); else None. Decided by
    a URL parser on the normalised text, not by its first characters."""
    if not target:
        return None
    text = target.strip(_STRIPPED).replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    parts = urlsplit(text)
    if text.startswith("//") or parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


@blueprint.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    services().sessions.close(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))


@blueprint.route("/account", methods=["GET", "POST"])
@login_required
def account():  # type: ignore[no-untyped-def]
    new_token, errors, f = None, {}, request.form
    if request.method == "POST":
        action = f.get("action")
        try:
            if action == "password":
                if f.get("new", "") != f.get("repeat", ""):
                    raise DomainError(_("The two new passwords differ."))
                services().accounts.change_password(g.actor, f.get("current", ""), f.get("new", ""))
                session["seen"] = services().archive.recorder.max_notification_id() or 0  # read-your-writes (pages.wrote)
                flash(_("Password changed."), "ok")
                if g.actor.must_change_password:  # the temporary one is replaced: the archive opens
                    return redirect(url_for("pages.dashboard"))
            elif action == "token":
                days = optional_number(f.get("days"), "days", minimum=1, maximum=LONGEST_DAYS, default=DEFAULT_DAYS)
                _token_id, new_token = services().accounts.issue_token(g.actor, g.actor.username, f.get("label", ""), days=days)
            elif action == "revoke":
                services().accounts.revoke_token(g.actor, f.get("token_id", ""))
                flash(_("Token revoked."), "ok")
        except DomainError as problem:
            errors[action or "password"] = str(problem)
    tokens = services().accounts.tokens(g.actor, g.actor.username)
    page = render_template(
        "account.html", tokens=tokens, new_token=new_token, errors=errors, default_days=DEFAULT_DAYS, longest_days=LONGEST_DAYS
    )
    return make_response(page, 422 if errors else 200)


@blueprint.get("/language/<code>")
def language(code: str):  # type: ignore[no-untyped-def]
    referrer = urlsplit(request.referrer or "")
    back = safe_target(urlunsplit(("", "", referrer.path, referrer.query, ""))) if referrer.netloc == request.host else None
    response = redirect(back or url_for("pages.dashboard"))
    response.set_cookie(
        "lang", code if code in ("zh", "en") else "zh", max_age=365 * 86400, samesite="Lax", secure=request.is_secure
    )
    return response
