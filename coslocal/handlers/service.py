"""GET Service (list buckets), with the filters and pagination of protocol 3.1."""

from __future__ import annotations

import operator
import time
from collections.abc import Callable

from coslocal.errors import CosError, access_denied
from coslocal.handlers.context import Context
from coslocal.http import Response, xml_response
from coslocal.store import Bucket
from coslocal.xmlout import Node, document

MAX_KEYS = 2000  # the SDK's documented default and maximum
RANGES: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "gt": operator.gt,
    "lte": operator.le,
    "gte": operator.ge,
}


def iso_seconds(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _int_param(ctx: Context, name: str, default: int) -> int:
    raw = ctx.req.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise CosError(400, "InvalidArgument", f"{name} must be a non-negative integer.")
    return int(raw)


def _matches(ctx: Context) -> Callable[[Bucket], bool]:
    query = ctx.req.query
    region = query.get("region")
    created = query.get("create-time")
    compare = RANGES.get(query.get("range", ""))
    if created is not None and (compare is None or not created.isdigit()):
        raise CosError(
            400, "InvalidArgument", "create-time needs a unix time and range=lt|gt|lte|gte."
        )

    # cos.<region>.myqcloud.com lists that region's buckets only (protocol 3.1)
    host_region = ctx.req.host_region

    def keep(bucket: Bucket) -> bool:
        if region and region != ctx.config.region:
            return False
        if host_region and host_region != ctx.config.region:
            return False
        if "tagkey" in query:
            return False  # coslocal keeps no bucket tags, so no bucket carries the tag asked for
        if created is not None and compare is not None:
            return compare(bucket.created, float(created))
        return True

    return keep


def list_buckets(ctx: Context) -> Response:
    if ctx.identity.anonymous or (
        not ctx.is_owner and ctx.identity.root_uin == ctx.config.owner_uin
    ):
        # Anonymous callers, and the owner's sub-accounts (which would need a CAM policy;
        # coslocal has none), are refused, as COS does without CAM permission.
        raise access_denied()
    marker = ctx.req.query.get("marker", "")
    max_keys = min(_int_param(ctx, "max-keys", MAX_KEYS), MAX_KEYS)
    keep = _matches(ctx)
    # Another root account owns no bucket here: it sees an empty list.
    mine = ctx.store.list_buckets() if ctx.is_owner else []
    found = [b for b in mine if b.name > marker and keep(b)]
    page, truncated = found[:max_keys], len(found) > max_keys
    buckets: list[Node] = [
        (
            "Bucket",
            [
                ("Name", b.name),
                ("Location", ctx.config.region),
                ("CreationDate", iso_seconds(b.created)),
                ("BucketType", "cos"),
            ],
        )
        for b in page
    ]
    tail: list[Node] = [("Marker", marker), ("IsTruncated", truncated)]
    if truncated and page:
        tail.append(("NextMarker", page[-1].name))
    body = document(
        "ListAllMyBucketsResult", [("Owner", ctx.owner_display()), ("Buckets", buckets), *tail]
    )
    return xml_response(body)
