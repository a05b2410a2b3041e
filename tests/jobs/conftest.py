"""Fixtures for the jobs area: workers that also run celery beat (the sweep), with job settings
shared between this process (the web side) and the worker, and a Redis restart helper."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, RedisProcess, WorkerProcess
from tests.console.conftest import alice, bob, paged_bucket  # noqa: F401 (the same cast, bucket)

# Short limits so the sweep rescues a killed worker's job within seconds; the workers also know
# the tests' probe kind (tests/jobs/probe_kind.py).
JOB_ENV = {
    "CONSOLE_JOB_STALE_SECONDS": "3",
    "CONSOLE_JOB_SWEEP_SECONDS": "1",
    "CONSOLE_UPLOAD_THREADS": "4",
    "CONSOLE_JOB_KINDS_EXTRA": "tests.jobs.probe_kind",
}


class BeatWorkerProcess(WorkerProcess):
    """A worker that also runs celery beat, as the Procfile's worker line does."""

    def start(self) -> BeatWorkerProcess:
        import subprocess

        argv = [sys.executable, "-m", "celery", "-A", "console", "worker", "--loglevel", "INFO",
                "--concurrency", "2", "--queues", self.env["CELERY_QUEUE"], "--without-gossip",
                "--without-mingle", "--without-heartbeat", "--beat",
                "--schedule", str(self.log_path.with_suffix(".beat"))]  # fmt: skip
        self.log = self.log_path.open("ab")
        # Its own process group, so kill() takes the pool and the embedded beat down too (as a
        # crashed machine would); killing only the main process would orphan the beat process.
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker: main process, pool children and beat."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self) -> None:
        super().stop()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # stragglers after a warm shutdown


@pytest.fixture
def job_settings(settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """This process's view of the job settings, matching what the workers get."""
    settings.CONSOLE_UPLOAD_STAGING_DIR = tmp_path / "staging"
    settings.CONSOLE_JOB_STALE_SECONDS = int(JOB_ENV["CONSOLE_JOB_STALE_SECONDS"])
    settings.CONSOLE_UPLOAD_CHUNK_BYTES = 1024 * 1024
    settings.CONSOLE_PROTECTED_PREFIXES = []
    return settings


@pytest.fixture
def start_worker(
    worker_env, job_settings, tmp_path: Path
) -> Iterator[Callable[..., BeatWorkerProcess]]:  # type: ignore[no-untyped-def]
    """start_worker(**env) starts a beat-running worker on this test's DB, Redis and coslocal."""
    from console.celery import app

    job_settings.CELERY_BROKER_URL = worker_env["REDIS_URL"]
    app.conf.broker_url = worker_env["REDIS_URL"]
    # Messages an earlier test left behind name job ids of another database: drop them.
    app.control.purge()
    started: list[BeatWorkerProcess] = []

    def start(**env: str) -> BeatWorkerProcess:
        full = {**worker_env, **JOB_ENV, **env}
        full["CONSOLE_UPLOAD_STAGING_DIR"] = str(tmp_path / "staging")
        log = tmp_path / f"worker-{len(started)}.log"
        worker = BeatWorkerProcess(full, log).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.proc is not None and worker.proc.poll() is None:
            worker.stop()


def restart_redis(server: RedisProcess, down_seconds: float = 2.0) -> None:
    """Stop Redis, keep it down a moment, start it again on the same port and data dir."""
    server.stop()
    time.sleep(down_seconds)
    server.start()


@contextlib.contextmanager
def slowed(server, *, method: str, query_contains: str, delay: float) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Every matching request to coslocal waits `delay` s, so a test can act mid-job."""
    server.set_faults(
        mode="delay", delay=delay, fraction=1.0, method=method, query_contains=query_contains
    )
    try:
        yield
    finally:
        server.clear_faults()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.1)


def wait_for_job(job_id: int, states: set[str] | None = None, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    """Poll the Job row until it reaches one of `states` (default: any terminal state)."""
    from objects_app.models import TERMINAL_STATES, Job

    wanted = states or set(TERMINAL_STATES)
    deadline = time.monotonic() + timeout
    while True:
        job = Job.objects.get(pk=job_id)
        # An ended job is done once its end is recorded (cleanup, then the audit entry).
        ended = job.state not in TERMINAL_STATES or job.outcome_recorded_at is not None
        if job.state in wanted and ended:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.state} after {timeout}s"
        time.sleep(0.1)


@pytest.fixture
def new_bucket(cos_client, request):  # type: ignore[no-untyped-def]
    """A fresh bucket on the shared coslocal, named after the test."""
    import uuid

    name = f"jobs{uuid.uuid4().hex[:10]}-1250000000"
    cos_client.create_bucket(Bucket=name)
    return name


def seed_keys(server, bucket: str, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Insert zero-byte objects straight into coslocal's store (HTTP PUTs of thousands of keys
    would dominate the test's time; the bench seeds the same way). Deletes then go over HTTP."""
    from coslocal.store import Store

    now = time.time()
    etag = '"d41d8cd98f00b204e9800998ecf8427e"'
    rows = [
        (bucket, k, "null", 1, 0, 0, etag, "0", "[]", now, "{}", "STANDARD", "{}") for k in keys
    ]
    with Store(Path(server.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def keys_under(cos_client, bucket: str, prefix: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    return [o["Key"] for o in cos_client.iter_objects(Bucket=bucket, Prefix=prefix)]
