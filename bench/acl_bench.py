"""Benchmark: the public-exposure audit against the raw client, worker memory, the report page.

    .venv/bin/python bench/acl_bench.py [--objects 100000] [--big 1000000] [--threads 8]

Everything is real and local (bench/_stack.py): coslocal, Redis, the web server and a Celery worker.
1. Throughput: GetObjectACL over `--objects` keys with our client and a thread pool of
   `--threads`, then an audit of the same bucket by the worker with CONSOLE_EXPOSURE_THREADS at
   the same number (the audit's rate limiter set out of the way: the comparison is per thread).
   The audit's rate is objects read over the job's run time (listing, judging and storing the
   findings included, and its finish phase).
2. Worker memory: peak RSS of the worker process tree while auditing 10,000 objects and
   `--big` objects (one in ten public, so the findings are written as they would be).
3. The report's first page (HTTP GET, median of 20) for an audit with 1,000 and with `--big`
   public objects (finding rows written straight into the console's database: auditing a
   million public objects first would only measure the audit again).
Keys are seeded straight into coslocal's store (HTTP PUTs of a million keys would take hours).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from _stack import MB, PeakRss, Stack, running_stack

ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'
PUBLIC = json.dumps({"canned": "public-read", "grants": []})


def seed(stack: Stack, bucket: str, count: int, *, public_every: int) -> None:
    """`count` zero-byte keys; every `public_every`-th is public-read, the rest `default`."""
    from coslocal.store import Store

    stack.client().create_bucket(Bucket=bucket)
    now, batch = time.time(), 50_000
    store = Store(Path(stack.cos.data_dir))
    for start in range(0, count, batch):
        rows = [
            (bucket, f"k/{n:07d}", "null", 1, 0, 0, ETAG, "0", "[]", now, "{}", "STANDARD",
             PUBLIC if n % public_every == 0 else "{}")
            for n in range(start, min(count, start + batch))
        ]  # fmt: skip
        with store.db.write() as conn:
            conn.executemany(
                "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag,"
                " crc64, blobs, mtime, headers, storage_class, acl)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )


def raw_rate(stack: Stack, bucket: str, count: int, threads: int) -> float:
    client = stack.client()
    keys = [f"k/{n:07d}" for n in range(count)]
    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(lambda k: client.get_object_acl(Bucket=bucket, Key=k), keys):
            pass
    return count / (time.monotonic() - started)


def audit(stack: Stack, bucket: str) -> tuple[int, float]:
    """Start an audit through the console; (job id, seconds from start to finish)."""
    response = stack.session.post(f"{stack.base}/b/{bucket}/exposure/start/",
                                  headers={"HX-Request": "true"})  # fmt: skip
    response.raise_for_status()
    job_id = int(response.headers["HX-Redirect"].rstrip("/").rsplit("/", 1)[-1])
    state = stack.wait_job(job_id, {"succeeded", "failed", "partially_failed", "cancelled"}, 1.0)
    assert state == "succeeded", f"audit {job_id} ended {state}"
    row = stack.job_row(job_id)
    started, finished = (datetime.fromisoformat(str(row[k])) for k in ("started_at", "finished_at"))
    return job_id, (finished - started).total_seconds()


def report_rows(stack: Stack, count: int) -> int:
    """A finished audit with `count` public findings, written into the console's database."""
    import sqlite3

    totals = {"public": count, "unknown": 0, "new": 0, "was_public": 0, "scanned": count,
              "by_reason": {"object-acl": count}}  # fmt: skip
    now = datetime.now().isoformat(sep=" ")
    with sqlite3.connect(stack.tmp / "bench.sqlite3") as db:
        cur = db.execute(
            "INSERT INTO objects_app_job (kind, state, phase, bucket, params, dedupe_key, total,"
            " done, failed, skipped, bytes_done, checkpoint, listing_marker,"
            " listing_version_marker, plan, choice, result, error_message, created_at,"
            " started_at, finished_at, run_token, rescues, dispatch_pending)"
            " VALUES ('exposure_audit', 'succeeded', 'finish', ?, '{\"prefix\": \"\"}', '',"
            " ?, ?, 0, 0, 0, -1, '', '', '{}', '', ?, '', ?, ?, ?, '', 0, 0)",
            (f"report{count}-1250000000", count, count, json.dumps({"totals": totals}), now, now,
             now),
        )  # fmt: skip
        job_id = int(cur.lastrowid or 0)
        for start in range(0, count, 50_000):
            db.executemany(
                "INSERT INTO objects_app_exposurefinding (job_id, key, version_id, is_latest,"
                " status, reason, detail, new) VALUES (?, ?, '', 1, 'public', 'object-acl',"
                " 'public-read', 0)",
                ((job_id, f"k/{n:07d}") for n in range(start, min(count, start + 50_000))),
            )
    return job_id


def first_page_ms(stack: Stack, job_id: int, rounds: int = 20) -> float:
    url = f"{stack.base}/exposure/{job_id}/"
    stack.session.get(url).raise_for_status()  # warm
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = stack.session.get(url)
        response.raise_for_status()
        assert response.text.count('class="finding finding-public"') == 100
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []

    def measured(name: str, result: str, goal: str) -> None:
        rows.append((name, result, goal))
        print(f"{name}: {result} ({goal})", flush=True)  # a long run shows each figure as it comes

    with running_stack(CONSOLE_EXPOSURE_THREADS=str(args.threads), CONSOLE_EXPOSURE_RATE="1000000",
                       CONSOLE_JOB_SLICE_SECONDS="60") as stack:  # fmt: skip
        seed(stack, "rate-1250000000", args.objects, public_every=10)
        raw = raw_rate(stack, "rate-1250000000", args.objects, args.threads)
        _, seconds = audit(stack, "rate-1250000000")
        audited = args.objects / seconds
        measured(f"GetObjectACL, {args.objects:,} objects, {args.threads} threads",
                 f"raw client {raw:,.0f}/s; audit {audited:,.0f}/s = {audited / raw:.0%}",
                 ">= 80% of raw")  # fmt: skip
        peaks = {}
        for name, count in (("small", 10_000), ("big", args.big)):
            bucket = f"rss{name}-1250000000"
            seed(stack, bucket, count, public_every=10)
            with PeakRss(stack.worker_pid) as rss:
                job_id, seconds = audit(stack, bucket)
            peaks[count] = (rss.peak, job_id, seconds)
        small, big = peaks[10_000], peaks[args.big]
        measured(f"worker peak RSS, audit of 10,000 / {args.big:,} objects",
                 f"{small[0] / MB:.0f} / {big[0] / MB:.0f} MiB = {big[0] / small[0]:.2f}x "
                 f"({args.big / big[2]:,.0f} objects/s)", "<= 1.2x")  # fmt: skip
        job_1k, job_big = report_rows(stack, 1000), report_rows(stack, args.big)
        p1k, pbig = first_page_ms(stack, job_1k), first_page_ms(stack, job_big)
        measured(f"report first page, 1,000 / {args.big:,} public objects",
                 f"{p1k:.1f} / {pbig:.1f} ms = {pbig / p1k:.2f}x", "<= 2x")  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  result  (goal)")
    for name, result, goal in rows:
        print(f"{name:<{width}}  {result}  ({goal})")


if __name__ == "__main__":
    main()
