"""Benchmark issue 12's jobs on a real local stack (coslocal, Redis, gunicorn, a Celery worker),
printing one line each:

1. Rewind a folder: 10,000 keys of 5 versions each, rewound to a moment when the third version
   was current (a copy per key). Goal: at least 1,000 keys/s.
2. Delete noncurrent versions (keep 0): the same shape, every noncurrent version deleted, against
   the raw client's Delete Multiple (1,000 versions per call, CONSOLE_DELETE_PARALLEL calls at
   once) on identical buckets, before and after the job. Goal: at least 80% of raw.

    .venv/bin/python bench/history_jobs_bench.py [--keys 10000]

Versions are written straight into coslocal's store (HTTP PUTs would dominate the time); the
jobs are started and confirmed over HTTP as the browser does, and timed from the confirm to
the job row's finished_at. Each line also gives the CPU time per 1,000 items of coslocal, the
Celery worker and this process (the raw client), which a busy machine disturbs less than the
wall-clock figures.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
from _stack import TERMINAL, Stack, running_stack  # noqa: E402

VERSIONS = 5
PARALLEL = 4  # the console's default CONSOLE_DELETE_PARALLEL
EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'


def rows(bucket: str, keys: int, times: list[float]) -> Iterator[tuple]:
    for k in range(keys):
        for v, at in enumerate(times):
            yield (bucket, f"f/k{k:07d}", f"v{v}k{k:07d}", int(v == len(times) - 1), 0, 0,
                   EMPTY_ETAG, "0", "[]", at, "{}", "STANDARD", "{}")  # fmt: skip


class Cpu:
    """CPU seconds (user + system) of coslocal, the worker (process trees) and this process
    between start() and per_thousand()."""

    def __init__(self, stack: Stack) -> None:
        self.pids = {"coslocal": stack.cos.pid, "worker": stack.worker_pid}
        self.start()

    @staticmethod
    def _tree(pid: int) -> float:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += sum(proc.cpu_times()[:2])
        return total

    def _now(self) -> dict[str, float]:
        now = {name: self._tree(pid) for name, pid in self.pids.items()}
        now["client"] = sum(psutil.Process().cpu_times()[:2])
        return now

    def start(self) -> None:
        self.began = self._now()

    def per_thousand(self, items: int, *names: str) -> str:
        now = self._now()
        return ", ".join(f"{n} {1000 * (now[n] - self.began[n]) / items:.2f}" for n in names)


def seed(stack: Stack, bucket: str, keys: int, times: list[float]) -> None:
    from coslocal.store import Store

    stack.client().create_bucket(Bucket=bucket)
    stack.client().put_bucket_versioning(Bucket=bucket, Status="Enabled")
    with Store(Path(stack.cos.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(bucket, keys, times),
        )


def run_job(
    stack: Stack, start_url: str, form: dict[str, str], confirm: str, cpu: Cpu
) -> tuple[float, float]:
    """(dry-run seconds, run seconds) of a job started at `start_url` and confirmed; `cpu`
    starts counting at the confirm."""
    html = stack.session.post(stack.base + start_url, data=form).text
    job_id = int(re.search(r'id="job-(\d+)"', html).group(1))  # type: ignore[union-attr]
    started = time.perf_counter()
    assert stack.wait_job(job_id, {"awaiting_confirm", "failed"}) == "awaiting_confirm"
    planned = time.perf_counter() - started
    confirmed = datetime.now(UTC)
    cpu.start()
    stack.session.post(f"{stack.base}/jobs/{job_id}/{confirm}/", data={"choice": "run"})
    assert stack.wait_job(job_id, TERMINAL, poll=0.5) == "succeeded"
    finished = datetime.fromisoformat(str(stack.job_row(job_id)["finished_at"]))
    return planned, (finished.replace(tzinfo=UTC) - confirmed).total_seconds()


def raw_copies(stack: Stack, bucket: str, keys: int) -> float:
    """Seconds the raw client takes to copy version v2 of every key onto the key, 8 at once
    (the console's default CONSOLE_REWIND_PARALLEL): the ceiling for a rewind here."""
    client = stack.client()

    def copy(k: int) -> None:
        key = f"f/k{k:07d}"
        source = {"Bucket": bucket, "Key": key, "VersionId": f"v2k{k:07d}"}
        client.copy_object(Bucket=bucket, Key=key, CopySource=source, CopyStatus="Copy")

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(copy, range(keys)))
    return time.perf_counter() - started


