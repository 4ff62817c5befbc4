"""`archive serve`: the web app in a production WSGI server (gunicorn), with the background jobs.

Why gunicorn: a Python process runs Python on one core at a time, so a 2-core machine needs two processes to use
both; gunicorn pre-forks them and gives each a bounded pool of threads (`gthread` workers, HTTP keep-alive). The
werkzeug server it replaces is a development server that starts a thread per connection. Each worker builds its
own Services after the fork (database connections must not cross a fork); sessions and failed-login counts live
in the database, so any worker serves any browser. The background jobs run in whichever worker holds the lead
(application/bootstrap.py start_background).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.app.base import BaseApplication

from application.bootstrap import Services
from web.app import create_app
from web.i18n import compile_translations


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Called in each worker after the fork."""
        services = Services.from_env()
        services.start_background()
        return create_app(services)


def _worker_exit(_server: Any, worker: Any) -> None:
    services = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("archive")
    if services is not None:
        services.close()  # gives up the lead at once, so another worker takes over the jobs


def serve(host: str, port: int, workers: int | None = None, threads: int = 16) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = Services.from_env()
    try:
        services.ledger.checkpoint()  # seal what the CLI wrote since the last run, so the first page shows a tree head
        home = services.settings.home
        compile_translations(home / "translations")  # once, before the workers start
    finally:
        services.close()  # nothing opened here may be inherited by the forked workers
    print(f"Records archive at http://{host}:{port}/  (data in {home})", flush=True)
    password_file = home / "initial-admin-password"
    if password_file.exists():
        print(f"First login: user admin, password {password_file.read_text().strip()} (from {password_file})", flush=True)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers or default_workers(),
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": 30,
            "timeout": 300,  # a worker is restarted only if its main loop stalls this long (requests run in threads)
            "graceful_timeout": 20,
            "worker_exit": _worker_exit,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "archive",
        }
    ).run()
