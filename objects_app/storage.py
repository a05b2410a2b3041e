"""The one place that turns COS_* settings into a client (built lazily, once per process)."""

from __future__ import annotations

from functools import lru_cache

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
