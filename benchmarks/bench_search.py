"""Search figures (issue 3): indexing rate and query latency over synthetic records in a real tantivy index.

    python benchmarks/bench_search.py [--records 1000000] [--queries 500] [--hostile 50] [--index DIR]

Queries are what a reader types on the search page: one or two words + a category facet + a date range, with the
reader's clearance inside the query, facets counted and snippets made for the first page of 20 hits.

Hostile queries (issue 11): what an attacker types to make one search cost as much as possible: no filters, every
asking different (so none is answered from memory; timed on the index's uncached path), each refused as the
application refuses it (Search.search) before it reaches the index.
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

import application.search  # noqa: E402
from application.search import SearchQuery  # noqa: E402
from application.visibility import Visibility  # noqa: E402
from benchmarks.synthetic import CATEGORIES, CHARACTERS, Vocabulary, search_document  # noqa: E402
from domain.errors import InvalidValue  # noqa: E402
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


# Substrings of 3+ characters that synthetic.py puts in every record (title 关于…的通知, 办公室, 档号 Z109-…, 沪…〔…〕…号):
# each is a phrase query whose positions are checked in every record.
EVERYWHERE = ["的通知", "办公室", "z109", "z109-", "109-", "09-", "z10", "109"]


def hostile(count: int) -> dict[str, list[str]]:
    """Texts by class, `count` different ones each. The common characters are those of every title (关于…的通知)
    and the most frequent of the vocabulary: each is in nearly every record."""
    rng, words = random.Random(3), Vocabulary.build().words
    common = "关于的通知" + CHARACTERS[:45]

    def mixed() -> str:
        """200 characters: single characters, words, Latin, digits and one long run, 16 different terms."""
        parts = [*rng.sample(common, 5), *rng.sample(words[:200], 6), "ocr", "2001", f"z109-ws·{rng.randint(1980, 2024)}"]
        parts.append("".join(rng.choices(words[:500], k=120)))
        text = " ".join(parts)
        return text[:200]

    return {
        "a normal two-character word": [w for w in words[50:5000] if len(w) == 2][:count],
        "no text (every record, facets over all)": [""] * count,
        "one common single character": [common[i % len(common)] for i in range(count)],
        "16 different single CJK characters": [" ".join(rng.sample(CHARACTERS, 16)) for _ in range(count)],
        "a 200-character mixed query (16 terms)": [mixed() for _ in range(count)],
        "4 phrases in every record (的通知, 办公室, z109-…)": [" ".join(rng.sample(EVERYWHERE, 4)) for _ in range(count)],
        "100 single CJK characters (the attack)": [" ".join(rng.sample(CHARACTERS, 100)) for _ in range(count)],
    }


def refused(index: TantivySearchIndex, text: str) -> bool:
    """As Search.search refuses it (code before issue 11 refused nothing)."""
    check = getattr(application.search, "refuse_costly", None)
    if check is None:
        return False
    try:
        check(index, text)
    except InvalidValue:
        return True
    return False


def measure_hostile(index: TantivySearchIndex, count: int) -> None:
    reader = Visibility(clearance=1, open_upto=1)
    for name, texts in hostile(count).items():
        times, totals, refusals = [], [], 0
        for text in texts:
            start = time.perf_counter()
            if refused(index, text):
                refusals += 1
                times.append((time.perf_counter() - start) * 1000)
                continue
            result = index._search(SearchQuery(text=text, visibility=reader))  # uncached: each asking costs in full
            times.append((time.perf_counter() - start) * 1000)
            totals.append(result.total)
        hits = f"median hits {statistics.median(totals):,.0f}" if totals else "no search run"
        print(
            f"  hostile: {name}, {len(texts)} queries: p50 {p(times, 50):.1f} ms, p95 {p(times, 95):.1f} ms, "
            f"max {max(times):.1f} ms; {hits}" + (f"; refused {refusals}" if refusals else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--hostile", type=int, default=50, help="queries of each hostile class (0: none)")
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
    if args.hostile:
        measure_hostile(index, args.hostile)
    if not args.index:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
