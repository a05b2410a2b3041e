"""Benchmark restore campaigns (issue 14) on a real local stack: coslocal with COS's real
restore times (so nothing finishes during the run), Redis and a Celery worker; the database and
the campaign page are read in this process.

1. Submission: restore requests per second of a campaign's request phase over N archived
   objects, against the raw client's restore_object over N other objects at the same
   concurrency, in the same run (raw before and after; goal: at least 80% of their mean).
2. Tracking: the same N objects, all in progress, followed for a while with a polling interval
   of P seconds; HEADs counted by coslocal (goal: at most one HEAD per object per interval).
3. The campaign page: median render time for campaigns of 100, 10,000 and 100,000 objects
   (goal: constant), and its number of SQL queries.

    .venv/bin/python bench/restore_bench.py [--objects 10000] [--threads 16] [--poll 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import ROOT, SECRET_ID, SECRET_KEY, _env, _start, seed_keys  # noqa: E402

from coslocal.testing import CoslocalServer  # noqa: E402
from stack.net import free_port, wait_for_port  # noqa: E402
from stack.redis_server import redis_argv  # noqa: E402

BUCKET = "restorebench-1250000000"
TIME_SCALE = 3600  # the console's view of COS time: first looks come seconds after a request


def seed_archived(cos: CoslocalServer, keys: list[str]) -> None:
    seed_keys(cos, BUCKET, keys, "ARCHIVE")


def raw_rate(client, keys: list[str], threads: int) -> float:  # type: ignore[no-untyped-def]
    request = {"Days": 1, "CASJobParameters": {"Tier": "Standard"}}
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda k: client.restore_object(Bucket=BUCKET, Key=k,
                                                      RestoreRequest=request), keys))  # fmt: skip
    return len(keys) / (time.perf_counter() - started)


def wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def campaign_rate(user, prefix: str, threads: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Plan a campaign over `prefix` (not timed), confirm it, time its request phase."""
    from objects_app.jobs.actions import job_confirm
    from objects_app.jobs.kinds.restore.services import campaign_start
    from objects_app.models import Job
    from objects_app.restore_models import RestoreCampaign

    source = {"source": "folder", "prefix": prefix, "q": "", "classes": ["ARCHIVE"]}
    options = {"days": 1, "rate": 100_000, "copy_to": "", "copy_prefix": ""}
    tiers = {"ARCHIVE": "Standard", "DEEP_ARCHIVE": "Standard"}
    job = campaign_start(user=user, bucket=BUCKET, source=source, options=options, tiers=tiers,
                         lines=[])  # fmt: skip
    wait(lambda: Job.objects.get(pk=job.pk).state == "awaiting_confirm", 600, "the plan")
    job = job_confirm(user=user, job=Job.objects.get(pk=job.pk), choice="start")
    started = time.perf_counter()
    wait(lambda: RestoreCampaign.objects.get(pk=job.pk).queued == 0, 600, "the requests")
    took = time.perf_counter() - started
    return job.pk, (job.total or 0) / took


def tracking(cos: CoslocalServer, job_id: int, seconds: float, poll: int) -> None:
    from django.db.models import Max

    from objects_app.restore_models import RestoreTarget

    cos.set_faults(mode="delay", delay=0, fraction=1.0, method="HEAD")  # counts every HEAD
    started = time.time()
    time.sleep(seconds)
    heads = int(cos.fault_state()["fired"])
    elapsed = time.time() - started
    cos.clear_faults()
    rows = RestoreTarget.objects.filter(job_id=job_id)
    objects = rows.count()
    most = rows.aggregate(m=Max("checks"))["m"] or 0
    intervals = elapsed / poll
    allowed = objects * (int(intervals) + 1)
    print(f"tracking  {objects:,} objects in progress for {elapsed:.0f} s, polling interval "
          f"{poll} s: {heads:,} HEADs = {heads / objects / intervals:.2f} per object per "
          f"interval (limit 1; at most {allowed:,}); most HEADs of one object since the "
          f"request: {most}", flush=True)  # fmt: skip


