"""Run every benchmark in turn (long: about an hour on 2 cores) and print their tables; see benchmarks/README.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ["bench_core.py", "--backend", "sqlite"],
    ["bench_core.py", "--backend", "postgres"],
    ["bench_projections.py", "--backend", "sqlite"],
    ["bench_projections.py", "--backend", "postgres"],
    ["bench_search.py"],
    ["bench_digitisation.py"],
    ["bench_ocr.py"],
    ["bench_web.py"],
]

if __name__ == "__main__":
    failed = 0
    for script, *args in RUNS:
        print(f"\n# {script} {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / script), *args]).returncode != 0
    sys.exit(1 if failed else 0)
