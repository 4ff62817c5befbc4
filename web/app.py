"""Flask app factory. Views parse input, call one application method, render; nothing else.

Security (DESIGN §6): logins with server-side session ids (renewed at login, dropped at logout), CSRF tokens on
every form (Flask-WTF), bearer tokens for the API, a CSP without inline script, frame denial. Errors are pages
for browsers and JSON under /api; a user's mistake is a 4xx, never a 500.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, jsonify, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, get_locale, get_translations
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from application.accounts import LoginRefused
from application.archive import Conflict, NotFound
from application.authorisation import ANONYMOUS, Forbidden
from application.bootstrap import ERROR_STATUS, Services, keep_private
from domain.errors import DomainError
from web.i18n import compile_translations, pick_language
from web.labels import labels, navigation, when

log = logging.getLogger(__name__)


def create_app(services: Services | None = None, config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    keep_private()  # under any WSGI server too: what the archive writes is its owner's alone
    services = services or Services.from_env()
    app.config.update(
        SECRET_KEY=_secret_key(services.settings.keys_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="archive_session",
        MAX_CONTENT_LENGTH=400 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES=str(compile_translations(services.settings.home / "translations")),
    )
    app.config.update(config or {})
    app.session_interface = _SessionCookie()
    if services.settings.trusted_proxies:
        # Behind N trusted reverse proxies the client and the scheme are theirs to tell (X-Forwarded-For, -Proto);
        # with none configured those headers are ignored: anyone can send them (DESIGN §6).
        hops = services.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.extensions["archive"] = services
    Babel(app, locale_selector=pick_language)
    from web import administration, api, auth, pages

    app.before_request(auth.load_actor)  # before the CSRF check, so a refused form is recorded under its user
    csrf = CSRFProtect(app)

    csrf.exempt(api.blueprint)  # the API takes writes only with a bearer token (see web/api.py)

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(administration.blueprint)
    app.register_blueprint(api.blueprint)

    app.context_processor(_page_context)
    app.add_template_filter(when)
    app.add_template_filter(query)
    app.add_template_filter(lambda actor_id: services.accounts.username(str(actor_id)), "who")
    _error_handlers(app)

    @app.get("/status")
    def status_page():  # type: ignore[no-untyped-def]
        """Public: the latest signed tree head, for anyone who wants to pin it (DESIGN §4)."""
        return render_template("health.html", checkpoint=services.ledger.latest_checkpoint(), size=services.ledger.size())

    @app.get("/healthz")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok", sealed=services.ledger.size())

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.is_secure:  # served over HTTPS (directly or through a trusted proxy): keep it that way
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        # What a signed-in user sees is graded by their clearance, and a response that sets the session cookie (it
        # is written after this hook, when the session changed) must not be replayed to anyone: no cached copies.
        # The stylesheet and script are the same for everyone: those a browser may keep.
        if request.endpoint != "static" and (g.get("actor") is not None or session.modified):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


class _SessionCookie(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (DESIGN §6), so a TLS deployment needs no
    setting, and plain-HTTP loopback (`make run`) still works."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


# Every page has a form (log out) and so a CSRF token. Flask-WTF signs the session's secret afresh for each page;
# a signed token never expires here (WTF_CSRF_TIME_LIMIT=None), so one per secret is kept and reused, as the
# tokens of one page already are. Checking a posted token is unchanged. Templates get it from _page_context: a
# Jinja global would be shadowed by the context processor Flask-WTF registers, which hands out generate_csrf.
_SIGNED_CSRF: dict[str, str] = {}
SIGNED_CSRF_KEPT = 10_000


def csrf_token() -> str:
    secret = session.get("csrf_token")
    token = _SIGNED_CSRF.get(secret) if secret else None
    if token is None:
        token = generate_csrf()
        _SIGNED_CSRF[session["csrf_token"]] = token
        if len(_SIGNED_CSRF) > SIGNED_CSRF_KEPT:
            _SIGNED_CSRF.pop(next(iter(_SIGNED_CSRF)), None)
    return token


def _page_context() -> dict[str, Any]:
    actor, locale = g.get("actor"), str(get_locale())
    return {
        **(_BY_LANGUAGE.get(locale) or _language_context(locale)),
        "actor": actor,
        "nav": navigation(actor, locale),
        "csrf_token": csrf_token,
    }


# What every page of one language shares, built at its first page: the gettext functions bound to its catalogue
# (Flask-Babel keeps the catalogues for the process's lifetime too) and the translated labels.
_BY_LANGUAGE: dict[str, dict[str, Any]] = {}


def _language_context(locale: str) -> dict[str, Any]:
    translations = get_translations()

    # Jinja's newstyle gettext, without asking Flask-Babel for the language and the catalogue again at each of a
    # page's dozens of strings.
    def gettext(string: str, **variables: Any) -> Markup:
        return Markup(translations.ugettext(string)) % variables

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
        return Markup(translations.ungettext(singular, plural, num)) % {"num": num, **variables}

    context = {"locale": locale, "gettext": gettext, "ngettext": ngettext, **labels()}
    _BY_LANGUAGE[locale] = context
    return context


def query(arguments: dict[str, Any]) -> str:
    """A link to the same page with these query arguments (None drops one): no route building per link, which
    on a page of facets or tree branches was a tenth of the server's time."""
    return "?" + urlencode([(k, v) for k, v in arguments.items() if v is not None and v != ""])


