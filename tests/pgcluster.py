"""A throwaway PostgreSQL cluster for one test session (CONSOLE_TEST_DB=postgres).

Debian's `postgresql` package (installed by `make test`) provides initdb and pg_ctl under
/usr/lib/postgresql/<version>/bin. The cluster lives in a temp dir, listens on 127.0.0.1 at a
free port, trusts local connections and skips fsync: it exists only for the tests. initdb
refuses to run as root, so as root the cluster belongs to the `postgres` OS user (the package
creates it) or, failing that, `nobody`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path
from typing import Any

from stack.net import free_port

USER = "console"


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql (make test does)")
    return found


def _os_user() -> str | None:
    """The unprivileged account to run PostgreSQL as when we are root; None when we are not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root, but there is no postgres or nobody user for initdb")


class PostgresCluster:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.os_user = _os_user()

    def _as_user(self) -> dict[str, Any]:
        """Drop root entirely: user, group and supplementary groups (root's group would still
        match the temp dirs' group bits and lock the server out of them)."""
        if self.os_user is None:
            return {}
        entry = pwd.getpwnam(self.os_user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            argv, cwd=self.base, text=True, **self._as_user(),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-2000:]}")

    def start(self) -> PostgresCluster:
        self.base.mkdir(parents=True, exist_ok=True)
        if self.os_user is not None:
            entry = pwd.getpwnam(self.os_user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
            self.base.chmod(0o700)
            # The temp dirs above must be enterable by that user too.
            for parent in self.base.parents:
                if parent == Path(parent.anchor) or parent.stat().st_mode & 0o001:
                    continue
                parent.chmod(parent.stat().st_mode | 0o001)
        self._run(_binary("initdb"), "-D", str(self.data), "-U", USER, "-A", "trust", "-E",
                  "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.base / "postgres.log"), "-w", "-t", "60", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                cwd=self.base, check=False, **self._as_user(),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

    def settings(self) -> dict[str, object]:
        """Django's DATABASES entry for this cluster (pytest-django adds the test_ prefix)."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "console",
            "USER": USER,
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "CONN_MAX_AGE": 0,
            "OPTIONS": {},
        }
