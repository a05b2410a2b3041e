"""Both clients configured like real COS (DNS names), with the names pinned to coslocal.

``pinned_session`` is the test's /etc/hosts: every COS host name connects to coslocal, and the
request keeps its Host header, so each client's own URL building, signing and host logic run
unchanged (the SDK's ``copy()`` and ``AutoSwitchDomainOnRetry`` ignore IP/Port, so IP mode
cannot test them).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests
from qcloud_cos import CosConfig as SdkConfig
from qcloud_cos import CosS3Client as SdkClient
from requests.adapters import HTTPAdapter

from coslocal.testing import CoslocalServer
from objects_app.cos import CosConfig, CosS3Client

from .conftest import REGION, SECRET_ID, SECRET_KEY

VOLATILE = {
    "Date",
    "x-cos-request-id",
    "x-cos-trace-id",
    "LastModified",
    "Last-Modified",
    "CreationDate",
    "Initiated",
    "UploadId",
    "VersionId",
    "x-cos-version-id",
    "Expires",
    "requestid",
    "traceid",
}


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(pool_maxsize=16)
        self._netloc = f"{host}:{port}"

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(request.url or "")
        request.headers.setdefault("Host", parts.hostname or "")
        request.url = parts._replace(scheme="http", netloc=self._netloc).geturl()
        return super().send(request, *args, **kwargs)


def pinned_session(server: CoslocalServer) -> requests.Session:
    session = requests.Session()
    adapter = _PinnedAdapter(server.host, server.port)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def ours_dns(server: CoslocalServer, retry: int = 3, **conf: Any) -> CosS3Client:
    if "CredentialInstance" not in conf and "Anonymous" not in conf:
        conf.update(SecretId=SECRET_ID, SecretKey=SECRET_KEY)
    config = CosConfig(
        Region=REGION, Scheme="http", RetryBackoff=0.01, RetryBackoffMax=0.05, **conf
    )
    return CosS3Client(config, retry=retry, session=pinned_session(server))


def sdk_dns(server: CoslocalServer, retry: int = 0, **conf: Any) -> SdkClient:
    if "CredentialInstance" not in conf and "Anonymous" not in conf:
        conf.update(SecretId=SECRET_ID, SecretKey=SECRET_KEY)
    config = SdkConfig(Region=REGION, Scheme="http", **conf)
    return SdkClient(config, retry=retry, session=pinned_session(server))


def normalise(value: Any, bucket: str) -> Any:
    """Drop bodies and volatile values; write the bucket's name as <bucket>."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {
            k: ("<volatile>" if k in VOLATILE else normalise(v, bucket))
            for k, v in value.items()
            if k != "Body"
        }
    if isinstance(value, list | tuple):
        return [normalise(v, bucket) for v in value]
    if isinstance(value, str):
        return re.sub(re.escape(bucket.split("-")[0]), "<bucket>", value)
    return value
