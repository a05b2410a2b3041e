"""Fixtures for the client's tests: our own coslocal (session), our client and the official SDK."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from qcloud_cos import CosConfig as SdkConfig
from qcloud_cos import CosS3Client as SdkClient

from coslocal.testing import DEFAULT_SECRET_ID as SECRET_ID
from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY
from coslocal.testing import CoslocalServer
from objects_app.cos import CosConfig, CosS3Client

APPID = "1250000000"
REGION = "ap-guangzhou"
STS_TOKEN = "sts-token-for-client-tests"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def cos_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoslocalServer]:
    """A coslocal process used only by tests/cos (fault injection here disturbs nobody)."""
    server = CoslocalServer(
        tmp_path_factory.mktemp("coslocal-client"),
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        appid=APPID,
        region=REGION,
        restore_seconds=1,
        tokens=(STS_TOKEN,),
    )
    server.start()
    yield server
    server.stop()


def make_client(server: CoslocalServer, **extra: object) -> CosS3Client:
    conf = CosConfig(
        Region=REGION,
        SecretId=SECRET_ID,
        SecretKey=SECRET_KEY,
        Scheme="http",
        IP=server.host,
        Port=server.port,
        RetryBackoff=0.01,
        RetryBackoffMax=0.05,
        **extra,  # type: ignore[arg-type]
    )
    return CosS3Client(conf)


def make_sdk(server: CoslocalServer) -> SdkClient:
    conf = SdkConfig(
        Region=REGION,
        SecretId=SECRET_ID,
        SecretKey=SECRET_KEY,
        Scheme="http",
        IP=server.host,
        Port=server.port,
        # The SDK ignores IP/Port for list_buckets (protocol notes §2.1); point it there.
        ServiceDomain=f"{server.host}:{server.port}",
    )
    return SdkClient(conf, retry=0)


@pytest.fixture(scope="session")
def client(cos_server: CoslocalServer) -> CosS3Client:
    return make_client(cos_server)


@pytest.fixture(scope="session")
def sdk(cos_server: CoslocalServer) -> SdkClient:
    return make_sdk(cos_server)


def new_bucket_name(stem: str = "t") -> str:
    return f"{stem}{next(_names)}-{APPID}"


@pytest.fixture
def bucket(client: CosS3Client) -> str:
    """A fresh, empty bucket for one test."""
    name = new_bucket_name()
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def faults(cos_server: CoslocalServer) -> Iterator[CoslocalServer]:
    """The server, with injected faults cleared after the test."""
    cos_server.clear_faults()
    yield cos_server
    cos_server.clear_faults()


def write_file(path: Path, size: int, seed: int = 7) -> bytes:
    """Deterministic pseudo-random content of ``size`` bytes."""
    import random

    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data
