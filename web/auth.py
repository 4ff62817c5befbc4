"""Logging in and out, changing one's password, API tokens; and who the current request acts for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from application.accounts import LoginRefused
from application.bootstrap import Services

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
    target = request.args.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("pages.dashboard"))


@blueprint.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    services().sessions.close(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))


@blueprint.route("/account", methods=["GET", "POST"])
@login_required
def account():  # type: ignore[no-untyped-def]
    new_token = None
    if request.method == "POST":
        if request.form.get("action") == "password":
            if request.form.get("new", "") != request.form.get("repeat", ""):
                flash(_("The two new passwords differ."), "error")
            else:
                services().accounts.change_password(g.actor, request.form.get("current", ""), request.form.get("new", ""))
                session["seen"] = services().archive.recorder.max_notification_id() or 0  # read-your-writes (pages.wrote)
                flash(_("Password changed."), "ok")
        elif request.form.get("action") == "token":
            _token_id, new_token = services().accounts.issue_token(g.actor, g.actor.username, request.form.get("label", ""))
        elif request.form.get("action") == "revoke":
            services().accounts.revoke_token(g.actor, request.form.get("token_id", ""))
            flash(_("Token revoked."), "ok")
    tokens = services().accounts.tokens(g.actor, g.actor.username)
    response = make_response(render_template("account.html", tokens=tokens, new_token=new_token))
    return response


@blueprint.get("/language/<code>")
def language(code: str):  # type: ignore[no-untyped-def]
    response = redirect(request.referrer if (request.referrer or "").startswith(request.host_url) else url_for("pages.dashboard"))
    response.set_cookie("lang", code if code in ("zh", "en") else "zh", max_age=365 * 86400, samesite="Lax")
    return response
