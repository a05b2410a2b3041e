"""Fixtures for the coslocal conformance suite: one shared server, the official SDK as referee."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client

from coslocal.testing import CoslocalServer

APPID = "1250000000"
REGION = "ap-guangzhou"
TOKEN = "sts-token-coslocal-0001"
TEMP_ID, TEMP_KEY, TEMP_TOKEN = (
    "AKIDtemporary000000000000000000",
    "temp-secret-key",
    "temp-token-xyz",
)

# Extra credentials of the shared server (coslocal --user): a sub-account of the bucket owner
# (whose uin is the APPID here) and another root account. Neither may do anything by default.
OWNER_UIN = APPID
SUB_UIN, OTHER_UIN = "100000000011", "100000000002"
SUB_ID, SUB_KEY = "AKIDsubaccount0000000000000000000", "sub-account-secret-key"
OTHER_ID, OTHER_KEY = "AKIDotherroot00000000000000000000", "other-root-secret-key"
SUB_PRINCIPAL = f"qcs::cam::uin/{OWNER_UIN}:uin/{SUB_UIN}"
OTHER_PRINCIPAL = f"qcs::cam::uin/{OTHER_UIN}:uin/{OTHER_UIN}"
USERS = (
    f"{SUB_ID}:{SUB_KEY}:{OWNER_UIN}:{SUB_UIN}",
    f"{OTHER_ID}:{OTHER_KEY}:{OTHER_UIN}:{OTHER_UIN}",
)

logging.getLogger("qcloud_cos").setLevel(logging.WARNING)
_names = itertools.count()


def sdk_client(srv: CoslocalServer, **overrides: object) -> CosS3Client:
    kwargs: dict[str, object] = {
        "Region": REGION,
        "SecretId": srv.secret_id,
        "SecretKey": srv.secret_key,
        "Scheme": "http",
        "IP": srv.host,
        "Port": srv.port,
        "Timeout": 30,
    }
    kwargs.update(overrides)
    return CosS3Client(CosConfig(**kwargs), retry=0)


@pytest.fixture(scope="session")
def coslocal_srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoslocalServer]:
    data = tmp_path_factory.mktemp("coslocal-shared")
    srv = CoslocalServer(
        data,
        # restores take 60 s and "days" 100 s of the server's restore clock; tests move that clock
        # with advance_clock() instead of sleeping, so they cannot race a busy machine
        restore_seconds=60,
        tokens=(TOKEN, f"{TEMP_ID}:{TEMP_KEY}:{TEMP_TOKEN}"),
        users=USERS,
        extra_args=("--day-seconds", "100"),
    ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def sdk(coslocal_srv: CoslocalServer) -> CosS3Client:
    return sdk_client(coslocal_srv)


@pytest.fixture(scope="session")
def anon_sdk(coslocal_srv: CoslocalServer) -> CosS3Client:
    return sdk_client(coslocal_srv, Anonymous=True, SecretId=None, SecretKey=None)


@pytest.fixture(scope="session")
def sub_sdk(coslocal_srv: CoslocalServer) -> CosS3Client:
    """The owner's sub-account 100000000011."""
    return sdk_client(coslocal_srv, SecretId=SUB_ID, SecretKey=SUB_KEY)


@pytest.fixture(scope="session")
def other_sdk(coslocal_srv: CoslocalServer) -> CosS3Client:
    """Another root account, 100000000002."""
    return sdk_client(coslocal_srv, SecretId=OTHER_ID, SecretKey=OTHER_KEY)


@pytest.fixture(scope="session")
def service_sdk(coslocal_srv: CoslocalServer) -> CosS3Client:
    # The SDK's list_buckets ignores IP/Port; ServiceDomain is how it reaches a local server.
    return sdk_client(coslocal_srv, ServiceDomain=f"{coslocal_srv.host}:{coslocal_srv.port}")


def new_bucket_name(tag: str = "t") -> str:
    return f"{tag}{next(_names)}-{APPID}"


@pytest.fixture
def bucket(sdk: CosS3Client) -> str:
    name = new_bucket_name()
    sdk.create_bucket(Bucket=name)
    return name


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def host_for(bucket: str) -> str:
    return f"{bucket}.cos.{REGION}.myqcloud.com"


@pytest.fixture(scope="session")
def url_signer(coslocal_srv: CoslocalServer) -> CosS3Client:
    """A client without IP/Port: its presigned URLs name the real virtual host, as users see."""
    return CosS3Client(
        CosConfig(
            Region=REGION,
            SecretId=coslocal_srv.secret_id,
            SecretKey=coslocal_srv.secret_key,
            Scheme="http",
        )
    )


def local_url(srv: CoslocalServer, url: str) -> tuple[str, dict[str, str]]:
    """Send a virtual-hosted URL to the local server: same path and query, Host header kept."""
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return f"{srv.endpoint_url}/{path}", {"Host": host}


def signed_request(
    srv: CoslocalServer,
    signer: CosS3Client,
    method: str,
    bucket: str,
    key: str = "",
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
) -> requests.Response:
    """A raw request signed by the SDK's get_auth (header form), sent with plain requests."""
    params = params or {}
    headers = {"Host": host_for(bucket), **(headers or {})}
    auth = signer.get_auth(
        Method=method, Bucket=bucket, Key=key or "/", Params=params, Headers=headers
    )
    path = "/" + quote(key, safe="/-_.~") if key else "/"
    return requests.request(
        method,
        f"{srv.endpoint_url}{path}",
        params=params,
        headers={**headers, "Authorization": auth},
        data=data,
        timeout=30,
    )
