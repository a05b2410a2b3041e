"""Benchmark the job engine's kinds on a real local stack (coslocal, Redis, gunicorn, a worker).

1. Large upload through the browser-chunk endpoint (PUT /uploads/<id>/chunks/<n>, as
   large-upload.js sends it) until the job has the object in COS, against the client's direct
   upload_file of the same file before and after it; peak RSS of the web server and the worker.
2. Batch delete of N objects (dry run, then the delete) against the raw client's Delete Multiple
   of N other objects (1,000 keys a call, the same CONSOLE_DELETE_PARALLEL calls at once) in the
   same run, before and after the job.

    .venv/bin/python bench/jobs_bench.py [--sizes-mb 1024,2048] [--objects 100000]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import MB, TERMINAL, PeakRss, Stack, running_stack, seed_keys  # noqa: E402

BUCKET = "jobsbench-1250000000"
DELETE_PARALLEL = 4  # the console's default CONSOLE_DELETE_PARALLEL


def console_upload(stack: Stack, path: Path, key: str) -> tuple[float, float]:
    """(seconds until the object is in COS, seconds the chunks took to arrive)

    Sends as large-upload.js does: `ahead` chunks at once, each on its own connection.
    """
    size, s = path.stat().st_size, stack.session
    url = f"{stack.base}/b/{BUCKET}/large-upload/"
    state = s.post(url, data={"key": key, "size": size, "fingerprint": "bench"}).json()
    chunk, ahead = int(state["chunk_size"]), int(state.get("ahead") or 1)
    local = threading.local()

    def send(index: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers.update(s.headers)
            local.session.cookies.update(s.cookies)
        body = os.pread(fd, chunk, index * chunk)
        url = f"{stack.base}/uploads/{state['job_id']}/chunks/{index}"
        local.session.put(url, data=body).raise_for_status()

    started = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        with ThreadPoolExecutor(ahead) as pool:
            list(pool.map(send, range(state["chunks"])))
    finally:
        os.close(fd)
    received = time.perf_counter() - started
    final = stack.wait_job(state["job_id"], TERMINAL)
    assert final == "succeeded", final
    return time.perf_counter() - started, received


def direct_upload(stack: Stack, path: Path) -> float:
    started = time.perf_counter()
    stack.client().upload_file(Bucket=BUCKET, Key="direct.bin", LocalFilePath=str(path),
                               PartSize=8, MAXThread=4)  # fmt: skip
    return time.perf_counter() - started


def bench_uploads(stack: Stack, sizes: list[int]) -> None:
    """Console upload between two direct ones, so load changes favour neither."""
    for size_mb in sizes:
        path = stack.tmp / "big.bin"
        with path.open("wb") as fp:
            for _ in range(size_mb):
                fp.write(os.urandom(MB))
        # Each run starts with no dirty pages pending, so none pays for the writeback of the
        # source file or of another run's writes.
        os.sync()
        before = direct_upload(stack, path)
        os.sync()
        with PeakRss(stack.web_pid) as web_rss, PeakRss(stack.worker_pid) as worker_rss:
            console, received = console_upload(stack, path, "console.bin")
        os.sync()
        after = direct_upload(stack, path)
        path.unlink()
        direct = (before + after) / 2
        print(f"upload {size_mb:5d} MiB  direct upload_file {size_mb / before:7.1f} and "
              f"{size_mb / after:.1f} MB/s; console {size_mb / console:7.1f} MB/s ({console:5.1f} "
              f"s; chunks in {received:.1f} s, then {console - received:.1f} s) = "
              f"{100 * direct / console:.0f}% of direct; peak RSS web {web_rss.peak / MB:.0f} "
              f"MiB, worker {worker_rss.peak / MB:.0f} MiB", flush=True)  # fmt: skip


def console_delete(stack: Stack, count: int) -> tuple[float, float]:
    """(dry-run seconds, delete seconds) of a batch delete of everything under del/."""
    html = stack.session.post(f"{stack.base}/b/{BUCKET}/batch-delete/", data={"prefix": "del/"})
    job_id = int(re.search(r'id="job-(\d+)"', html.text).group(1))  # type: ignore[union-attr]
    started = time.perf_counter()
    assert stack.wait_job(job_id, {"awaiting_confirm", "failed"}) == "awaiting_confirm"
    planned = time.perf_counter() - started
    started = time.perf_counter()
    stack.session.post(f"{stack.base}/jobs/{job_id}/confirm-delete/", data={"mode": "current"})
    assert stack.wait_job(job_id, TERMINAL) == "succeeded"
    return planned, time.perf_counter() - started


def raw_delete(stack: Stack, keys: list[str]) -> float:
    client = stack.client()
    batches = [keys[i : i + 1000] for i in range(0, len(keys), 1000)]

    def call(batch: list[str]) -> None:
        objects = [{"Key": k} for k in batch]
        client.delete_objects(Bucket=BUCKET, Delete={"Quiet": "true", "Object": objects})

    started = time.perf_counter()
    with ThreadPoolExecutor(DELETE_PARALLEL) as pool:
        list(pool.map(call, batches))
    return time.perf_counter() - started


def bench_delete(stack: Stack, count: int) -> None:
    """The job between two raw runs, so a machine getting busier or quieter favours neither."""
    seed_keys(stack.cos, BUCKET, [f"del/{n:07d}" for n in range(count)])
    raw_keys = [[f"{side}/{n:07d}" for n in range(count)] for side in ("raw1", "raw2")]
    for keys in raw_keys:
        seed_keys(stack.cos, BUCKET, keys)
    before = raw_delete(stack, raw_keys[0])
    planned, deleted = console_delete(stack, count)
    after = raw_delete(stack, raw_keys[1])
    raw = (before + after) / 2
    print(f"delete {count} objects  raw Delete Multiple ({DELETE_PARALLEL} calls at once) "
          f"{count / before:,.0f}/s and {count / after:,.0f}/s; console job: dry run "
          f"{planned:.1f} s, delete {count / deleted:,.0f}/s ({deleted:.1f} s) = "
          f"{100 * raw / deleted:.0f}% of raw", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-mb", default="1024,2048")
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    with running_stack() as stack:
        stack.client().create_bucket(Bucket=BUCKET)
        bench_uploads(stack, [int(s) for s in args.sizes_mb.split(",") if s])
        if args.objects:
            bench_delete(stack, args.objects)


if __name__ == "__main__":
    main()
