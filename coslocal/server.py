"""The HTTP front door: gunicorn's gthread worker embedded through BaseApplication.

One worker process (so fault-injection state and SQLite connections live in one place), many
threads; request bodies are read from ``wsgi.input`` in chunks and file responses go out through
``wsgi.file_wrapper`` (sendfile), so memory stays flat whatever the object size.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.workers import gthread

from coslocal import response
from coslocal.config import Config


class _Embedded(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: Config) -> None:
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        c = self.config
        settings: dict[str, Any] = {
            "bind": f"{c.host}:{c.port}",
            "workers": 1,
            "worker_class": "coslocal.worker.CoslocalWorker",
            "threads": c.threads,
            # Complete Multipart and big PUTs run long; gthread heartbeats from its main loop, so
            # this only bounds a wedged worker.
            "timeout": 3600,
            "graceful_timeout": 5,
            "keepalive": 30,
            "loglevel": c.log_level,
            "accesslog": None,
            "errorlog": "-",
            "proc_name": "coslocal",
            "limit_request_line": 16384,
            "limit_request_field_size": 16384,
            # gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default; several
            # coslocal servers (tests, `make run`) would fight over that one path.
            "control_socket_disable": True,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init", _post_worker_init)

    def load(self) -> Any:
        from coslocal.app import CosApp

        return CosApp(self.config)


# COS answers with "Server: tencent-cos"; gunicorn writes its own Server header from this global.
gunicorn_wsgi.SERVER = "tencent-cos"
response.install()

# On SIGTERM, idle keep-alive connections are dropped after this long (gunicorn's default, 2 s,
# made every test server stop take 2 s). Requests in flight still get graceful_timeout.
gthread.STOP_KEEPALIVE_LINGER = 0.2


def _post_worker_init(worker: Any) -> None:
    # Opening the store (schema, orphan GC) happens in the worker, before it accepts requests.
    app = worker.wsgi
    if hasattr(app, "startup"):
        app.startup()


def _lock_data_dir(data_dir: Path) -> int:
    """One server per data directory: start-up GC would otherwise delete another server's
    in-flight temp files. The lock dies with the process, kill -9 included."""
    fd = os.open(data_dir / "coslocal.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"coslocal: {data_dir} is in use by another coslocal server") from None
    return fd


def serve(config: Config) -> None:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    _lock_data_dir(config.data_dir)
    # Run the orphan-blob GC before binding, so a fresh start never serves half-written state.
    from coslocal.store import Store

    Store(config.data_dir).collect_orphans()
    _Embedded(config).run()
