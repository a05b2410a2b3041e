"""Fixtures for archive restores (issue 14): a coslocal of its own that keeps COS's real restore
times (time scale 1), so nothing finishes by itself during a test; tests move its restore clock
forward (`advance_clock`) to see restores finish and expire, without sleeping or racing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from coslocal.testing import CoslocalServer
from tests.conftest import APPID, REGION, SECRET_ID, SECRET_KEY, client_for
from tests.console.conftest import alice, bob, charlie  # noqa: F401 (the same cast of users)

HOUR = 3600.0
EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'


@pytest.fixture(scope="session")
def archive_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoslocalServer]:
    server = CoslocalServer(
        tmp_path_factory.mktemp("coslocal-archive"), secret_id=SECRET_ID, secret_key=SECRET_KEY,
        appid=APPID, region=REGION, time_scale=1,
    )  # fmt: skip
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def archive_client(archive_server):  # type: ignore[no-untyped-def]
    return client_for(archive_server)


@pytest.fixture
def restore_cos(settings, archive_server) -> Iterator[CoslocalServer]:  # type: ignore[no-untyped-def]
    """Point the console (storage.get_cos_client) at the archive coslocal for one test."""
    from objects_app.storage import get_cos_client

    settings.COS_SECRET_ID, settings.COS_SECRET_KEY = SECRET_ID, SECRET_KEY
    settings.COS_REGION, settings.COS_APPID = REGION, APPID
    settings.COS_IP, settings.COS_PORT = archive_server.host, archive_server.port
    settings.COS_SCHEME, settings.COS_ENDPOINT = "http", ""
    get_cos_client.cache_clear()
    yield archive_server
    get_cos_client.cache_clear()


@pytest.fixture
def archive_bucket(archive_client) -> str:  # type: ignore[no-untyped-def]
    name = f"arch{uuid.uuid4().hex[:10]}-{APPID}"
    archive_client.create_bucket(Bucket=name)
    return name


def seed_objects(server: CoslocalServer, bucket: str, rows: list[tuple[str, str, int]]) -> None:
    """(key, storage class, size) rows straight into coslocal's store (no body: HEAD, listings
    and restores need none; PUTting thousands of objects would dominate the test's time)."""
    from coslocal.store import Store

    now = time.time()
    values = [
        (bucket, key, "null", 1, 0, size, EMPTY_ETAG, "0", "[]", now, "{}", cls, "{}")
        for key, cls, size in rows
    ]
    with Store(Path(server.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            values,
        )


def restore(client, bucket: str, key: str, *, tier: str = "Standard", days: int = 1) -> None:  # type: ignore[no-untyped-def]
    client.restore_object(
        Bucket=bucket, Key=key, RestoreRequest={"Days": days, "CASJobParameters": {"Tier": tier}}
    )


class RequestCounter:
    """Counts the requests of one method coslocal serves (a zero-delay fault rule that matches
    every one of them; coslocal counts how often each rule fired)."""

    def __init__(self, server: CoslocalServer, method: str, query_contains: str | None = None):
        self.server = server
        spec = {"mode": "delay", "delay": 0, "fraction": 1.0, "method": method}
        if query_contains:
            spec["query_contains"] = query_contains
        server.set_faults(**spec)

    @property
    def count(self) -> int:
        return int(self.server.fault_state()["fired"])

    def stop(self) -> int:
        count = self.count
        self.server.clear_faults()
        return count


@pytest.fixture
def count_requests(restore_cos) -> Iterator[object]:  # type: ignore[no-untyped-def]
    counters: list[RequestCounter] = []

    def start(method: str, query_contains: str | None = None) -> RequestCounter:
        counter = RequestCounter(restore_cos, method, query_contains)
        counters.append(counter)
        return counter

    yield start
    restore_cos.clear_faults()


# --- a fast coslocal for campaigns run by real workers -------------------------------------------

TIME_SCALE = 3600  # an hour of COS time is a second: ARCHIVE Standard (3-5 h) takes 5 s
# DEEP_ARCHIVE Standard (12-24 h) would take 24 s at that scale: shortened to 6 s. Bulk keeps
# its 48 h (48 s): tests use it for restores that must stay in progress until they move the
# server's restore clock on (advance_clock), however slow the machine is.
FAST_RESTORE_TIMES = {"DEEP_ARCHIVE:Standard": 6 * HOUR}


def fast_server_for(path: Path, **kwargs: object) -> CoslocalServer:
    return CoslocalServer(
        path, secret_id=SECRET_ID, secret_key=SECRET_KEY, appid=APPID, region=REGION,
        time_scale=TIME_SCALE, restore_times=FAST_RESTORE_TIMES, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture(scope="session")
def fast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoslocalServer]:
    """Restores finish in seconds; a restored copy stays readable 60 s per day asked for."""
    server = fast_server_for(tmp_path_factory.mktemp("coslocal-fast"), day_seconds=60)
    server.start()
    yield server
    server.stop()


def campaign_env(server: CoslocalServer, **extra: str) -> dict[str, str]:
    """A worker's environment for campaigns against `server`: COS time scaled as the server's,
    a HEAD per object at most every second."""
    from tests.conftest import cos_env

    return {
        **cos_env(server), "CONSOLE_RESTORE_TIME_SCALE": str(TIME_SCALE),
        "CONSOLE_RESTORE_POLL_SECONDS": "1", "CONSOLE_RESTORE_POLL_MAX_SECONDS": "2", **extra,
    }  # fmt: skip


def point_console_at(settings, server: CoslocalServer) -> None:  # type: ignore[no-untyped-def]
    from objects_app.storage import get_cos_client

    settings.COS_SECRET_ID, settings.COS_SECRET_KEY = SECRET_ID, SECRET_KEY
    settings.COS_REGION, settings.COS_APPID = REGION, APPID
    settings.COS_IP, settings.COS_PORT = server.host, server.port
    settings.COS_SCHEME, settings.COS_ENDPOINT = "http", ""
    settings.CONSOLE_RESTORE_TIME_SCALE = TIME_SCALE
    settings.CONSOLE_RESTORE_POLL_SECONDS = 1
    settings.CONSOLE_RESTORE_POLL_MAX_SECONDS = 2
    get_cos_client.cache_clear()


@pytest.fixture
def fast_cos(settings, fast_server) -> Iterator[CoslocalServer]:  # type: ignore[no-untyped-def]
    """Point this process (the web side) at the fast coslocal, with the workers' settings."""
    from objects_app.storage import get_cos_client

    point_console_at(settings, fast_server)
    yield fast_server
    get_cos_client.cache_clear()


@pytest.fixture
def fast_bucket(fast_server) -> str:  # type: ignore[no-untyped-def]
    name = f"camp{uuid.uuid4().hex[:10]}-{APPID}"
    client_for(fast_server).create_bucket(Bucket=name)
    return name
