"""Run every benchmark in bench/ (files named *_bench.py) in turn, each printing its table.

Benchmarks are not tests: they measure speed and memory against the goals in the issues, on
loopback only, with bounded sizes. Run one alone with `.venv/bin/python bench/<name>_bench.py`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("*_bench.py")):
        print(f"\n=== {script.name} ===", flush=True)
        result = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=HERE.parent)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
