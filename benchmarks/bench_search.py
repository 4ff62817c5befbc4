"""Search figures (issue 3): indexing rate and query latency over synthetic records in a real tantivy index.

    python benchmarks/bench_search.py [--records 1000000] [--queries 500] [--index DIR]

Queries are what a reader types on the search page: one or two words + a category facet + a date range, with the
reader's clearance inside the query, facets counted and snippets made for the first page of 20 hits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.search import SearchQuery  # noqa: E402
from application.visibility import Visibility  # noqa: E402
from benchmarks.synthetic import CATEGORIES, Vocabulary, search_document  # noqa: E402
from infrastructure.search.tantivy_index import TantivySearchIndex  # noqa: E402


def p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


def index_records(index: TantivySearchIndex, records: int, batch: int, distinct: int = 50_000) -> float:
    """Records per second through the index, wall clock, merges included. Texts are drawn from `distinct` generated
    records (making ~1 KB of Chinese text costs more than indexing it); ids, codes, years and dates differ."""
    rng, vocabulary = random.Random(1), Vocabulary.build()
    pool = [search_document(n, rng, vocabulary) for n in range(min(distinct, records))]
    start = time.perf_counter()
    with index.bulk():  # as a rebuild does: one writer, each batch committed, merges not waited for in between
        for first in range(0, records, batch):
            docs = [_variant(pool[n % len(pool)], n) for n in range(first, min(records, first + batch))]
            index.upsert(docs)
            done = min(records, first + batch)
            print(f"\r  indexed {done:,} ({done / (time.perf_counter() - start):,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return records / (time.perf_counter() - start)


def _variant(doc: dict, n: int) -> dict:
    year = 1980 + n % 45
    return {
        **doc,
        "record_id": f"{n:012d}",
        "year": year,
        "date": doc["date"].replace(year=year),
        "code": f"Z109-{doc['category']}·{year}-{doc['retention']}-{doc['org']}-{n % 10000:04d}",
    }


def queries(count: int) -> list[SearchQuery]:
    rng, vocabulary = random.Random(2), Vocabulary.build()
    reader = Visibility(clearance=1, open_upto=1)
    found = []
    for _ in range(count):
        words = rng.sample(vocabulary.words[50:5000], rng.choice((1, 1, 2)))
        first = rng.randint(1980, 2020)
        found.append(
            SearchQuery(
                text=" ".join(words),
                visibility=reader,
                category=rng.choice(CATEGORIES),
                date_from=dt.date(first, 1, 1),
                date_to=dt.date(first + 4, 12, 31),
            )
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--index", type=Path, help="keep the index here (reused when it already holds --records)")
    args = parser.parse_args()
    folder = args.index or Path(tempfile.mkdtemp(prefix="archive-bench-search-"))
    index = TantivySearchIndex(folder, writer_memory=1_000_000_000, threads=2)
    if index.count() != args.records:
        index.clear()
        rate = index_records(index, args.records, args.batch)
        print(f"indexing: {args.records:,} records at {rate:,.0f} records/s")
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"index size: {size / 1e9:.2f} GB ({size / args.records:,.0f} bytes/record)")
    times, totals = [], []
    for query in queries(args.queries):
        start = time.perf_counter()
        result = index.search(query)
        times.append((time.perf_counter() - start) * 1000)
        totals.append(result.total)
    print(
        f"query (keyword + category + date range + clearance + facets + snippets), {args.queries} queries: "
        f"p50 {p(times, 50):.1f} ms, p95 {p(times, 95):.1f} ms, max {max(times):.1f} ms; median hits {statistics.median(totals):,.0f}"
    )
    if not args.index:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
