"""`make run`'s orchestrator for real: every process starts under supervisor, the demo is seeded, a
user logs in, browses it and downloads from it, and SIGTERM stops every child."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from stack.net import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack(tmp_path: Path):  # type: ignore[no-untyped-def]
    ports = {name: free_port() for name in ("WEB_PORT", "REDIS_PORT", "COSLOCAL_PORT")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COS_", "DJANGO_", "DATABASE"))}
    env.update(
        {name: str(port) for name, port in ports.items()},
        CONSOLE_VAR_DIR=str(tmp_path / "var"),
        CONSOLE_ADMIN_PASSWORD="stack-test-password",
        WEB_WORKERS="1",
    )
    log = (tmp_path / "stack.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stack.run"], cwd=ROOT, env=env, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    try:
        yield proc, ports, tmp_path / "stack.log"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _login(session: requests.Session, base: str) -> None:
    page = session.get(f"{base}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = session.post(
        f"{base}/login/",
        data={"username": "admin", "password": "stack-test-password",
              "csrfmiddlewaretoken": token.group(1), "next": "/"},
        headers={"Referer": f"{base}/login/"}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200 and "bucket-table" in response.text


def tmp_path_of(log_path: Path) -> Path:
    return log_path.parent


def test_stack_starts_serves_the_demo_and_stops_cleanly(stack) -> None:  # type: ignore[no-untyped-def]
    proc, ports, log_path = stack
    wait_for_port(ports["WEB_PORT"], timeout=90)
    children = psutil.Process(proc.pid).children(recursive=True)
    base = f"http://127.0.0.1:{ports['WEB_PORT']}"
    session = requests.Session()
    _login(session, base)
    assert "demo-1250000000" in session.get(f"{base}/", timeout=10).text
    listing = session.get(f"{base}/b/demo-1250000000/", params={"prefix": "photos/"}, timeout=10)
    assert "2023/" in listing.text and "2024/" in listing.text
    # A download streams through the ASGI server; the key file is this install's own.
    readme = session.get(f"{base}/b/demo-1250000000/download/", params={"key": "README.txt"})
    assert readme.status_code == 200 and readme.headers["Content-Disposition"].startswith("attach")
    assert len(readme.content) == int(readme.headers["Content-Length"]) > 0
    secret_key = tmp_path_of(log_path) / "var" / "django-secret-key.txt"
    assert len(secret_key.read_text().strip()) >= 50
    log = log_path.read_text()
    assert f"http://127.0.0.1:{ports['WEB_PORT']}/" in log and "admin / stack-test-password" in log
    for name in ("redis", "worker", "web", "coslocal"):
        assert f"success: {name} entered RUNNING state" in log

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) is not None
    deadline = time.monotonic() + 15
    while any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children):
        assert time.monotonic() < deadline, [c for c in children if c.is_running()]
        time.sleep(0.2)
