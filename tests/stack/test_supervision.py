"""Supervision with real processes (issue 15): under `make run`, kill -9 redis-server and then
coslocal in the middle of a batch delete and of a large upload. Each is back within 10 s, the
other services keep running, and the job finishes with nothing lost or duplicated.

The jobs are driven through the console's own HTTP endpoints, as the browser drives them; their
outcome is read from the stack's database and from coslocal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests

from stack.net import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "demo-1250000000"
PASSWORD = "supervision-test-password"
BACK_WITHIN = 10.0
MB = 1024 * 1024
JOB_ENV = {  # short limits so a job whose messages were lost is picked up again in seconds
    "CONSOLE_JOB_STALE_SECONDS": "3",
    "CONSOLE_JOB_SWEEP_SECONDS": "1",
    "CONSOLE_DELETE_PARALLEL": "1",
    "CONSOLE_UPLOAD_CHUNK_BYTES": str(MB),
}


@dataclass
class Stack:
    proc: subprocess.Popen[bytes]
    var: Path
    ports: dict[str, int]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ports['WEB_PORT']}"

    def status(self) -> dict[str, tuple[str, int]]:
        """supervisorctl status: name -> (state, pid)."""
        out = subprocess.run(
            [sys.executable, "-m", "supervisor.supervisorctl", "-c",
             str(self.var / "supervisord.conf"), "status"],
            capture_output=True, text=True, cwd=ROOT,
        ).stdout  # fmt: skip
        found = {}
        for line in out.splitlines():
            parts = line.split()
            pid = re.search(r"pid (\d+)", line)
            found[parts[0]] = (parts[1], int(pid.group(1)) if pid else 0)
        return found

    def kill9(self, name: str) -> int:
        state, pid = self.status()[name]
        assert state == "RUNNING" and pid, (name, state)
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_back(self, name: str, old_pid: int, port: int | None) -> float:
        """Seconds until `name` runs again under a new pid (and listens, if it has a port)."""
        started = time.monotonic()
        while time.monotonic() - started < BACK_WITHIN + 20:
            state, pid = self.status().get(name, ("?", 0))
            running = pid and pid != old_pid and state in ("RUNNING", "STARTING")
            if running and (port is None or _listening(port)):
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"{name} not back: {self.status()}\n{self.log.read_text()[-3000:]}")

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.var / 'console.sqlite3'}?mode=ro", uri=True)

    def job(self, job_id: int) -> dict[str, object]:
        with self.db() as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("SELECT * FROM objects_app_job WHERE id = ?", (job_id,)).fetchone()
        return dict(row)


def _listening(port: int) -> bool:
    try:
        wait_for_port(port, timeout=0.2)
        return True
    except TimeoutError:
        return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("supervised")
    ports = {name: free_port() for name in ("WEB_PORT", "REDIS_PORT", "COSLOCAL_PORT")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COS_", "DJANGO_", "DATABASE"))}
    env.update({name: str(port) for name, port in ports.items()}, **JOB_ENV)
    env.update(
        CONSOLE_VAR_DIR=str(tmp / "var"),
        CONSOLE_ADMIN_PASSWORD=PASSWORD,
        WEB_WORKERS="1",
    )
    log_path = tmp / "stack.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stack.run"], cwd=ROOT, env=env, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    stack = Stack(proc, tmp / "var", ports, log_path)
    try:
        wait_for_port(ports["WEB_PORT"], timeout=90)
        yield stack
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def session(stack: Stack) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{stack.base}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    session.post(
        f"{stack.base}/login/",
        data={"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{stack.base}/login/"}, timeout=10,
    )  # fmt: skip
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    session.headers["Referer"] = f"{stack.base}/"
    return session


@pytest.fixture(scope="module")
def cos(stack: Stack):  # type: ignore[no-untyped-def]
    from objects_app.cos import CosConfig, CosS3Client
    from stack.run import COSLOCAL_SECRET_ID

    secret = (stack.var / "coslocal-secret.txt").read_text().strip()
    config = CosConfig(
        Region="ap-guangzhou", SecretId=COSLOCAL_SECRET_ID, SecretKey=secret, Scheme="http",
        IP="127.0.0.1", Port=stack.ports["COSLOCAL_PORT"],
    )  # fmt: skip
    return CosS3Client(config)


def _slow_cos(stack: Stack, **rule: object) -> None:
    """Slow matching coslocal requests down so the kills land mid-job (the rule lives in the
    coslocal process, so killing coslocal also ends it)."""
    secret = (stack.var / "coslocal-secret.txt").read_text().strip()
    response = requests.post(
        f"http://127.0.0.1:{stack.ports['COSLOCAL_PORT']}/_coslocal/faults",
        data=json.dumps({"mode": "delay", "fraction": 1.0, **rule}),
        headers={"X-Coslocal-Key": secret}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200, response.text


def _kill_redis_then_coslocal(stack: Stack) -> None:
    """The kills of the issue, one after the other, each back within 10 s; the rest untouched."""
    before = stack.status()
    for name, port in (
        ("redis", stack.ports["REDIS_PORT"]),
        ("coslocal", stack.ports["COSLOCAL_PORT"]),
    ):
        others = {n: pid for n, (_, pid) in stack.status().items() if n != name}
        took = stack.wait_back(name, stack.kill9(name), port)
        assert took < BACK_WITHIN, (
            f"{name} back after {took:.1f} s: {stack.log.read_text()[-3000:]}"
        )
        assert requests.get(f"{stack.base}/login/", timeout=5).status_code == 200
        after = {n: pid for n, (_, pid) in stack.status().items() if n != name}
        assert after == others, f"killing {name} restarted others: {others} -> {after}"
    assert set(stack.status()) == set(before)


def _wait_job(stack: Stack, job_id: int, timeout: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = stack.job(job_id)
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} still {stack.job(job_id)} after {timeout}s")


def _seed(stack: Stack, keys: list[str]) -> None:
    from tests.jobs.conftest import seed_keys

    class _Server:
        data_dir = stack.var / "coslocal"

    seed_keys(_Server(), BUCKET, keys)


def test_batch_delete_survives_redis_and_coslocal_being_killed(stack, session, cos) -> None:  # type: ignore[no-untyped-def]
    keys = [f"kill-del/{n:05d}" for n in range(8000)]
    _seed(stack, [*keys, "kill-delx/keep"])
    plan = session.post(f"{stack.base}/b/{BUCKET}/batch-delete/", data={"prefix": "kill-del/"})
    assert plan.status_code == 200, plan.text[:500]
    job_id = int(re.search(r'id="job-(\d+)"', plan.text).group(1))  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    while stack.job(job_id)["state"] != "awaiting_confirm":
        assert time.monotonic() < deadline, stack.job(job_id)
        time.sleep(0.2)

    _slow_cos(stack, method="POST", query_contains="delete", delay=1.5)
    confirm = session.post(f"{stack.base}/jobs/{job_id}/confirm-delete/", data={"mode": "current"})
    assert confirm.status_code == 200, confirm.text[:500]
    while stack.job(job_id)["done"] == 0:
        assert stack.job(job_id)["state"] in ("queued", "running"), stack.job(job_id)
        time.sleep(0.1)
    _kill_redis_then_coslocal(stack)

    job = _wait_job(stack, job_id)
    assert (job["state"], job["total"], job["done"], job["failed"]) == ("succeeded", 8000, 8000, 0)
    assert list(cos.iter_objects(Bucket=BUCKET, Prefix="kill-del/")) == []
    assert [o["Key"] for o in cos.iter_objects(Bucket=BUCKET, Prefix="kill-delx/")] == [
        "kill-delx/keep"
    ]
    with stack.db() as conn:
        jobs = conn.execute(
            "SELECT COUNT(*) FROM objects_app_job WHERE bucket = ? AND kind = 'delete' AND "
            "params LIKE ?",
            (BUCKET, '%"kill-del/"%'),
        ).fetchone()[0]
    assert jobs == 1


def _put_chunk(session: requests.Session, url: str, body: bytes) -> None:
    """As the page's script does: a refused or failed chunk is sent again, a bounded number of
    times."""
    for _ in range(60):
        try:
            response = session.put(url, data=body, timeout=30)
            if response.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"chunk {url} never accepted")


def test_large_upload_survives_redis_and_coslocal_being_killed(stack, session, cos) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(MB) * 24  # 24 chunks of 1 MiB
    key = "kill-upload/big.bin"
    started = session.post(
        f"{stack.base}/b/{BUCKET}/large-upload/",
        data={"key": key, "size": len(data), "fingerprint": f"{key}:{len(data)}:supervision"},
    )
    assert started.status_code == 200, started.text[:500]
    state = started.json()
    job_id, chunk = state["job_id"], state["chunk_size"]
    _slow_cos(stack, method="PUT", query_contains="partNumber", delay=0.5)
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    for index, body in enumerate(chunks):
        if index == 8:
            _kill_redis_then_coslocal(stack)
        _put_chunk(session, f"{stack.base}/uploads/{job_id}/chunks/{index}", body)

    job = _wait_job(stack, job_id)
    assert job["state"] == "succeeded", job
    got = cos.get_object(Bucket=BUCKET, Key=key)["Body"].read_all()
    assert hashlib.md5(got).hexdigest() == hashlib.md5(data).hexdigest()
    assert cos.list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Upload", []) == []
    with stack.db() as conn:
        jobs = conn.execute(
            "SELECT COUNT(*) FROM objects_app_job WHERE bucket = ? AND kind = 'upload' AND "
            "params LIKE ?", (BUCKET, f'%{key}:{len(data)}:supervision%'),
        ).fetchone()[0]  # fmt: skip
    assert jobs == 1
    assert all(psutil.pid_exists(pid) for _, pid in stack.status().values())
