"""Figures for the event-sourced core (issue 2). Prints a table; writes nothing outside its scratch folder.

    python benchmarks/bench_core.py [--backend sqlite|postgres] [--ledger-entries 1000000]

Measures, through the real application and stores: single-command saves (one signed event per transaction),
batched import (hundreds of signed events per transaction), ledger sealing, `ledger verify` of an export on all
cores, inclusion / consistency proofs (p95) at the full ledger size, and `show --version` (state at a version).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.authorisation import SYSTEM  # noqa: E402
from application.bootstrap import Services, initialise  # noqa: E402
from infrastructure.config import Settings  # noqa: E402


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94]


def make_settings(backend: str, home: Path) -> Settings:
    env = {"ARCHIVE_HOME": str(home)}
    if backend == "postgres":
        import psycopg

        name = f"archive_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["ARCHIVE_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
    return Settings.from_env(env)


def single_saves(services: Services, count: int) -> float:
    start = time.perf_counter()
    for n in range(count):
        services.archive.collect(SYSTEM, title=f"单件保存测试 {n}", source="办公室")
    return count / (time.perf_counter() - start)


def batched_import(services: Services, records: int, batch: int) -> float:
    """Each record is two signed events (Record.Collected + Transfer.ItemReceived)."""
    events = 0
    start = time.perf_counter()
    for first in range(0, records, batch):
        items = [f"item-{n}" for n in range(first, min(records, first + batch))]
        transfer_id = services.archive.register_transfer(SYSTEM, department="办公室", expected=items)
        rows = [(item, uuid.uuid4(), {"title": f"批量导入 {item}", "source": "办公室"}) for item in items]
        services.archive.receive_batch(SYSTEM, transfer_id, rows)
        events += 1 + 2 * len(items)
    return events / (time.perf_counter() - start)


def fill(services: Services, total_events: int) -> None:
    """Bring the event store to `total_events` events with batched imports (not timed)."""
    current = services.archive.recorder.max_notification_id() or 0
    while current < total_events:
        n = min(2000, (total_events - current - 1) // 2) or 1
        batched_import(services, n, n)
        current = services.archive.recorder.max_notification_id() or 0


def measure(backend: str, ledger_entries: int, singles: int, batched: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as scratch:
        settings = make_settings(backend, Path(scratch) / "home")
        initialise(settings)
        services = Services(settings)
        out.append(("single-command saves (signed events/s)", f"{single_saves(services, singles):,.0f}"))
        out.append(("batched import, 500/transaction (signed events/s)", f"{batched_import(services, batched, 500):,.0f}"))

        fill(services, ledger_entries)
        start = time.perf_counter()
        sealed = services.ledger.catch_up(batch_size=1000)
        out.append(("ledger sealing (entries/s)", f"{sealed / (time.perf_counter() - start):,.0f}"))
        size = services.ledger.checkpoint()["size"]
        out.append(("ledger size (entries)", f"{size:,}"))

        export = Path(scratch) / "export"
        services.ledger.export(export)
        start = time.perf_counter()
        report = services.verify_export(export)
        assert report.ok, report.reason
        out.append((f"ledger verify of {size:,} entries, {os.cpu_count()} cores (s)", f"{time.perf_counter() - start:.1f}"))

        inclusion, consistency = [], []
        fresh = Services(settings)  # a cold node cache, as after a restart
        for _ in range(500):
            seq = random.randint(1, size)
            t = time.perf_counter()
            fresh.ledger.inclusion_proof(seq, size)
            inclusion.append((time.perf_counter() - t) * 1000)
            first = random.randint(1, size)
            t = time.perf_counter()
            fresh.ledger.consistency_proof(first, size)
            consistency.append((time.perf_counter() - t) * 1000)
        out.append((f"inclusion proof at {size:,} p95 (ms)", f"{p95(inclusion):.2f}"))
        out.append((f"consistency proof at {size:,} p95 (ms)", f"{p95(consistency):.2f}"))

        record_id = services.archive.collect(SYSTEM, title="时间旅行", source="办公室")
        for n in range(30):
            services.archive.annotate(SYSTEM, record_id, {"note": f"批注 {n}"})
        timings = []
        for _ in range(200):
            t = time.perf_counter()
            fresh.history.state(record_id, version=random.randint(1, 31))
            timings.append((time.perf_counter() - t) * 1000)
        out.append(("show --version of a 31-event record, p95 (ms, in process)", f"{p95(timings):.2f}"))
        fresh.close()
        services.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--ledger-entries", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=3000)
    parser.add_argument("--batched", type=int, default=20000)
    args = parser.parse_args()
    rows = measure(args.backend, args.ledger_entries, args.singles, args.batched)
    print(f"\n## core figures ({args.backend})\n")
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
