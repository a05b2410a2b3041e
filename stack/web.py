"""The `web` process of the stack: wait for COS, seed the demo bucket once, then exec gunicorn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stack.net import wait_for_port

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    port = os.environ.get("WEB_PORT", "8000")
    if os.environ.get("CONSOLE_SEED_DEMO") == "true":
        wait_for_port(int(os.environ["COSLOCAL_PORT"]), timeout=60)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "seed_demo"], check=True)
    login = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "ensure_admin"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    print(f"\n  COS Console: http://127.0.0.1:{port}/\n  {login}\n", flush=True)
    argv = [
        sys.executable, "-m", "gunicorn", "console.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", os.environ.get("WEB_WORKERS", "2"),
        "--threads", os.environ.get("WEB_THREADS", "4"),
        "--timeout", "120",
        "--access-logfile", "-",
        # gunicorn 27's control socket sits at one shared path in $HOME; we never use it.
        "--no-control-socket",
    ]  # fmt: skip
    os.chdir(ROOT)
    os.execv(sys.executable, argv)


if __name__ == "__main__":
    main()
