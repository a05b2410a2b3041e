"""Shared fixtures: real parts only. coslocal, Redis and Celery workers are real processes on
127.0.0.1 with free ports; the console's client talks to coslocal over real HTTP.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from coslocal.testing import DEFAULT_SECRET_ID as SECRET_ID
from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY
from coslocal.testing import CoslocalServer
from stack.net import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
APPID = "1250000000"
REGION = "ap-guangzhou"


# --- guard: tests talk to loopback only --------------------------------------------------------


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # unix sockets and the like
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a hostname other than localhost would need DNS: not loopback


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """Any in-process connection to a non-loopback address fails the test that made it."""
    original = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"test tried to connect to non-loopback address {address!r}")
        original(sock, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def _compiled_translations() -> None:
    """The suite always sees the catalogue as committed (make test compiles it too; this covers a
    plain `pytest` after a merge changed locale/)."""
    from stack.i18n import compile_catalogues

    compile_catalogues()


# --- database ------------------------------------------------------------------------------------


TEST_DB = os.environ.get("CONSOLE_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def _postgres_cluster() -> Iterator[object]:
    """CONSOLE_TEST_DB=postgres: a throwaway PostgreSQL cluster for this session (and worker);
    None on SQLite. A static dependency of the settings fixture below, so it is torn down
    after the test databases are dropped."""
    if TEST_DB != "postgres":
        yield None
        return
    from tests.pgcluster import PostgresCluster

    # Not under pytest's basetemp: another pytest session of the same user prunes old numbered
    # basetemps, and deleting a running cluster's data directory kills it mid-run.
    base = Path(tempfile.mkdtemp(prefix="console-test-pg-"))
    cluster = PostgresCluster(base / "cluster").start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    _postgres_cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:  # type: ignore[no-untyped-def]
    """Each pytest run gets its own test database: a SQLite file (not :memory:, because Celery
    worker processes open it by path; a temp dir keeps concurrent runs apart) or, with
    CONSOLE_TEST_DB=postgres, a database in a throwaway PostgreSQL cluster."""
    from django.conf import settings
    from django.db import connections

    if _postgres_cluster is not None:
        # In place: django.db.connections shares this dict; the sqlite wrapper is dropped and
        # rebuilt for PostgreSQL on next use.
        settings.DATABASES["default"].update(_postgres_cluster.settings())
        connections["default"].close()
        del connections["default"]
        return
    if TEST_DB != "sqlite":
        raise pytest.UsageError(f"CONSOLE_TEST_DB must be sqlite or postgres, not {TEST_DB!r}")
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        test = database.setdefault("TEST", {})
        test["NAME"] = str(tmp_path_factory.mktemp("db") / "test-console.sqlite3")


def database_url(db: dict) -> str:  # type: ignore[type-arg]
    """The DATABASE_URL that points a child process (a Celery worker) at this test database."""
    if db["ENGINE"] == "django.db.backends.postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # PBKDF2 at full strength costs ~0.5 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- coslocal and our client --------------------------------------------------------------------


@pytest.fixture(scope="session")
def coslocal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoslocalServer]:
    server = CoslocalServer(
        tmp_path_factory.mktemp("coslocal-shared"),
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        appid=APPID,
        region=REGION,
        restore_seconds=2,
    )
    server.start()
    yield server
    server.stop()


def client_for(server: CoslocalServer):  # type: ignore[no-untyped-def]
    from objects_app.cos import CosConfig, CosS3Client

    config = CosConfig(
        Region=REGION,
        SecretId=server_secret_id(server),
        SecretKey=SECRET_KEY,
        Scheme="http",
        IP=server.host,
        Port=server.port,
    )
    return CosS3Client(config)


def server_secret_id(server: CoslocalServer) -> str:
    return SECRET_ID


@pytest.fixture(scope="session")
def cos_client(coslocal: CoslocalServer):  # type: ignore[no-untyped-def]
    return client_for(coslocal)


@pytest.fixture(scope="session")
def demo_bucket(cos_client) -> str:  # type: ignore[no-untyped-def]
    """The `make run` demo bucket, seeded once per session into the shared coslocal."""
    from objects_app.demo import DEMO_BUCKET, demo_seed

    demo_seed(cos_client, DEMO_BUCKET)
    return DEMO_BUCKET


def cos_env(server: CoslocalServer) -> dict[str, str]:
    """The COS_* environment that points a console process (web, worker) at `server`."""
    return {
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": SECRET_KEY,
        "COS_REGION": REGION,
        "COS_APPID": APPID,
        "COS_IP": server.host,
        "COS_PORT": str(server.port),
        "COS_SCHEME": "http",
    }


@pytest.fixture
def console_cos(settings, coslocal: CoslocalServer) -> Iterator[CoslocalServer]:  # type: ignore[no-untyped-def]
    """Point the console (storage.get_cos_client) at the shared coslocal for one test."""
    from objects_app.storage import get_cos_client

    settings.COS_SECRET_ID = SECRET_ID
    settings.COS_SECRET_KEY = SECRET_KEY
    settings.COS_REGION = REGION
    settings.COS_APPID = APPID
    settings.COS_IP = coslocal.host
    settings.COS_PORT = coslocal.port
    settings.COS_SCHEME = "http"
    settings.COS_ENDPOINT = ""
    get_cos_client.cache_clear()
    yield coslocal
    get_cos_client.cache_clear()


# --- Redis and Celery workers -------------------------------------------------------------------


class RedisProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        from stack.redis_server import redis_argv

        self.proc = subprocess.Popen(
            redis_argv(self.port, self.data_dir), stdout=subprocess.DEVNULL
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


class WorkerProcess:
    """`celery -A console worker` as a real child process on the test database and coslocal."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        argv = [sys.executable, "-m", "celery", "-A", "console", "worker", "--loglevel", "INFO",
                "--concurrency", "2", "--queues", self.env["CELERY_QUEUE"], "--without-gossip",
                "--without-mingle", "--without-heartbeat"]  # fmt: skip
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.log.close()


@pytest.fixture
def worker_env(redis_server: RedisProcess, coslocal: CoslocalServer, transactional_db, tmp_path):  # type: ignore[no-untyped-def]
    """Env for a worker that shares this test's database (a file) and the shared coslocal."""
    from django.db import connection

    env = dict(os.environ)
    env.update(cos_env(coslocal))
    env.update(
        DJANGO_SETTINGS_MODULE="console.settings",
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=redis_server.url,
        CELERY_QUEUE="console",
        CONSOLE_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
    )
    return env


def point_celery_at(url: str) -> None:
    """Send this process's task messages to `url`.

    An earlier test may have published (or failed to publish) with another broker URL; Celery
    keeps that connection in its pools, so they are dropped too, or messages go to the old one.
    """
    from console.celery import app

    app.conf.broker_url = url
    app.amqp._producer_pool = None  # built from app.pool on next use
    app._pool = None  # (closing it instead leaves closed pools referenced in kombu's registry)


@pytest.fixture
def celery_worker_process(worker_env, settings, tmp_path) -> Iterator[WorkerProcess]:  # type: ignore[no-untyped-def]
    """A started worker; this process's task dispatch goes to the same Redis and queue."""
    settings.CELERY_BROKER_URL = worker_env["REDIS_URL"]
    point_celery_at(worker_env["REDIS_URL"])
    worker = WorkerProcess(worker_env, tmp_path / "worker.log").start()
    yield worker
    worker.stop()
