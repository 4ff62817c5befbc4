"""OCR figures: character accuracy on clean and degraded A4 pages, seconds per page on one core, pages/s with 2 processes.

    python benchmarks/bench_ocr.py [--pages 5]

Pages are generated A4 sheets at 300 dpi (2480x3508) holding ~25 lines of a Chinese official document; the degraded
copy of each is rotated by 1°, given Gaussian noise (sigma 10) and blurred (sigma 1.0), as a poor scan would be. Every
measuring process builds its own engine with one ONNX Runtime thread and is pinned to one CPU where the OS allows; the
engine start and a warm-up page are not counted.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infrastructure.ocr.rapid import RapidOcr, character_accuracy  # noqa: E402
from tests.pages import LINES, add_noise, blur, render_page, rotate  # noqa: E402

LINES_PER_PAGE = 25
KINDS = ("clean", "degraded")


def page_lines(number: int) -> list[str]:
    """LINES repeated to fill the page, each page starting at a different line."""
    return [LINES[(number + k) % len(LINES)] for k in range(LINES_PER_PAGE)]


def page(number: int, kind: str):  # type: ignore[no-untyped-def]
    image = render_page(page_lines(number))
    if kind == "degraded":
        image = blur(add_noise(rotate(image, 1.0), 10, seed=number), 1.0)
    return image


def cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def worker(jobs: list[tuple[int, str]], cpu: int | None, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Render its pages, start an engine and warm it up, wait for the others, then recognise and time each page."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    images = [(number, kind, page(number, kind)) for number, kind in jobs]
    ocr = RapidOcr(threads=1)
    start = time.perf_counter()
    ocr.recognise(render_page(LINES[:3], size=(1400, 400), font_px=44, margin=60))
    warm_up = time.perf_counter() - start
    barrier.wait()
    measured = []
    for number, kind, image in images:
        start = time.perf_counter()
        result = ocr.recognise(image)
        seconds = time.perf_counter() - start
        accuracy = character_accuracy(result.text, "".join(page_lines(number)))
        measured.append({"kind": kind, "seconds": seconds, "accuracy": accuracy, "confidence": result.confidence})
    results.put({"name": ocr.name, "warm_up": warm_up, "pages": measured})


def run(processes: int, jobs: list[tuple[int, str]]) -> tuple[list[dict], float]:
    """Per-page measurements from `processes` spawned workers, and the wall time from the common start to the last one."""
    context = mp.get_context("spawn")  # a fresh interpreter per worker: no ONNX Runtime state crosses a fork
    barrier, results = context.Barrier(processes + 1), context.Queue()
    available = cpus()
    workers = [
        context.Process(
            target=worker,
            args=(jobs[k::processes], available[k] if processes <= len(available) else None, barrier, results),
        )
        for k in range(processes)
    ]
    for process in workers:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    reports = [results.get() for _ in workers]
    wall = time.perf_counter() - start
    for process in workers:
        process.join()
    return reports, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5, help="pages per kind (clean and degraded), default 5")
    args = parser.parse_args()
    jobs = [(number, kind) for number in range(args.pages) for kind in KINDS]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(cpus())} CPUs available; {args.pages} pages x {len(KINDS)} kinds", file=sys.stderr)

    print("one process, one core ...", file=sys.stderr, flush=True)
    reports, _ = run(1, jobs)
    pages = reports[0]["pages"]
    print("two processes in parallel ...", file=sys.stderr, flush=True)
    parallel, wall = run(2, jobs)

    def of(kind: str, key: str) -> list[float]:
        return [item[key] for item in pages if item["kind"] == kind]

    rows = [
        ("engine", reports[0]["name"]),
        ("pages", f"{args.pages} clean + {args.pages} degraded, A4 300 dpi (2480x3508), {LINES_PER_PAGE} lines each"),
        ("degradation", "rotate 1°, Gaussian noise sigma 10, blur sigma 1.0"),
    ]
    for kind in KINDS:
        accuracy = of(kind, "accuracy")
        rows.append((f"character accuracy, {kind} (mean / min)", f"{statistics.mean(accuracy):.2%} / {min(accuracy):.2%}"))
    for kind in KINDS:
        rows.append((f"seconds per page, 1 core, {kind}", f"{statistics.mean(of(kind, 'seconds')):.2f}"))
    rows.append(("seconds per page, 1 core, all", f"{statistics.mean(item['seconds'] for item in pages):.2f}"))
    done = sum(len(report["pages"]) for report in parallel)
    rows.append(("pages/s, 2 processes (1 thread each)", f"{done / wall:.2f} ({done} pages in {wall:.1f} s)"))
    rows.append(("pages/s, 1 process (for comparison)", f"{len(pages) / sum(item['seconds'] for item in pages):.2f}"))
    rows.append(("CPUs available / 1-min load average at start", f"{len(cpus())} / {load:.2f}"))
    rows.append(("engine start + warm-up page", f"{reports[0]['warm_up']:.2f} s"))
    print("| measure | value |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
