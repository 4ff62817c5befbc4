"""Flask app factory. Views parse input, call one application method, render; nothing else."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template

from application.bootstrap import Services


def create_app(services: Services | None = None, config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config or {})
    services = services or Services.from_env()
    app.extensions["archive"] = services

    @app.get("/")
    def health_page():  # type: ignore[no-untyped-def]
        ledger = services.ledger
        return render_template("health.html", checkpoint=ledger.latest_checkpoint(), size=ledger.size())

    @app.get("/healthz")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok", sealed=services.ledger.size())

    @app.get("/api/v1/ledger/checkpoint")
    def latest_checkpoint():  # type: ignore[no-untyped-def]
        checkpoint = services.ledger.latest_checkpoint()
        if checkpoint is None:
            return jsonify(error={"code": "no_checkpoint", "message": "no checkpoint has been signed yet"}), 404
        return jsonify(checkpoint)

    @app.get("/api/v1/ledger/keys")
    def public_keys():  # type: ignore[no-untyped-def]
        return jsonify(keys=services.keyring.public_keys())

    @app.errorhandler(404)
    def not_found(_error):  # type: ignore[no-untyped-def]
        return jsonify(error={"code": "not_found", "message": "no such page"}), 404

    @app.errorhandler(405)
    def not_allowed(_error):  # type: ignore[no-untyped-def]
        return jsonify(error={"code": "method_not_allowed", "message": "this method is not allowed here"}), 405

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    return app
