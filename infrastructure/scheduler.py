"""Background jobs of a serving process (APScheduler): follow the event log into the ledger, sign checkpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


def start_scheduler(jobs: list[tuple[str, Callable[[], object], int]]) -> BackgroundScheduler:
    """jobs: (name, function, interval in seconds). A job never runs twice at once (max_instances=1)."""
    # Not even its warnings: a follower busier than its interval is skipped a turn and logs a line every second,
    # which would drown the request log; the job simply runs again at the next turn. A failing job is logged below.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    scheduler = BackgroundScheduler(daemon=True)
    for name, function, seconds in jobs:
        scheduler.add_job(
            _logged(name, function), "interval", seconds=seconds, id=name, name=name, max_instances=1, coalesce=True
        )
    scheduler.start()
    return scheduler


def _logged(name: str, function: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            function()
        except Exception:  # a failing job must not kill the scheduler; it is logged and retried next interval
            log.exception("scheduled job %s failed", name)

    return run
