"""Projection figures (issue 3): rebuild rate (catalogue + search index together) and the catalogue as of a moment.

    python benchmarks/bench_projections.py [--backend sqlite|postgres] [--records 100000]

Fills a real store with records that went through collection, cataloguing, review and appraisal (five signed
events each with the 档号 allocation), built incrementally; then times `rebuild catalogue search` and the
compliance officer's "catalogue as of" at a moment near the end of the history.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.authorisation import SYSTEM  # noqa: E402
from application.bootstrap import Services, initialise  # noqa: E402
from benchmarks.bench_core import make_settings  # noqa: E402
from benchmarks.synthetic import CATEGORIES, LEVELS, ORGS, Vocabulary  # noqa: E402
from domain.archival_code import ClassKey  # noqa: E402
from domain.numbering import ItemSequence  # noqa: E402
from domain.records import Record  # noqa: E402
from domain.values import Retention, SecurityLevel  # noqa: E402


def fill(services: Services, records: int, batch: int = 250) -> None:
    """Records through the first workflow steps, saved a batch per transaction (not timed)."""
    rng, vocabulary = random.Random(3), Vocabulary.build()
    sequences: dict[ClassKey, ItemSequence] = {}
    for first in range(0, records, batch):
        changed, aggregates = set(), []
        for _ in range(first, min(records, first + batch)):
            key = ClassKey("Z109", rng.choice(CATEGORIES), rng.randint(1990, 2024), "D30", rng.choice(ORGS))
            sequence = sequences.setdefault(key, ItemSequence.start(key))
            record = Record.collect(
                title="关于" + vocabulary.sentence(rng, 4) + "的通知",
                source="办公室",
                actor=SYSTEM.id,
                metadata={"abstract": vocabulary.sentence(rng, 12), "date": f"{key.year}-03-01"},
            )
            record.catalogue(sequence.allocate(record.id, SYSTEM.id), "办公室/通知", actor=SYSTEM.id)
            record.review(passed=True, actor=SYSTEM.id)
            record.appraise(Retention("D30"), SecurityLevel(rng.choice(LEVELS)), actor=SYSTEM.id)
            changed.add(key)
            aggregates.append(record)
        services.archive.save(*[sequences[k] for k in changed], *aggregates)
        print(f"\r  filled {min(records, first + batch):,} records", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as scratch:
        settings = make_settings(args.backend, Path(scratch) / "home")
        initialise(settings)
        services = Services(settings)
        fill(services, args.records)
        moment = datetime.now(UTC)
        services.ledger.catch_up(batch_size=2000)  # as the serving process does within seconds of each write
        events = services.archive.recorder.max_notification_id()
        start = time.perf_counter()
        services.projections.run(limit=2000)
        incremental = time.perf_counter() - start
        start = time.perf_counter()
        services.projections.rebuild(["catalogue", "search"])
        rebuild = time.perf_counter() - start
        start = time.perf_counter()
        rows = services.catalogue.as_of(SYSTEM, moment)
        as_of = time.perf_counter() - start
        assert len(rows) == args.records, len(rows)
        print(f"\n## projection figures ({args.backend}, {args.records:,} records, {events:,} events)\n")
        print("| figure | value |\n|---|---|")
        print(f"| catch-up, all projections (events/s) | {events / incremental:,.0f} |")
        print(f"| rebuild catalogue + search index (events/s) | {events / rebuild:,.0f} |")
        print(f"| catalogue as of a moment, {args.records:,} records (s) | {as_of:.1f} |")


if __name__ == "__main__":
    main()
