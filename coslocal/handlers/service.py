"""GET Service (list buckets)."""

from __future__ import annotations

import time

from coslocal.handlers.context import Context
from coslocal.http import Response, xml_response
from coslocal.xmlout import document


def iso_seconds(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def list_buckets(ctx: Context) -> Response:
    buckets = [
        (
            "Bucket",
            [
                ("Name", b.name),
                ("Location", ctx.config.region),
                ("CreationDate", iso_seconds(b.created)),
                ("BucketType", "cos"),
            ],
        )
        for b in ctx.store.list_buckets()
    ]
    body = document(
        "ListAllMyBucketsResult",
        [
            ("Owner", ctx.owner_display()),
            ("Buckets", buckets),
            ("Marker", ""),
            ("IsTruncated", False),
        ],
    )
    return xml_response(body)
