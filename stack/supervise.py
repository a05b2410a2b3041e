"""The stack's processes under supervisor: a crashed one is restarted with backoff while the
others keep running (honcho, before, stopped everything when one child died).

supervisord restarts a process that exits unexpectedly at once; one that dies again within
START_SECONDS is retried after 1 s, 2 s, 3 s ... (supervisor's own backoff), up to START_RETRIES.
"""

from __future__ import annotations

import sys
from pathlib import Path

START_SECONDS = 2
START_RETRIES = 30  # about eight minutes of growing backoff before supervisor gives up


def programs(var: Path, *, use_coslocal: bool) -> dict[str, str]:
    """name -> command line; `%(ENV_X)s` is supervisor's syntax for this process's environment."""
    python = sys.executable
    found = {
        "redis": f"{python} -m stack.redis_server --port %(ENV_REDIS_PORT)s --dir {var}/redis",
        "worker": (
            f"{python} -m celery -A console worker --loglevel INFO --concurrency 2 "
            f"--queues console --beat --schedule {var}/celerybeat-schedule"
        ),
        "web": f"{python} -m stack.web",
    }
    if use_coslocal:
        found["coslocal"] = (
            f"{python} -m coslocal --host 127.0.0.1 --port %(ENV_COSLOCAL_PORT)s "
            f"--data {var}/coslocal"
        )
    return found


PRIORITY = {"redis": 10, "coslocal": 10, "worker": 20, "web": 30}


def config(var: Path, root: Path, *, use_coslocal: bool) -> str:
    """supervisord.conf for the stack: in the foreground, every log on this terminal."""
    sections = [
        "[supervisord]",
        "nodaemon=true",
        "logfile=/dev/stdout",
        "logfile_maxbytes=0",
        f"pidfile={var}/supervisord.pid",
        f"childlogdir={var}",
        "",
        "[unix_http_server]",
        f"file={var}/supervisor.sock",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{var}/supervisor.sock",
    ]
    for name, command in programs(var, use_coslocal=use_coslocal).items():
        sections += [
            "",
            f"[program:{name}]",
            f"command={sys.executable} -m stack.launch {name} -- {command}",
            f"directory={root}",
            f"priority={PRIORITY[name]}",
            "autorestart=true",
            f"startsecs={START_SECONDS}",
            f"startretries={START_RETRIES}",
            # The whole group: gunicorn/granian/celery children go with their parent.
            "stopasgroup=true",
            "killasgroup=true",
            "stopwaitsecs=20",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
        ]
    return "\n".join(sections) + "\n"
