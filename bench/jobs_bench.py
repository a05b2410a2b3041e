"""Benchmark the jobs area on a real local stack (coslocal, Redis, gunicorn, a Celery worker).

1. Large upload through the browser-chunk endpoint (PUT /uploads/<id>/chunks/<n>, as
   large-upload.js sends it) until the job has finished the object in COS: MB/s end to end, and
   the peak RSS of the web server and of the worker (all their processes, sampled).
   Compared with the client's direct upload_file of the same file.
2. Batch delete of N objects under a prefix (dry run, then delete): objects/s of the delete phase.

    .venv/bin/python bench/jobs_bench.py [--size-mb 2048] [--objects 100000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coslocal.testing import DEFAULT_SECRET_ID as SECRET_ID  # noqa: E402
from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY  # noqa: E402
from coslocal.testing import CoslocalServer  # noqa: E402
from stack.net import free_port, wait_for_port  # noqa: E402
from stack.redis_server import redis_argv  # noqa: E402

BUCKET = "jobsbench-1250000000"
MB = 1024 * 1024
PASSWORD = "bench-password-1"


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


def stack_env(tmp: Path, cos: CoslocalServer, redis_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="console.settings",
        CONSOLE_VAR_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        COS_SECRET_ID=SECRET_ID,
        COS_SECRET_KEY=SECRET_KEY,
        COS_IP="127.0.0.1",
        COS_PORT=str(cos.port),
        COS_SCHEME="http",
        CONSOLE_ADMIN_USER="bench",
        CONSOLE_ADMIN_PASSWORD=PASSWORD,
        CONSOLE_LOG_LEVEL="WARNING",
    )
    return env


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    form = {"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    session.post(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"})
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    session.headers["Referer"] = f"{base}/"
    return session


def wait_job(session: requests.Session, base: str, job_id: int, states: set[str]) -> str:
    from_detail = re.compile(r'data-state="([a-z_]+)"')
    while True:
        html = session.get(f"{base}/jobs/{job_id}/", headers={"HX-Request": "true"}).text
        match = from_detail.search(html)
        if match and match.group(1) in states:
            return match.group(1)
        time.sleep(0.2)


def bench_upload(session: requests.Session, base: str, path: Path, key: str) -> float:
    size = path.stat().st_size
    url = f"{base}/b/{BUCKET}/large-upload/"
    state = session.post(url, data={"key": key, "size": size, "fingerprint": "bench"}).json()
    chunk = int(state["chunk_size"])
    started = time.perf_counter()
    with path.open("rb") as fp:
        for index in range(state["chunks"]):
            body = fp.read(chunk)
            response = session.put(f"{base}/uploads/{state['job_id']}/chunks/{index}", data=body)
            response.raise_for_status()
    received = time.perf_counter() - started
    final = wait_job(session, base, state["job_id"], {"succeeded", "failed", "cancelled"})
    assert final == "succeeded", final
    total = time.perf_counter() - started
    print(
        f"  chunks received in {received:.1f} s, then the worker's upload {total - received:.1f} s"
    )
    return total


def bench_direct(cos: CoslocalServer, path: Path) -> float:
    from objects_app.cos import CosConfig, CosS3Client

    conf = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY,
                     Scheme="http", IP="127.0.0.1", Port=cos.port)  # fmt: skip
    started = time.perf_counter()
    CosS3Client(conf).upload_file(
        Bucket=BUCKET, Key="direct.bin", LocalFilePath=str(path), PartSize=8, MAXThread=4
    )
    return time.perf_counter() - started


def seed(cos: CoslocalServer, count: int) -> None:
    from coslocal.store import Store

    now, etag = time.time(), '"d41d8cd98f00b204e9800998ecf8427e"'
    rows = [
        (BUCKET, f"del/{n:07d}", "null", 1, 0, 0, etag, "0", "[]", now, "{}", "STANDARD", "{}")
        for n in range(count)
    ]
    with Store(Path(cos.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def bench_delete(session: requests.Session, base: str) -> tuple[float, float]:
    html = session.post(f"{base}/b/{BUCKET}/batch-delete/", data={"prefix": "del/"}).text
    job_id = int(re.search(r'id="job-(\d+)"', html).group(1))  # type: ignore[union-attr]
    started = time.perf_counter()
    wait_job(session, base, job_id, {"pending"})
    planned = time.perf_counter() - started
    started = time.perf_counter()
    session.post(f"{base}/jobs/{job_id}/confirm-delete/", data={"mode": "current"})
    final = wait_job(session, base, job_id, {"succeeded", "partially_failed", "failed"})
    assert final == "succeeded", final
    return planned, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    cos = CoslocalServer(tmp / "coslocal", secret_id=SECRET_ID, secret_key=SECRET_KEY).start()
    redis_port, web_port = free_port(), free_port()
    env = stack_env(tmp, cos, redis_port)
    procs = [start(redis_argv(redis_port, tmp / "redis"), env, tmp / "redis.log")]
    try:
        wait_for_port(redis_port)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "ensure_admin"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        web = start([sys.executable, "-m", "gunicorn", "console.wsgi:application", "--bind",
                     f"127.0.0.1:{web_port}", "--workers", "2", "--threads", "4"],
                    env, tmp / "web.log")  # fmt: skip
        worker = start([sys.executable, "-m", "celery", "-A", "console", "worker", "--loglevel",
                        "WARNING", "--concurrency", "2", "--queues", "console"],
                       env, tmp / "worker.log")  # fmt: skip
        procs += [web, worker]
        wait_for_port(web_port)
        base = f"http://127.0.0.1:{web_port}"
        from tests.conftest import client_for

        client_for(cos).create_bucket(Bucket=BUCKET)
        session = login(base)
        report(session, base, cos, tmp, args, web.pid, worker.pid)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        cos.stop()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def report(session: Any, base: str, cos: CoslocalServer, tmp: Path, args: Any, web_pid: int,
           worker_pid: int) -> None:  # fmt: skip
    path = tmp / "big.bin"
    with path.open("wb") as fp:
        for _ in range(args.size_mb):
            fp.write(os.urandom(MB))
    # Each run starts with no dirty pages pending, so neither pays for the writeback of the
    # source file or of the other run's writes (the first run used to pay for both).
    os.sync()
    with PeakRss(web_pid) as web_rss, PeakRss(worker_pid) as worker_rss:
        console = bench_upload(session, base, path, "console.bin")
    os.sync()
    direct = bench_direct(cos, path)
    mb = args.size_mb
    print(f"upload {mb} MiB  direct upload_file: {mb / direct:8.1f} MB/s ({direct:.1f} s)")
    print(f"upload {mb} MiB  through console:    {mb / console:8.1f} MB/s ({console:.1f} s), "
          f"{100 * direct / console:.0f}% of direct")  # fmt: skip
    print(f"peak RSS  web (gunicorn, all processes): {web_rss.peak / MB:.0f} MiB; "
          f"worker (celery, all processes): {worker_rss.peak / MB:.0f} MiB")  # fmt: skip
    path.unlink()
    seed(cos, args.objects)
    planned, deleted = bench_delete(session, base)
    print(f"delete {args.objects} objects: dry run {planned:.1f} s; "
          f"delete {deleted:.1f} s = {args.objects / deleted:,.0f} objects/s")  # fmt: skip


if __name__ == "__main__":
    main()
