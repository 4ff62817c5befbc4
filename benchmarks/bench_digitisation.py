"""Digitisation figures (issue 4): page pipeline throughput on every core, and deskew accuracy.

    python benchmarks/bench_digitisation.py [--pages 40]

Pipeline = decode the scanner's PNG + crop + deskew + denoise + sharpen + QC metrics + web view, thumbnail (the
work of ParallelImaging.process, one process per core), on A4 pages at 300 dpi, skewed, noised and framed.
Deskew error is measured over −5°..5° in 0.25° steps on noisy framed pages. OCR figures: bench_ocr.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infrastructure.imaging.pipeline import ParallelImaging  # noqa: E402
from infrastructure.imaging.processing import crop_dark_borders, measure_skew  # noqa: E402
from tests import pages  # noqa: E402


def scanned_page(n: int) -> bytes:
    angle = ((n * 37) % 100) / 10 - 5  # spread over −5..5°
    page = pages.render_page(pages.LINES * 2)
    return pages.encode(pages.dark_border(pages.add_noise(pages.rotate(page, angle), 6, seed=n)), "png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    originals = [scanned_page(n) for n in range(args.pages)]
    imaging = ParallelImaging()
    imaging.process([(originals[0], 0), (originals[1], 0)], {})  # start the workers (not timed)
    start = time.perf_counter()
    results = imaging.process([(data, 0) for data in originals], {"web_long_side": 2000})
    elapsed = time.perf_counter() - start
    imaging.close()
    assert len(results) == args.pages

    clean = pages.render_page(pages.LINES * 2)
    errors = []
    for step in range(-20, 21):
        angle = step / 4
        page = pages.dark_border(pages.add_noise(pages.rotate(clean, angle), 8, seed=step + 20))
        paper, _box = crop_dark_borders(page)  # as the pipeline does: the frame edges would pull the angle to 0°
        errors.append(abs(measure_skew(paper) - angle))
    print(f"\n## digitisation figures ({os.cpu_count()} cores)\n")
    print("| figure | value |\n|---|---|")
    print(f"| page pipeline, A4 300 dpi PNG in → derivatives + metrics out (pages/s) | {args.pages / elapsed:.1f} |")
    print(
        f"| deskew mean absolute error over −5°..5° ({len(errors)} angles, noise σ 8, dark frame) | {statistics.mean(errors):.3f}° |"
    )
    print(f"| deskew worst error | {max(errors):.3f}° |")


if __name__ == "__main__":
    main()
