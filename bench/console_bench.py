"""Benchmark: latency of the object-browser page (p50/p95) at 1k and 1M objects, and under load.

Everything is real and local: coslocal on a temp dir, the console served as `make run` serves it
(granian, 2 workers; `--server gunicorn` for the old 2 x 8 gthread), requests over HTTP with a
logged-in session.

    .venv/bin/python bench/console_bench.py [--objects 1000000] [--rounds 60] [--users 20]
                                            [--seconds 20]

Seeding 1M keys through HTTP would take most of an hour, so the 1M bucket is written straight
into coslocal's SQLite store in large transactions. coslocal offers no public bulk API yet
(asked in coord/requests-coslocal.md); the seeding below calls the store's internal `_insert`
inside `db.write()`, exactly what `Store.put_object` does per key, minus one commit per key.
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

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coslocal.store import NewObject, Store  # noqa: E402
from coslocal.testing import DEFAULT_SECRET_ID as SECRET_ID  # noqa: E402
from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY  # noqa: E402
from coslocal.testing import CoslocalServer  # noqa: E402
from stack.net import free_port, wait_for_port  # noqa: E402
from stack.web import server_argv  # noqa: E402

APPID = "1250000000"
SMALL, BIG = f"bench-1k-{APPID}", f"bench-1m-{APPID}"
EMPTY_MD5 = '"d41d8cd98f00b204e9800998ecf8427e"'
USER, PASSWORD = "bench", "bench-pass-123"


def seed(data_dir: Path, bucket: str, count: int, folder: str) -> float:
    """Write `count` empty objects `<folder>k-0000000` ... into the store; returns seconds."""
    store = Store(data_dir)
    started = time.monotonic()
    new = NewObject(0, EMPTY_MD5, "0", [], {}, "STANDARD", {"canned": "default", "grants": []}, 0)
    batch = 50_000
    for start in range(0, count, batch):
        with store.db.write() as conn:  # one transaction per 50k rows (internal API, see above)
            for n in range(start, min(count, start + batch)):
                store._insert(conn, bucket, f"{folder}k-{n:07d}", "Suspended", new, is_dm=False)
    return time.monotonic() - started


def console_env(cos: CoslocalServer, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "DATABASE_URL": f"sqlite:///{tmp / 'console.sqlite3'}",
        "CONSOLE_VAR_DIR": str(tmp),
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": SECRET_KEY,
        "COS_APPID": APPID,
        "COS_REGION": "ap-guangzhou",
        "COS_IP": cos.host,
        "COS_PORT": str(cos.port),
        "COS_SCHEME": "http",
        "CONSOLE_LOG_LEVEL": "WARNING",
    }


def start_console(env: dict[str, str], server: str) -> tuple[subprocess.Popen[bytes], str]:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    create = (
        "from django.contrib.auth.models import User, Group;"
        f"u = User.objects.create_user('{USER}', password='{PASSWORD}');"
        "u.groups.add(Group.objects.get_or_create(name='viewer')[0])"
    )
    subprocess.run([*manage, "shell", "--no-imports", "-c", create], env=env, check=True, cwd=ROOT)
    port = free_port()
    if server == "gunicorn":  # the server `make run` used before issue 15, for comparison
        argv = [sys.executable, "-m", "gunicorn", "console.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8",
                "--log-level", "warning", "--no-control-socket"]  # fmt: skip
    else:
        argv = server_argv(port, workers=2, access_log=False)
    proc = subprocess.Popen(argv, env=env, cwd=ROOT)
    wait_for_port(port, timeout=30)
    return proc, f"http://127.0.0.1:{port}"


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    data = {"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    response = session.post(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"})
    assert "bucket-table" in response.text, "login failed"
    return session


def timed(session: requests.Session, url: str, must_contain: str) -> float:
    started = time.perf_counter()
    response = session.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and must_contain in response.text, (
        url,
        response.status_code,
    )
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def row(name: str, values: list[float]) -> None:
    print(
        f"| {name:<44} | {len(values):>5} | {pct(values, 0.5):>8.1f} | {pct(values, 0.95):>8.1f} |"
    )


def sequential(base: str, rounds: int, big_count: int) -> None:
    session = login(base)
    last = f"k-{big_count - 1000:07d}"
    small, big = f"/b/{SMALL}/?prefix=small%2F", f"/b/{BIG}/?prefix=big%2F"
    n = f"{big_count:,} objects"
    scenarios = [
        ("1k objects: first page (100 rows)", small, "k-0000099"),
        ("1k objects: last page via marker", f"{small}&marker=small%2Fk-0000899", "k-0000999"),
        (f"{n}: first page (100 rows)", big, "k-0000099"),
        (f"{n}: first page (1000 rows)", f"{big}&page_size=1000", "k-0000999"),
        (f"{n}: page near the end (marker)", f"{big}&marker=big%2F{last}", "object-row"),
        (f"{n}: jump to a key near the end", f"{big}&jump={last}", last),
        (f"{n}: bucket root (1 folder)", f"/b/{BIG}/", "big/"),
    ]
    print("| scenario (sequential, one user)               | reqs  | p50 ms   | p95 ms   |")
    print("|----------------------------------------------|-------|----------|----------|")
    for name, path, marker in scenarios:
        timed(session, base + path, marker)  # warm-up
        row(name, [timed(session, base + path, marker) for _ in range(rounds)])


def concurrent(base: str, users: int, seconds: float, big_count: int) -> None:
    sessions = [login(base) for _ in range(users)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    pages = [
        f"/b/{BIG}/?prefix=big%2F",
        f"/b/{SMALL}/?prefix=small%2F",
        f"/b/{BIG}/?prefix=big%2F&marker=big%2Fk-{big_count // 2:07d}",
    ]

    def user(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            try:
                elapsed = timed(sessions[n], base + pages[i % len(pages)], "object-row")
            except Exception as exc:  # noqa: BLE001 - a benchmark counts failures, it does not stop
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                latencies.append(elapsed)
            i += 1

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    print(
        f"\n{users} concurrent users for {seconds:.0f} s, mixed first/deep pages of both buckets:"
    )
    rate = len(latencies) / wall
    print(f"  requests {len(latencies)}, errors {len(errors)}, throughput {rate:.1f} req/s")
    p50, p95, top = pct(latencies, 0.5), pct(latencies, 0.95), max(latencies) * 1000
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {top:.1f} ms")
    if errors:
        print(f"  first error: {errors[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=1_000_000, help="keys in the big bucket")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--server", choices=["granian", "gunicorn"], default="granian",
        help="granian: what `make run` serves (stack.web); gunicorn: the old 2x8 gthread setup",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with CoslocalServer(tmp / "cos", secret_id=SECRET_ID, secret_key=SECRET_KEY).start() as cos:
            from objects_app.cos import CosConfig, CosS3Client

            conf = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY,
                             Scheme="http", IP=cos.host, Port=cos.port)  # fmt: skip
            client = CosS3Client(conf)
            for bucket in (SMALL, BIG):
                client.create_bucket(Bucket=bucket)
            seed(tmp / "cos", SMALL, 1000, "small/")
            took = seed(tmp / "cos", BIG, args.objects, "big/")
            print(
                f"seeded {args.objects:,} keys in {took:.1f} s ({args.objects / took:,.0f} keys/s)"
            )
            assert client.list_objects(Bucket=BIG, Prefix="big/", MaxKeys=1)["Contents"]
            proc, base = start_console(console_env(cos, tmp), args.server)
            try:
                sequential(base, args.rounds, args.objects)
                concurrent(base, args.users, args.seconds, args.objects)
            finally:
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    main()
