"""The `web` process of the stack: wait for COS, seed the demo bucket, then exec granian."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stack.net import wait_for_port

ROOT = Path(__file__).resolve().parent.parent


def server_argv(port: int, *, workers: int = 2, access_log: bool = True) -> list[str]:
    """granian serving Django's ASGI app: the HTTP layer is Rust on an event loop, so a slow or
    idle client holds a socket, not a thread. Headers must arrive within
    CONSOLE_HEADER_READ_TIMEOUT (granian) and a body must keep flowing (console.asgi); each
    request's view then runs in a thread of its own, so no fixed pool can be taken."""
    header_ms = int(os.environ.get("CONSOLE_HEADER_READ_TIMEOUT", "10")) * 1000
    argv = [
        sys.executable, "-m", "granian", "console.asgi:application",
        "--interface", "asginl",  # Django has no lifespan protocol
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
        "--http", "1",
        "--no-ws",
        "--http1-header-read-timeout", str(min(header_ms, 60_000)),
        # Requests in flight per worker; beyond it granian queues instead of piling up threads.
        "--backpressure", os.environ.get("WEB_BACKPRESSURE", "256"),
        "--respawn-failed-workers",
        "--workers-kill-timeout", "30",
    ]  # fmt: skip
    return [*argv, "--access-log"] if access_log else argv


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
    argv = server_argv(int(port), workers=int(os.environ.get("WEB_WORKERS", "2")))
    os.chdir(ROOT)
    os.execv(sys.executable, argv)


if __name__ == "__main__":
    main()
