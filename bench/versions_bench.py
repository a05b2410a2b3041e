"""Benchmark version history (issue 12) on a real local stack, printing one table.

1. Versions panel: the first page of a key with 100,000 versions against a key with 10 (the
   versions page, and the object page that shows the panel). Goal: within 2x.
2. "Show versions" of a folder: the first page of a folder holding 1,000,000 versions against
   one holding 1,000. Goal: within 2x. ("Show deleted" is timed too.)

    .venv/bin/python bench/versions_bench.py [--rounds 40] [--big-versions 1000000]

The rewind and delete-noncurrent jobs need a worker: bench/history_jobs_bench.py times them.

Seeding a million versions over HTTP would take most of an hour, so they are written straight
into coslocal's store (as tests/jobs/conftest.py::seed_keys does), one transaction per batch;
every read then goes over HTTP through the console as a browser's would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coslocal.testing import DEFAULT_SECRET_ID as SECRET_ID  # noqa: E402
from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY  # noqa: E402
from coslocal.testing import CoslocalServer  # noqa: E402
from stack.net import free_port, wait_for_port  # noqa: E402

PASSWORD = "bench-password-1"


@dataclass
class Stack:
    base: str
    cos: CoslocalServer
    session: requests.Session

    def client(self):  # type: ignore[no-untyped-def]
        from objects_app.cos import CosConfig, CosS3Client

        conf = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY,
                         Scheme="http", IP="127.0.0.1", Port=self.cos.port)  # fmt: skip
        return CosS3Client(conf)


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    form = {"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    session.post(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"})
    return session


@contextlib.contextmanager
def running_stack() -> Iterator[Stack]:
    """coslocal and the console under gunicorn (2 workers x 4 threads), in a temp dir."""
    with tempfile.TemporaryDirectory(prefix="versions-bench-") as name:
        tmp = Path(name)
        cos = CoslocalServer(tmp / "cos", secret_id=SECRET_ID, secret_key=SECRET_KEY).start()
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="console.settings", CONSOLE_VAR_DIR=str(tmp),
            DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}", COS_SECRET_ID=SECRET_ID,
            COS_SECRET_KEY=SECRET_KEY, COS_IP="127.0.0.1", COS_PORT=str(cos.port),
            COS_SCHEME="http", CONSOLE_ADMIN_USER="bench", CONSOLE_ADMIN_PASSWORD=PASSWORD,
            CONSOLE_LOG_LEVEL="WARNING",
        )  # fmt: skip
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "ensure_admin"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        port = free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "console.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--no-control-socket"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_port(port, timeout=30)
            base = f"http://127.0.0.1:{port}"
            yield Stack(base, cos, _login(base))
        finally:
            web.terminate()
            web.wait(timeout=20)
            cos.stop()


BUCKET = "versbench-1250000000"
EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'
BATCH = 50_000


def version_rows(bucket: str, keys: list[str], versions: int, start: float) -> Iterator[tuple]:
    """Rows of `versions` versions per key, oldest first (so the newest has the highest id),
    10 s apart starting at `start`; the newest is the current one."""
    headers = json.dumps({"Content-Type": "text/plain"})
    acl = json.dumps({"canned": "default"})
    for key in keys:
        for v in range(versions):
            yield (bucket, key, f"v{v:07d}", int(v == versions - 1), 0, 0, EMPTY_ETAG, "0",
                   "[]", start + 10 * v, headers, "STANDARD", acl)  # fmt: skip


def seed(stack: Stack, rows: Iterator[tuple]) -> int:
    from coslocal.store import Store

    store, total, batch = Store(Path(stack.cos.data_dir)), 0, []
    sql = (
        "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
        " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            with store.db.write() as conn:
                conn.executemany(sql, batch)
            total, batch = total + len(batch), []
    with store.db.write() as conn:
        conn.executemany(sql, batch)
    return total + len(batch)


def timed(stack: Stack, path: str, expect: str, rounds: int) -> list[float]:
    url = stack.base + path
    stack.session.get(url)  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = stack.session.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and expect in response.text, (path, response.text[:300])
    return times


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f}"


def compare(stack: Stack, name: str, small: tuple[str, str], big: tuple[str, str], rounds: int):  # type: ignore[no-untyped-def]
    a, b = timed(stack, *small, rounds), timed(stack, *big, rounds)
    ratio = statistics.median(b) / statistics.median(a)
    verdict = "ok" if ratio <= 2 else "MISSED"
    print(f"| {name:<46} | {ms(a)} | {ms(b)} | {ratio:5.2f}x | {verdict:<6} |", flush=True)


def pages(stack: Stack, rounds: int, big: int) -> None:
    keys_big = big // 5
    start = time.time() - 3600
    took = time.perf_counter()
    n = seed(stack, version_rows(BUCKET, ["panel/ten.txt"], 10, start))
    n += seed(stack, version_rows(BUCKET, ["panel/lots.txt"], 100_000, start))
    n += seed(stack, version_rows(BUCKET, [f"small/k{i:07d}" for i in range(200)], 5, start))
    n += seed(stack, version_rows(BUCKET, [f"big/k{i:07d}" for i in range(keys_big)], 5, start))
    print(f"seeded {n:,} versions in {time.perf_counter() - took:.1f} s\n", flush=True)
    print(f"| {'first page (p50 of ' + str(rounds) + ' requests)':<46} | small ms | large ms "
          "| ratio  | <= 2x  |")  # fmt: skip
    print(f"|{'-' * 48}|----------|----------|--------|--------|")
    obj = f"/b/{BUCKET}/object/?key="
    ver = f"/b/{BUCKET}/versions/?key="
    compare(stack, "versions page: 10 vs 100,000 versions",
            (ver + "panel%2Ften.txt", "v0000000"), (ver + "panel%2Flots.txt", "v0099950"),
            rounds)  # fmt: skip
    compare(stack, "object page + panel: 10 vs 100,000 versions",
            (obj + "panel%2Ften.txt", "versions-panel"),
            (obj + "panel%2Flots.txt", "v0099950"), rounds)  # fmt: skip
    folder = f"/b/{BUCKET}/?page_size=100&prefix="
    compare(stack, f"show versions: 1,000 vs {big:,} versions",
            (folder + "small%2F&versions=1", "k0000019"),
            (folder + "big%2F&versions=1", "k0000019"),
            rounds)  # fmt: skip
    compare(stack, f"show deleted: 200 vs {keys_big:,} keys (x5 versions)",
            (folder + "small%2F&deleted=1", "k0000099"),
            (folder + "big%2F&deleted=1", "k0000099"),
            rounds)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--big-versions", type=int, default=1_000_000)
    args = parser.parse_args()
    with running_stack() as stack:
        client = stack.client()
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, Status="Enabled")
        pages(stack, args.rounds, args.big_versions)


if __name__ == "__main__":
    main()