def _secret_key(keys_dir: Path) -> bytes:
    """Signs session cookies; kept beside the signing keys (0600) so restarts keep people logged in."""
    path = keys_dir / "session.key"
    if not path.exists():
        keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # private from the first byte
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str):  # type: ignore[no-untyped-def]
    if wants_json():
        return jsonify(error={"code": code, "message": message}), status
    return render_template("error.html", status=status, code=code, message=message), status


def _error_handlers(app: Flask) -> None:
    services: Services = app.extensions["archive"]

    @app.errorhandler(Forbidden)
    def forbidden(error):  # type: ignore[no-untyped-def]
        if not error.recorded:  # the application records its own refusals (Archive.authorise); these are the web's
            services.record_denial(g.get("actor") or ANONYMOUS, request.endpoint or request.path, str(error))
        return error_response(403, "forbidden", str(error))

    @app.errorhandler(NotFound)
    def not_found_record(error):  # type: ignore[no-untyped-def]
        return error_response(404, "not_found", str(error))

    @app.errorhandler(LoginRefused)
    def login_refused(error):  # type: ignore[no-untyped-def]
        return error_response(429 if error.retry_after else 401, "login_refused", str(error))

    @app.errorhandler(Conflict)
    def conflict(error):  # type: ignore[no-untyped-def]
        return error_response(409, "conflict", str(error))

    @app.errorhandler(DomainError)
    def refused(error):  # type: ignore[no-untyped-def]
        return error_response(422, "refused", str(error))

    # The application's other expected errors (a ledger range beyond its size, a busy index…), by their status.
    for kind, status in ERROR_STATUS.items():
        code = "refused" if status < 500 else "unavailable"
        app.register_error_handler(kind, lambda error, s=status, c=code: error_response(s, c, str(error)))

    @app.errorhandler(CSRFError)
    def csrf(error):  # type: ignore[no-untyped-def]
        # DESIGN §6: a forged or expired form is a refusal like any other, and so an event.
        services.record_denial(g.get("actor") or ANONYMOUS, "csrf", f"{request.method} {request.path}: {error.description}")
        return error_response(400, "csrf", "the form expired or did not come from this site; reload the page and try again")

    for status, code, message in (
        (400, "bad_request", "the request is malformed"),
        (404, "not_found", "no such page"),
        (405, "method_not_allowed", "this method is not allowed here"),
        (413, "too_large", "the upload is larger than allowed"),
    ):
        app.register_error_handler(status, lambda _e, s=status, c=code, m=message: error_response(s, c, m))

    @app.errorhandler(Exception)
    def unexpected(error):  # type: ignore[no-untyped-def]
        if hasattr(error, "code") and isinstance(error.code, int) and error.code < 500:  # werkzeug HTTPException
            return error_response(error.code, "http_error", getattr(error, "description", str(error)))
        log.exception("unexpected error on %s", request.path)
        return error_response(500, "internal", "something went wrong on our side; it has been logged")
