"""CoslocalServer: start a coslocal subprocess for tests, benchmarks and `make run`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

DEFAULT_SECRET_ID = "AKIDcoslocaltest0000000000000000"
DEFAULT_SECRET_KEY = "coslocal-test-secret-key-0000000"
START_TIMEOUT = 20.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class CoslocalServer:
    host = "127.0.0.1"

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        port: int = 0,
        secret_id: str = DEFAULT_SECRET_ID,
        secret_key: str = DEFAULT_SECRET_KEY,
        appid: str = "1250000000",
        region: str = "ap-guangzhou",
        restore_seconds: float | None = None,
        time_scale: float | None = None,
        restore_times: dict[str, float] | None = None,
        day_seconds: float | None = None,
        tokens: tuple[str, ...] | list[str] = (),
        users: tuple[str, ...] | list[str] = (),
        owner_uin: str | None = None,
        extra_args: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.appid = appid
        self.region = region
        # Restore timing: without time_scale, every restore takes restore_seconds (default 2 s,
        # as before); with time_scale, COS's table per class and tier is divided by it (and
        # restore_times={"ARCHIVE:Bulk": secs} overrides entries) unless restore_seconds is set.
        if restore_seconds is None and time_scale is None:
            restore_seconds = 2
        self.restore_seconds = restore_seconds
        self.time_scale = time_scale
        self.restore_times = dict(restore_times or {})
        self.day_seconds = day_seconds
        self.tokens = tuple(tokens)
        # "SECRETID:SECRETKEY:<owner uin>:<sub uin>": sub-accounts (owner uin = the bucket
        # owner's) and other root accounts (both uins equal), judged by ACLs and bucket policies
        self.users = tuple(users)
        self.owner_uin = owner_uin
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "server not started"
        return self.proc.pid

    def command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "coslocal",
            "--host", self.host, "--port", str(self.port), "--data", str(self.data_dir),
            "--secret-id", self.secret_id, "--secret-key", self.secret_key,
            "--appid", self.appid, "--region", self.region,
        ]  # fmt: skip
        if self.restore_seconds is not None:
            cmd += ["--restore-seconds", str(self.restore_seconds)]
        if self.time_scale is not None:
            cmd += ["--time-scale", str(self.time_scale)]
        if self.day_seconds is not None:
            cmd += ["--day-seconds", str(self.day_seconds)]
        for spec, seconds in self.restore_times.items():
            cmd += ["--restore-time", f"{spec}={seconds}"]
        for token in self.tokens:
            cmd += ["--token", token]
        for user in self.users:
            cmd += ["--user", user]
        if self.owner_uin:
            cmd += ["--owner-uin", self.owner_uin]
        return cmd + list(self.extra_args)

    def start(self) -> CoslocalServer:
        """Spawn the server and wait until *it* answers health (a free port may be taken by
        someone else meanwhile: with port=0 a fresh port is tried once more)."""
        pick = self.port == 0
        for attempt in range(2 if pick else 1):
            if pick:
                self.port = free_port(self.host)
            try:
                self._spawn()
                return self
            except RuntimeError:
                self.kill()
                if attempt == (1 if pick else 0):
                    raise
        return self

    def _spawn(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        root = Path(__file__).resolve().parent.parent
        # COSLOCAL_* variables of the caller's environment must not leak into a test server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("COSLOCAL_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(self.command(), env=env, cwd=root)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"coslocal exited with status {self.proc.returncode}")
            try:
                with urllib.request.urlopen(
                    f"{self.endpoint_url}/_coslocal/health", timeout=1
                ) as r:
                    # the worker names its arbiter: proves this port is ours, not a stranger's
                    if r.status == 200 and r.headers.get("X-Coslocal-Pid") == str(self.proc.pid):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("coslocal did not become healthy in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL the whole server (arbiter and worker), as a crash would.

        The arbiter goes first: killed after its worker, it could fork a replacement worker
        that would outlive it, still holding the port, the data dir lock and open files.
        """
        if self.proc is not None and self.proc.poll() is None:
            workers = _children(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            for proc in workers:
                with contextlib.suppress(Exception):
                    proc.kill()
                _wait_dead(proc)

    def _admin(self, method: str, body: Any = None, path: str = "faults") -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.endpoint_url}/_coslocal/{path}",
            data=data,
            method=method,
            headers={"X-Coslocal-Key": self.secret_key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]

    def set_faults(self, **spec: Any) -> None:
        self._admin("POST", spec)

    def clear_faults(self) -> None:
        self._admin("DELETE")

    def fault_state(self) -> dict[str, Any]:
        return self._admin("GET")

    def advance_clock(self, seconds: float) -> None:
        """Move the server's restore clock forward (restores finish / expire without sleeping)."""
        self._admin("POST", {"advance": seconds}, path="clock")

    def __enter__(self) -> CoslocalServer:
        if self.proc is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _wait_dead(proc: Any, timeout: float = 10.0) -> None:
    """Until a (re-parented) worker is gone or a zombie: a container's PID 1 may never reap it."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)


def _children(pid: int) -> list[Any]:
    """psutil handles for the server's descendants (psutil is pinned in requirements)."""
    try:
        import psutil

        return list(psutil.Process(pid).children(recursive=True))
    except Exception:  # the process is already gone: nothing left to kill
        return []
