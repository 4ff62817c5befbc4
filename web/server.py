"""`archive serve`: the web app in a production WSGI server (gunicorn), with the background jobs.

Why gunicorn: a Python process runs Python on one core at a time, so a 2-core machine needs two processes to use
both; gunicorn pre-forks them and gives each a bounded pool of threads (`gthread` workers, HTTP keep-alive). The
werkzeug server it replaces is a development server that starts a thread per connection. Each worker builds its
own Services after the fork (database connections must not cross a fork); sessions and failed-login counts live
in the database, so any worker serves any browser. The background jobs run in whichever worker holds the lead
(application/bootstrap.py start_background).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from application.bootstrap import Services
from web.app import create_app
from web.i18n import compile_translations

# Connections stay with the worker that accepted them (HTTP keep-alive), and a burst of new ones can land mostly on
# one worker: seen, all 32 of a benchmark's on one of two workers, the other idle, at half the throughput. So each
# worker publishes how many connections it holds, in memory shared by the workers (made before the fork), and
# accepts new ones only while no other worker holds fewer. The least loaded always accepts: nothing waits for a slot.
# A worker whose loop has not turned for STALE seconds (stuck, or killed before it could say so) is not counted.
SLOTS = 64
STALE = 5.0


class ConnectionCounts:
    def __init__(self) -> None:
        fork = multiprocessing.get_context("fork")
        self.pids = fork.RawArray("i", SLOTS)
        self.held = fork.RawArray("i", SLOTS)
        self.seen = fork.RawArray("d", SLOTS)  # time.monotonic() of each worker's last loop turn (one clock per host)
        self.used = fork.RawValue("i", 0)  # slots past this were never claimed: the check at every turn stops here
        self.lock = fork.Lock()

    def claim(self, pid: int) -> int:
        """A slot for this worker (one left by a worker that died is taken over); -1 if all are in use."""
        with self.lock:
            for slot in range(SLOTS):
                if self.pids[slot] == 0 or not _alive(self.pids[slot]):
                    self.pids[slot], self.held[slot], self.seen[slot] = pid, 0, time.monotonic()
                    self.used.value = max(self.used.value, slot + 1)
                    return slot
        return -1

    def release(self, slot: int) -> None:
        with self.lock:
            self.pids[slot], self.held[slot] = 0, 0

    def least_loaded(self, slot: int) -> bool:
        now = time.monotonic()
        self.seen[slot] = now  # asked at every turn of the asking worker's loop: its heartbeat
        mine = self.held[slot]
        return all(
            self.held[other] >= mine
            for other in range(self.used.value)
            if self.pids[other] and other != slot and now - self.seen[other] < STALE
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_counts: ConnectionCounts | None = None  # set by serve() in the master, inherited by every forked worker


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker that accepts connections only while it is the least loaded (see ConnectionCounts)."""

    slot = -1
    _held = 0
    _most = 1000

    def init_process(self) -> None:
        self.slot = _counts.claim(os.getpid()) if _counts else -1
        super().init_process()

    # gthread reads these two at every turn of its loop: it accepts while nr_conns < worker_connections.
    @property
    def nr_conns(self) -> int:
        return self._held

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._held = value
        if _counts is not None and self.slot >= 0:
            _counts.held[self.slot] = value

    @property
    def worker_connections(self) -> int:
        if _counts is None or self.slot < 0 or _counts.least_loaded(self.slot):
            return self._most
        return self._held  # not the least loaded: accept nothing now

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._most = value


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
        app = create_app(services)
        _tune_garbage_collector()
        return app


# A page allocates thousands of short-lived objects, which reference counting frees; cycles are rare. With CPython's
# default thresholds (700, 10, 10) the collector ran every few hundred allocations and rescanned the worker's
# long-lived objects (app, templates, caches) in its older generations. Frozen start-up objects and rarer young
# collections: ~4% more requests a second and a lower tail in A/B runs (benchmarks/README.md).
GC_THRESHOLDS = (20_000, 20, 20)


def _tune_garbage_collector() -> None:
    gc.collect()
    gc.freeze()  # what exists after start-up is never collected: it is scanned no more
    gc.set_threshold(*GC_THRESHOLDS)


def _worker_exit(_server: Any, worker: Any) -> None:
    if _counts is not None and getattr(worker, "slot", -1) >= 0:
        _counts.release(worker.slot)
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
    global _counts
    _counts = ConnectionCounts()
    print(f"Records archive at http://{host}:{port}/  (data in {home})", flush=True)
    password_file = home / "initial-admin-password"
    if password_file.exists():
        print(f"First login: user admin, password {password_file.read_text().strip()} (from {password_file})", flush=True)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers or default_workers(),
            "worker_class": "web.server.BalancedThreadWorker",
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
