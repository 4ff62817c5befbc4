"""`archive serve`: the web app plus the background ledger follower and scheduled checkpoints."""

from __future__ import annotations

import logging

from werkzeug.serving import run_simple

from application.bootstrap import Services
from web.app import create_app


def serve(host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = Services.from_env()
    services.ledger.checkpoint()  # seal what the CLI wrote since the last run, so the first page shows a tree head
    scheduler = services.start_background()
    home = services.settings.home
    password_file = home / "initial-admin-password"
    print(f"Records archive at http://{host}:{port}/  (data in {home})", flush=True)
    if password_file.exists():
        print(f"First login: user admin, password {password_file.read_text().strip()} (from {password_file})", flush=True)
    try:
        run_simple(host, port, create_app(services), threaded=True, use_reloader=False)
    finally:
        scheduler.shutdown(wait=False)
        services.close()
