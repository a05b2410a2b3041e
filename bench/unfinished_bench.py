"""Benchmark unfinished multipart uploads on a real local stack.

1. The Unfinished uploads page's first page (GET /b/<bucket>/unfinished/), median of repeated
   loads, in a bucket with 10 uploads and in one with 10,000 (goal: within 2x).
2. The abort job (dry run, then abort everything older than 0 days): uploads aborted per second
   in its abort phase, against the raw client's abort_multipart_upload of as many other uploads
   at the same concurrency (CONSOLE_ABORT_PARALLEL), before and after it in the same run (goal:
   at least 80%).

    .venv/bin/python bench/unfinished_bench.py [--uploads 10000] [--aborts 5000]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import TERMINAL, Stack, running_stack, seed_uploads  # noqa: E402

PARALLEL = 8  # the console's default CONSOLE_ABORT_PARALLEL
LOADS = 30


def first_page_ms(stack: Stack, bucket: str) -> float:
    url = f"{stack.base}/b/{bucket}/unfinished/"
    stack.session.get(url).raise_for_status()  # warm up
    times = []
    for _ in range(LOADS):
        started = time.perf_counter()
        response = stack.session.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and "upload-row" in response.text
    return statistics.median(times) * 1000


def bench_page(stack: Stack, many: int) -> None:
    client = stack.client()
    for bucket, count in (("fewuploads-1250000000", 10), ("manyuploads-1250000000", many)):
        client.create_bucket(Bucket=bucket)
        seed_uploads(stack.cos, bucket, count)
    few = first_page_ms(stack, "fewuploads-1250000000")
    lots = first_page_ms(stack, "manyuploads-1250000000")
    print(f"unfinished uploads, first page: 10 uploads {few:.1f} ms, {many:,} uploads "
          f"{lots:.1f} ms (median of {LOADS}) = {lots / few:.2f}x", flush=True)  # fmt: skip


def console_abort(stack: Stack, bucket: str) -> tuple[float, float]:
    """(dry-run seconds, abort seconds) of aborting every upload in `bucket`."""
    url = f"{stack.base}/b/{bucket}/unfinished/abort-older/"
    html = stack.session.post(url, data={"prefix": "", "days": "0"}).text
    job_id = int(re.search(r'id="job-(\d+)"', html).group(1))  # type: ignore[union-attr]
    started = time.perf_counter()
    assert stack.wait_job(job_id, {"awaiting_confirm", "failed"}) == "awaiting_confirm"
    planned = time.perf_counter() - started
    confirmed = datetime.now(UTC)
    stack.session.post(f"{stack.base}/jobs/{job_id}/confirm/", data={"choice": "free"})
    # Polled gently (the page costs CPU the job needs); timed from the row's own timestamp.
    assert stack.wait_job(job_id, TERMINAL, poll=0.5) == "succeeded"
    finished = datetime.fromisoformat(str(stack.job_row(job_id)["finished_at"]))
    return planned, (finished.replace(tzinfo=UTC) - confirmed).total_seconds()


def raw_abort(stack: Stack, bucket: str) -> float:
    client = stack.client()
    uploads = list(client.iter_multipart_uploads(Bucket=bucket))
    started = time.perf_counter()
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda u: client.abort_multipart_upload(
            Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"]), uploads))  # fmt: skip
    return time.perf_counter() - started


def bench_abort(stack: Stack, count: int) -> None:
    """The job between two raw runs, so a machine getting busier or quieter favours neither."""
    client = stack.client()
    for bucket in ("abortraw1-1250000000", "abortjob-1250000000", "abortraw2-1250000000"):
        client.create_bucket(Bucket=bucket)
        seed_uploads(stack.cos, bucket, count)
    before = raw_abort(stack, "abortraw1-1250000000")
    planned, aborted = console_abort(stack, "abortjob-1250000000")
    after = raw_abort(stack, "abortraw2-1250000000")
    raw = (before + after) / 2
    print(f"abort {count:,} uploads  raw client ({PARALLEL} at once) {count / before:,.0f}/s and "
          f"{count / after:,.0f}/s; console job: dry run {planned:.1f} s, abort "
          f"{count / aborted:,.0f}/s ({aborted:.1f} s) = {100 * raw / aborted:.0f}% of raw",
          flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=10_000)
    parser.add_argument("--aborts", type=int, default=5_000)
    args = parser.parse_args()
    with running_stack() as stack:
        bench_page(stack, args.uploads)
        bench_abort(stack, args.aborts)


if __name__ == "__main__":
    main()
