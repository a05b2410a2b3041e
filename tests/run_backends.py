"""Run the whole suite once per database backend, the backends side by side (`make test`).

Most of the suite's time is spent waiting (on workers, browsers, COS round trips), so two
sessions share two cores well, and the two backends finish in little more than the time of one.
Each session gets its own pytest base directory (concurrent sessions of one user would otherwise
prune each other's numbered ones) and its own log, printed whole when it ends.

    python tests/run_backends.py sqlite postgres -- -q -p no:cacheprovider
    TEST_SERIAL=1 python tests/run_backends.py ...   # one after the other
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _start(db: str, pytest_args: list[str]) -> tuple[subprocess.Popen[bytes], Path, float]:
    VAR.mkdir(exist_ok=True)
    log = VAR / f"test-{db}.log"
    command = [sys.executable, "-m", "pytest", f"--basetemp={VAR / f'pytest-{db}'}", *pytest_args]
    env = {**os.environ, "CONSOLE_TEST_DB": db}
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, log, time.monotonic()


def _report(db: str, proc: subprocess.Popen[bytes], log: Path, started: float) -> int:
    code = proc.wait()
    print(f"== the whole suite on {db}: exit {code} after {time.monotonic() - started:.0f} s")
    sys.stdout.write(log.read_text(errors="replace"))
    sys.stdout.flush()
    return code


def main(argv: list[str]) -> int:
    split = argv.index("--") if "--" in argv else len(argv)
    dbs, pytest_args = argv[:split], argv[split + 1 :]
    if os.environ.get("TEST_SERIAL"):
        codes = [_report(db, *_start(db, pytest_args)) for db in dbs]
    else:
        running = [(db, *_start(db, pytest_args)) for db in dbs]
        codes = [_report(*run) for run in running]
    return next((code for code in codes if code), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
