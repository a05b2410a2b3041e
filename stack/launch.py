"""Start one program of the stack after clearing what a killed run of it left behind.

`python -m stack.launch NAME -- ARGV...` (supervisor's command for every program). A program
killed with SIGKILL takes only its main process down: its children (gunicorn's or granian's
workers, Celery's pool and beat) live on as orphans, still holding its port, its data-dir lock
or its tasks, and the restart would fail until they notice. Every process a launch starts
carries a mark in its environment (inherited by its children); supervisor starts a program only
when the previous run's main process is gone, so whatever still carries the mark is a leftover
and is killed before the new run starts.
"""

from __future__ import annotations

import os
import sys

import psutil

MARK = "CONSOLE_STACK_PROGRAM"


def leftovers(mark: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(MARK) == mark:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def clear_leftovers(mark: str) -> int:
    procs = leftovers(mark)
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(procs, timeout=5)
    return len(procs)


def main() -> None:
    name, sep, *argv = sys.argv[1:]
    if sep != "--" or not argv:
        raise SystemExit("usage: python -m stack.launch NAME -- ARGV...")
    # One mark per program and per stack (its var/ dir): other stacks on the machine are not ours.
    mark = f"{name}@{os.environ.get('CONSOLE_VAR_DIR', '')}"
    if cleared := clear_leftovers(mark):
        print(f"stack.launch: killed {cleared} leftover process(es) of {name}", flush=True)
    os.environ[MARK] = mark
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
