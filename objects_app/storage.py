"""The one place that turns COS_* settings into a client (built lazily, once per process)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from objects_app.cos import CosConfig, CosS3Client


@lru_cache(maxsize=1)
def get_cos_client() -> CosS3Client:
    config = CosConfig(
        Region=settings.COS_REGION,
        Appid=settings.COS_APPID or None,
        SecretId=settings.COS_SECRET_ID,
        SecretKey=settings.COS_SECRET_KEY,
        Token=settings.COS_TOKEN or None,
        Scheme=settings.COS_SCHEME,
        Endpoint=settings.COS_ENDPOINT or None,
        IP=settings.COS_IP or None,
        Port=settings.COS_PORT or None,
        ConnectTimeout=settings.COS_CONNECT_TIMEOUT,
        ReadTimeout=settings.COS_READ_TIMEOUT,
    )
    return CosS3Client(config)


def cos_region() -> str:
    """The region of the console's buckets (bucket policy resources name it)."""
    return str(settings.COS_REGION)


def console_principal() -> str:
    """The CAM principal the console's credentials act as, when configured ("" otherwise)."""
    return str(settings.CONSOLE_COS_PRINCIPAL)


def presigned_download_url(
    *, bucket: str, key: str, expires: int, params: dict[str, str] | None = None
) -> str:
    """A presigned GET URL a browser can open.

    When the console reaches COS by IP (coslocal), the client's URL names that IP, which a
    browser cannot route to a bucket. COS_PUBLIC_ENDPOINT (e.g. `cos.ap-guangzhou.localhost:9000`;
    browsers resolve `*.localhost` to loopback) gives the bucket's public host instead: the URL
    is signed for that Host and points there.
    """
    client = get_cos_client()
    endpoint = settings.COS_PUBLIC_ENDPOINT
    if not endpoint:
        return client.get_presigned_download_url(
            Bucket=bucket, Key=key, Expired=expires, Params=params
        )
    netloc = f"{bucket}.{endpoint}"
    url = client.get_presigned_download_url(
        Bucket=bucket, Key=key, Expired=expires, Params=params,
        Headers={"Host": f"{bucket}.{endpoint.split(':')[0]}"},  # signed without the port
    )  # fmt: skip
    parts = urlsplit(url)
    return urlunsplit((settings.COS_SCHEME, netloc, parts.path, parts.query, ""))
