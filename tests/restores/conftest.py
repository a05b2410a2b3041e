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