def bench_rewind(stack: Stack, keys: int) -> None:
    moment = math.ceil(time.time()) + 1  # T: three versions before it, two after
    times = [moment - 0.9, moment - 0.8, moment - 0.7, moment + 0.1, moment + 0.2]
    seed(stack, "rewindbench-1250000000", keys, times)
    seed(stack, "rewindraw-1250000000", keys, times)
    time.sleep(max(0.0, moment + 0.5 - time.time()))
    at = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    cpu = Cpu(stack)
    planned, ran = run_job(stack, "/b/rewindbench-1250000000/rewind/plan/",
                           {"prefix": "f/", "at": at}, "confirm-rewind", cpu)  # fmt: skip
    job_cpu = cpu.per_thousand(keys, "coslocal", "worker")
    cpu.start()
    raw = raw_copies(stack, "rewindraw-1250000000", keys)
    raw_cpu = cpu.per_thousand(keys, "coslocal", "client")
    verdict = "ok" if keys / ran >= 1000 else "MISSED"
    print(f"rewind {keys:,} keys x {VERSIONS} versions: dry run {planned:.1f} s, run {ran:.1f} s "
          f"= {keys / ran:,.0f} keys/s (goal >= 1,000: {verdict}); raw client copies alone, "
          f"8 at once: {keys / raw:,.0f} keys/s", flush=True)  # fmt: skip
    print(f"  CPU s per 1,000 keys: run {job_cpu}; raw copies {raw_cpu}", flush=True)


def raw_delete(stack: Stack, bucket: str, cpu: Cpu) -> tuple[int, float]:
    client = stack.client()
    doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
              for v in client.iter_object_versions(Bucket=bucket, Prefix="f/")
              if v.get("IsLatest") not in ("true", True)]  # fmt: skip
    batches = [doomed[i : i + 1000] for i in range(0, len(doomed), 1000)]
    cpu.start()  # the deletes only, not the listing above
    started = time.perf_counter()
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda b: client.delete_objects(
            Bucket=bucket, Delete={"Quiet": "true", "Object": b}), batches))  # fmt: skip
    return len(doomed), time.perf_counter() - started


def bench_noncurrent(stack: Stack, keys: int) -> None:
    """The job between two raw runs, so a machine getting busier or quieter favours neither."""
    start = time.time() - 3600
    buckets = ("ncraw1-1250000000", "ncjob-1250000000", "ncraw2-1250000000")
    for bucket in buckets:
        seed(stack, bucket, keys, [start + 10 * v for v in range(VERSIONS)])
    cpu = Cpu(stack)
    n, before = raw_delete(stack, buckets[0], cpu)
    raw_cpu = cpu.per_thousand(n, "coslocal", "client")
    planned, ran = run_job(stack, f"/b/{buckets[1]}/noncurrent/plan/",
                           {"prefix": "f/", "keep": "0"}, "confirm-noncurrent", cpu)  # fmt: skip
    job_cpu = cpu.per_thousand(n, "coslocal", "worker")
    _n, after = raw_delete(stack, buckets[2], cpu)
    raw = (before + after) / 2
    share = 100 * raw / ran
    print(f"delete {n:,} noncurrent versions: raw client {n / before:,.0f}/s and "
          f"{n / after:,.0f}/s; console job: dry run {planned:.1f} s, delete {n / ran:,.0f}/s "
          f"({ran:.1f} s) = {share:.0f}% of raw (goal >= 80%: {'ok' if share >= 80 else 'MISSED'})",
          flush=True)  # fmt: skip
    print(f"  CPU s per 1,000 versions: job run {job_cpu}; raw deletes {raw_cpu}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=10_000)
    args = parser.parse_args()
    with running_stack() as stack:
        bench_rewind(stack, args.keys)
        bench_noncurrent(stack, args.keys)


if __name__ == "__main__":
    main()
