"""Login timing (issue 11 finding 6): a refused login for a known name and for an unknown one, median and p90 of
`--tries` each, alternating, through Accounts.login on SQLite. An attacker who can tell them apart learns which names
exist; the figure to watch is the ratio, which should be ~1.

    python benchmarks/bench_login.py [--tries 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args()
    os.environ["ARCHIVE_HOME"] = tempfile.mkdtemp(prefix="bench-login-")
    os.environ.pop("ARCHIVE_DATABASE_URL", None)
    from application.accounts import LoginRefused
    from application.authorisation import SYSTEM
    from application.bootstrap import Services, initialise
    from domain.users import Role
    from infrastructure.config import Settings

    settings = Settings.from_env()
    initialise(settings)
    services = Services(settings)
    services.archive.register_user(SYSTEM, username="wang", roles=[Role.READER], password_hash=services.passwords.hash("x" * 20))
    accounts = services.accounts
    for window in {id(w): w for w in (accounts.failures, getattr(accounts, "address_failures", accounts.failures))}.values():
        window.limit = 10**9  # measure the refusal itself, not the lock-out that follows five of them
    times: dict[str, list[float]] = {"known name, wrong password": [], "unknown name": []}
    for n in range(args.tries + 2):
        for label, name in (("known name, wrong password", "wang"), ("unknown name", f"nobody{n}")):
            start = time.perf_counter()
            try:
                accounts.login(name, "a wrong guess of some length", f"10.0.{n // 250}.{n % 250}")
            except LoginRefused:
                pass
            if n >= 2:  # the first tries warm caches (and make the dummy hash, once)
                times[label].append((time.perf_counter() - start) * 1000)
    medians = {}
    for label, samples in times.items():
        medians[label] = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(f"{label:28} median {medians[label]:6.1f} ms   p90 {p90:6.1f} ms   ({len(samples)} tries)")
    ratio = medians["unknown name"] / medians["known name, wrong password"]
    print(f"unknown / known: {ratio:.2f}")
    services.close()


if __name__ == "__main__":
    main()
