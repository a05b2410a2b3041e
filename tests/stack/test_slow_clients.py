"""Slow and idle clients cannot take the console's workers (issue 15): the web server `make run`
starts (stack.web.server_argv) keeps answering while 50 slow connections are held open, and drops
them once their headers or body stall past the read timeouts."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from stack.net import free_port, wait_for_port
from stack.web import server_argv

ROOT = Path(__file__).resolve().parents[2]
HELD = 50  # half stall in their headers, half in their body
TIMEOUT = 3  # seconds, for both header and body reads


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("slow-web")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COS_", "DATABASE"))}
    env.update(
        DJANGO_SETTINGS_MODULE="console.settings",
        DATABASE_URL=f"sqlite:///{tmp / 'console.sqlite3'}",
        CONSOLE_VAR_DIR=str(tmp),
        CONSOLE_HEADER_READ_TIMEOUT=str(TIMEOUT),
        CONSOLE_BODY_READ_TIMEOUT=str(TIMEOUT),
        CONSOLE_LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    port = free_port()
    log = (tmp / "web.log").open("wb")
    proc = subprocess.Popen(
        server_argv(port, workers=1, access_log=False), env=env, cwd=ROOT, stdout=log, stderr=log
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _slow_header(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def _slow_body(port: int, token: str) -> socket.socket:
    """A login POST whose body never finishes: the view would read it (CSRF cookie and token)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken={token}\r\n"
        f"Referer: http://127.0.0.1:{port}/login/\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
        f"csrfmiddlewaretoken={token}&username="
    )
    sock.sendall(head.encode())
    return sock


def _dropped(sock: socket.socket) -> bool:
    """True once the server closed the connection (or answered it and closed)."""
    sock.settimeout(0.05)
    try:
        data = sock.recv(4096)
    except TimeoutError:
        return False
    except OSError:
        return True
    return data == b"" or data.startswith(b"HTTP/1.1 408")


def test_fifty_slow_connections_do_not_freeze_the_console(web: str) -> None:
    port = int(web.rsplit(":", 1)[1])
    first = requests.get(f"{web}/login/", timeout=5)
    token = first.cookies["csrftoken"]
    assert re.search(r'name="csrfmiddlewaretoken"', first.text)
    held = [_slow_header(port) for _ in range(HELD // 2)]
    held += [_slow_body(port, token) for _ in range(HELD // 2)]
    try:
        latencies = []
        deadline = time.monotonic() + TIMEOUT - 0.5  # all 50 are still held during this loop
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = requests.get(f"{web}/login/", timeout=5)
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200 and "csrfmiddlewaretoken" in response.text
            for sock in held[: HELD // 2]:
                sock.send(b"x")  # trickle: a slowloris keeps its headers "in progress"
            time.sleep(0.1)
        assert len(latencies) >= 5 and max(latencies) < 1.0, latencies
        assert not any(_dropped(sock) for sock in held)  # really held open until now

        # Past the read timeouts the server lets them all go (bounded wait).
        give_up = time.monotonic() + TIMEOUT + 10
        remaining = list(held)
        while remaining and time.monotonic() < give_up:
            remaining = [sock for sock in remaining if not _dropped(sock)]
            time.sleep(0.2)
        assert remaining == [], f"{len(remaining)} slow connections still open"
    finally:
        for sock in held:
            sock.close()
