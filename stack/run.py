"""`make run`: prepare the database and start the whole stack under supervisor (stack.supervise).

Embedded defaults: SQLite under var/, an embedded Redis, coslocal with a seeded demo bucket, a
Celery worker and the web server. Set COS_SECRET_ID (in the environment or .env) to point the
console at real COS instead; coslocal is then not started.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from dotenv import dotenv_values

from stack.supervise import config, programs

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("CONSOLE_VAR_DIR") or ROOT / "var").resolve()
COSLOCAL_SECRET_ID = "AKIDcoslocaldemo00000000000000000"


def _load_dotenv(env: dict[str, str]) -> None:
    dotenv = ROOT / ".env"
    if dotenv.exists():
        for name, value in dotenv_values(dotenv).items():
            if value is not None:
                env.setdefault(name, value)


def _coslocal_secret() -> str:
    path = VAR / "coslocal-secret.txt"
    if not path.exists():
        path.write_text(secrets.token_hex(20) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def _django_secret_key_file() -> Path:
    """This install's own session/CSRF signing key, made once (never a key shipped in the code)."""
    path = VAR / "django-secret-key.txt"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50) + "\n")
    return path


def stack_env() -> tuple[dict[str, str], bool]:
    """The environment every process gets, and whether coslocal is part of the stack."""
    env = dict(os.environ)
    _load_dotenv(env)
    env.setdefault("WEB_PORT", "8000")
    env.setdefault("REDIS_PORT", "6379")
    env.setdefault("COSLOCAL_PORT", "9000")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env["CONSOLE_VAR_DIR"] = str(VAR)
    if not env.get("DJANGO_SECRET_KEY") and not env.get("DJANGO_SECRET_KEY_FILE"):
        env["DJANGO_SECRET_KEY_FILE"] = str(_django_secret_key_file())
    use_coslocal = not env.get("COS_SECRET_ID")
    if use_coslocal:
        secret = _coslocal_secret()
        region = env.setdefault("COS_REGION", "ap-guangzhou")
        env.update(
            COSLOCAL_SECRET_ID=COSLOCAL_SECRET_ID,
            COSLOCAL_SECRET_KEY=secret,
            COS_SECRET_ID=COSLOCAL_SECRET_ID,
            COS_SECRET_KEY=secret,
            COS_IP="127.0.0.1",
            COS_PORT=env["COSLOCAL_PORT"],
            COS_SCHEME="http",
            CONSOLE_SEED_DEMO="true",
            # Browsers resolve *.localhost to loopback: share links reach coslocal by bucket host.
            COS_PUBLIC_ENDPOINT=f"cos.{region}.localhost:{env['COSLOCAL_PORT']}",
        )
        env.setdefault("COSLOCAL_RESTORE_SECONDS", "60")
    return env, use_coslocal


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)


def main() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    env, use_coslocal = stack_env()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "ensure_admin")
    names = list(programs(VAR, use_coslocal=use_coslocal))
    print(
        f"Starting {', '.join(names)}; the console will be at http://127.0.0.1:{env['WEB_PORT']}/"
    )
    conf = VAR / "supervisord.conf"
    conf.write_text(config(VAR, ROOT, use_coslocal=use_coslocal))
    # supervisord restarts whatever crashes and stops every child on Ctrl-C or SIGTERM.
    # `python -m supervisor.supervisorctl -c var/supervisord.conf status` shows the processes.
    os.chdir(ROOT)
    os.execve(
        sys.executable, [sys.executable, "-m", "supervisor.supervisord", "-c", str(conf)], env
    )


if __name__ == "__main__":
    main()