def page_times(user, sizes: list[int]) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client

    from objects_app.models import Job
    from objects_app.restore_models import RestoreCampaign, RestoreTarget

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    results = []
    for size in sizes:
        # Ended campaigns: the worker leaves them alone; the page renders the same either way.
        job = Job.objects.create(kind="restore", phase="track", state="succeeded", bucket=BUCKET,
                                 user=user, params={"label": "page/"}, total=size)  # fmt: skip
        for start in range(0, size, 20_000):
            RestoreTarget.objects.bulk_create(
                RestoreTarget(
                    job=job,
                    seq=n + 1,
                    key=f"page/{n:07d}",
                    storage_class="ARCHIVE",
                    state=("in_progress", "ready", "failed")[n % 3],
                )  # fmt: skip
                for n in range(start, min(size, start + 20_000))
            )
        RestoreCampaign.objects.create(job=job, in_progress=size // 3, ready=size // 3)
        url = f"/restores/{job.pk}/"
        client.get(url)
        settings.DEBUG = True  # count this render's queries
        reset_queries()
        client.get(url, {"state": "failed"})
        queries = list(connection.queries)
        settings.DEBUG = False
        times = []
        for _ in range(20):
            began = time.perf_counter()
            assert client.get(url, {"state": "failed"}).status_code == 200
            times.append(time.perf_counter() - began)
        results.append((size, statistics.median(times) * 1000, len(queries)))
    for size, ms, count in results:
        print(f"campaign page  {size:>9,} objects (100 failed shown): {ms:6.1f} ms (median of "
              f"20), {count} queries", flush=True)  # fmt: skip
    print(f"campaign page  largest / smallest: {results[-1][1] / results[0][1]:.2f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--poll", type=int, default=5)
    parser.add_argument("--track-seconds", type=float, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="restore-bench-"))
    # COS's real restore times: every restore stays in progress for hours.
    cos = CoslocalServer(tmp / "coslocal", secret_id=SECRET_ID, secret_key=SECRET_KEY,
                         time_scale=1).start()  # fmt: skip
    redis_port = free_port()
    extra = {"CONSOLE_RESTORE_THREADS": str(args.threads), "CONSOLE_RESTORE_MAX_RATE": "100000",
             "CONSOLE_RESTORE_TIME_SCALE": str(TIME_SCALE),
             "CONSOLE_RESTORE_POLL_SECONDS": str(args.poll),
             "CONSOLE_RESTORE_POLL_MAX_SECONDS": str(args.poll),
             "CONSOLE_JOB_SLICE_SECONDS": "600"}  # fmt: skip
    env = _env(tmp, cos, redis_port, extra)
    os.environ.update(env)
    procs = [_start(redis_argv(redis_port, tmp / "redis"), env, tmp / "redis.log")]
    try:
        wait_for_port(redis_port)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        procs.append(_start([sys.executable, "-m", "celery", "-A", "console", "worker",
                             "--loglevel", "WARNING", "--concurrency", "2", "--queues",
                             "console", "--beat", "--schedule", str(tmp / "beat")],
                            env, tmp / "worker.log"))  # fmt: skip
        run(cos, args)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker mid-slice (slices are long here)
                proc.kill()
                proc.wait()
        cos.stop()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def run(cos: CoslocalServer, args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User

    from objects_app.cos import CosConfig, CosS3Client

    client = CosS3Client(CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID,
                                   SecretKey=SECRET_KEY, Scheme="http", IP="127.0.0.1",
                                   Port=cos.port))  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    n = args.objects
    raw_a, raw_b = [f"raw1/{i:07d}" for i in range(n)], [f"raw2/{i:07d}" for i in range(n)]
    seed_archived(cos, raw_a + raw_b + [f"camp/{i:07d}" for i in range(n)])
    user = User.objects.create_superuser("bench", password="bench-password-1")
    before = raw_rate(client, raw_a, args.threads)
    job_id, campaign = campaign_rate(user, "camp/", args.threads)
    after = raw_rate(client, raw_b, args.threads)
    raw = (before + after) / 2
    print(f"submission  raw restore_object ({args.threads} threads) {before:,.0f} and "
          f"{after:,.0f} /s (mean {raw:,.0f} /s); campaign request phase over {n:,} objects "
          f"({args.threads} threads) {campaign:,.0f} /s = {campaign / raw:.0%} of raw "
          f"(goal >= 80%)", flush=True)  # fmt: skip
    tracking(cos, job_id, args.track_seconds, args.poll)
    # A third of each campaign failed: the page shows 100 failed objects for every size.
    page_times(user, [300, 10_000, 100_000])


if __name__ == "__main__":
    main()
