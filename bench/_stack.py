"""A real local stack for the console benchmarks: coslocal, Redis, the web server and a Celery
worker (with beat), each a process, on loopback ports; torn down and deleted afterwards.

The web server is the one `make run` serves (stack.web.server_argv: granian + Django ASGI), so
the figures are those of the shipped set-up; BENCH_SERVER=gunicorn serves the old WSGI set-up
(2 workers x 4 threads) for comparison."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coslocal.testing import DEFAULT_SECRET_ID as SECRET_ID  # noqa: E402
from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY  # noqa: E402
from coslocal.testing import CoslocalServer  # noqa: E402
from stack.net import free_port, wait_for_port  # noqa: E402
from stack.redis_server import redis_argv  # noqa: E402
from stack.web import server_argv  # noqa: E402

MB = 1024 * 1024
PASSWORD = "bench-password-1"
TERMINAL = {"succeeded", "partially_failed", "failed", "cancelled", "expired"}


@dataclass
class Stack:
    base: str
    cos: CoslocalServer
    tmp: Path
    web_pid: int
    worker_pid: int
    session: requests.Session

    def client(self):  # type: ignore[no-untyped-def]
        from objects_app.cos import CosConfig, CosS3Client

        conf = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY,
                         Scheme="http", IP="127.0.0.1", Port=self.cos.port)  # fmt: skip
        return CosS3Client(conf)

    def job_row(self, job_id: int) -> dict[str, object]:
        """The job's row, read from the stack's database (timestamps for exact durations)."""
        import sqlite3

        with sqlite3.connect(self.tmp / "bench.sqlite3") as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM objects_app_job WHERE id = ?", (job_id,)).fetchone()
            return dict(row)

    def wait_job(self, job_id: int, states: set[str], poll: float = 0.2) -> str:
        """Poll the job page (as the browser does) until the job is in one of `states`."""
        state_of = re.compile(r'data-state="([a-z_]+)"')
        while True:
            html = self.session.get(f"{self.base}/jobs/{job_id}/", headers={"HX-Request": "true"})
            match = state_of.search(html.text)
            if match and match.group(1) in states:
                return match.group(1)
            time.sleep(poll)


class PeakRss:
    """Samples the summed RSS of a process tree every 50 ms; `peak` is the maximum seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _env(tmp: Path, cos: CoslocalServer, redis_port: int, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="console.settings", CONSOLE_VAR_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", COS_SECRET_ID=SECRET_ID,
        COS_SECRET_KEY=SECRET_KEY, COS_IP="127.0.0.1", COS_PORT=str(cos.port), COS_SCHEME="http",
        CONSOLE_ADMIN_USER="bench", CONSOLE_ADMIN_PASSWORD=PASSWORD, CONSOLE_LOG_LEVEL="WARNING",
        **extra,
    )  # fmt: skip
    return env


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)  # fmt: skip


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    form = {"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    session.post(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"})
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    session.headers["Referer"] = f"{base}/"
    return session


def web_argv(port: int) -> list[str]:
    if os.environ.get("BENCH_SERVER", "granian") == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "console.wsgi:application", "--bind",
                f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--no-control-socket"]  # fmt: skip
    argv = server_argv(port, access_log=False) + os.environ.get("BENCH_WEB_ARGS", "").split()
    if os.environ.get("BENCH_SERVER") == "granian-wsgi":
        argv = [a.replace("console.asgi:application", "console.wsgi:application").replace("asginl", "wsgi") for a in argv]
    return argv


@contextlib.contextmanager
def running_stack(*, worker: bool = True, **extra_env: str) -> Iterator[Stack]:
    tmp = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    cos = CoslocalServer(tmp / "coslocal", secret_id=SECRET_ID, secret_key=SECRET_KEY).start()
    redis_port, web_port = free_port(), free_port()
    env = _env(tmp, cos, redis_port, extra_env)
    procs = [_start(redis_argv(redis_port, tmp / "redis"), env, tmp / "redis.log")]
    try:
        wait_for_port(redis_port)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "ensure_admin"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        web = _start(web_argv(web_port), env, tmp / "web.log")
        procs.append(web)
        if worker:
            procs.append(_start([sys.executable, "-m", "celery", "-A", "console", "worker",
                                 "--loglevel", "WARNING", "--concurrency", "2", "--queues",
                                 "console", "--beat", "--schedule", str(tmp / "beat")],
                                env, tmp / "worker.log"))  # fmt: skip
        wait_for_port(web_port)
        base = f"http://127.0.0.1:{web_port}"
        yield Stack(base, cos, tmp, web.pid, procs[-1].pid, _login(base))
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        cos.stop()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def seed_keys(
    cos: CoslocalServer, bucket: str, keys: list[str], storage_class: str = "STANDARD"
) -> None:
    """Zero-byte objects straight into coslocal's store (HTTP PUTs would dominate the time)."""
    from coslocal.store import Store

    now, etag = time.time(), '"d41d8cd98f00b204e9800998ecf8427e"'
    rows = [(bucket, k, "null", 1, 0, 0, etag, "0", "[]", now, "{}", storage_class, "{}")
            for k in keys]  # fmt: skip
    with Store(Path(cos.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def seed_uploads(cos: CoslocalServer, bucket: str, count: int, prefix: str = "u/") -> None:
    """Unfinished multipart uploads (no parts) straight into coslocal's store."""
    from coslocal.store import Store

    at = time.time() - 86400
    tag = bucket.split("-")[0]  # upload ids are unique across buckets
    rows = [(f"seed{n:07d}{tag}", bucket, f"{prefix}{n:07d}", at, "{}", "STANDARD", "{}")
            for n in range(count)]  # fmt: skip
    with Store(Path(cos.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO uploads (upload_id, bucket, key, initiated, headers, storage_class, acl)"
            " VALUES (?,?,?,?,?,?,?)",
            rows,
        )
