"""Bucket operations: create/head/delete, versioning, location, object and version listings."""

from __future__ import annotations

import functools
import re
import time
from typing import Any
from urllib.parse import quote

from coslocal import acl, listing
from coslocal.errors import CosError, access_denied, invalid_argument, malformed_xml
from coslocal.handlers.context import Context
from coslocal.http import Response, empty_response, xml_response
from coslocal.restore import listing_restore_status
from coslocal.xmlout import DECL, Node, child_text, document, leaf, parse, raw_node, render

_BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
MAX_HOST = 60


def iso_millis(ts: float) -> str:
    return _iso_second(int(ts // 1)) + f".{int(ts * 1000) % 1000:03d}Z"


@functools.lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    # A listing page's entries share few seconds; strftime per entry was a tenth of its cost.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def create_bucket(ctx: Context) -> Response:
    if not ctx.is_owner:  # every bucket here belongs to the owner's account
        raise access_denied()
    name = ctx.bucket
    base, _, appid = name.rpartition("-")
    if appid != ctx.config.appid:
        raise CosError(403, "AccessDenied", f"The bucket must end with -{ctx.config.appid}.")
    if not _BUCKET_NAME.match(base):
        raise CosError(400, "InvalidBucketName", "The specified bucket is not valid.")
    if len(f"{name}.cos.{ctx.config.region}.myqcloud.com") > MAX_HOST:
        raise CosError(400, "BucketNameTooLong", "The specified bucket name is too long.")
    if ctx.req.read_body():
        pass  # a CreateBucketConfiguration body (MAZ etc.) is accepted and ignored
    policy = acl.from_headers(ctx.req.headers, bucket=True, default="private")
    ctx.store.create_bucket(name, policy or {"canned": "private", "grants": []})
    return empty_response().header("Location", f"/{name}")


def _region_headers(ctx: Context) -> list[tuple[str, str]]:
    return [("x-cos-bucket-region", ctx.config.region)]


def head_bucket(ctx: Context) -> Response:
    ctx.store.get_bucket(ctx.bucket)
    resp = empty_response()
    resp.headers += _region_headers(ctx)
    return resp


def delete_bucket(ctx: Context) -> Response:
    ctx.store.delete_bucket(ctx.bucket)
    return empty_response(204)


def get_location(ctx: Context) -> Response:
    ctx.store.get_bucket(ctx.bucket)
    return xml_response((DECL + render(("LocationConstraint", ctx.config.region))).encode())


def put_versioning(ctx: Context) -> Response:
    root = parse(ctx.req.read_body())
    status = child_text(root, "Status") if root.tag == "VersioningConfiguration" else None
    if status not in ("Enabled", "Suspended"):
        raise malformed_xml("Status must be Enabled or Suspended.")
    ctx.store.set_versioning(ctx.bucket, status)
    return empty_response()


def get_versioning(ctx: Context) -> Response:
    status = ctx.store.get_bucket(ctx.bucket).versioning
    children: list[Node] = [("Status", status)] if status else []
    return xml_response(document("VersioningConfiguration", children))


# ---- listings -------------------------------------------------------------------------------


def _max_keys(ctx: Context, name: str) -> int:
    raw = ctx.req.query.get(name, "")
    if raw == "":
        return 1000
    if not raw.isdigit():
        raise invalid_argument(f"{name} must be an integer between 0 and 1000.")
    return min(int(raw), 1000)


def _encoder(ctx: Context) -> tuple[Any, list[Node]]:
    etype = ctx.req.query.get("encoding-type", "")
    if etype == "":
        return (lambda s: s), []
    if etype != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request")
    return (lambda s: quote(s, safe="/")), [("EncodingType", "url")]


def _delimiter(ctx: Context) -> str:
    delimiter = ctx.req.query.get("delimiter", "")
    if len(delimiter) > 1:
        raise CosError(400, "InvalidDelimiter", "The delimiter must be one character.")
    return delimiter


def _owner(ctx: Context) -> Node:
    return ("Owner", [("ID", ctx.config.appid), ("DisplayName", ctx.config.appid)])


def _class_extras(ctx: Context, row: Any) -> list[Node]:
    extras: list[Node] = []
    if row["storage_class"] == "INTELLIGENT_TIERING":
        extras.append(("StorageTier", "FREQUENT"))
    status = listing_restore_status(ctx.config, row["storage_class"], row["restore"])
    if status:
        extras.append(("RestoreStatus", status))
    return extras


def list_objects(ctx: Context) -> Response:
    q = ctx.req.query
    prefix, marker, delimiter = q.get("prefix", ""), q.get("marker", ""), _delimiter(ctx)
    enc, enc_node = _encoder(ctx)
    max_keys = _max_keys(ctx, "max-keys")
    ctx.store.get_bucket(ctx.bucket)
    with ctx.store.db.read() as conn:
        page = listing.list_objects(conn, ctx.bucket, prefix, delimiter, marker, max_keys)
    children: list[Node] = [
        ("Name", ctx.bucket),
        *enc_node,
        ("Prefix", enc(prefix)),
        ("Marker", enc(marker)),
        ("MaxKeys", max_keys),
    ]
    if delimiter:
        children.append(("Delimiter", enc(delimiter)))
    children.append(("IsTruncated", page.truncated))
    if page.truncated and page.last is not None:
        kind, val = page.last
        children.append(("NextMarker", enc(val if kind == "prefix" else val["key"])))
    children += [("CommonPrefixes", [("Prefix", enc(p))]) for p in page.prefixes]
    owner = render(_owner(ctx))  # entries rendered straight to text, as in list_versions
    for row in page.items:
        entry = (
            leaf("Key", enc(row["key"])) + leaf("LastModified", iso_millis(row["mtime"]))
            + leaf("ETag", row["etag"]) + leaf("Size", row["size"]) + owner
            + leaf("StorageClass", row["storage_class"])
            + "".join(render(node) for node in _class_extras(ctx, row))
        )  # fmt: skip
        children.append(raw_node("Contents", entry))
    return _listing_response(ctx, document("ListBucketResult", children))


def _listing_response(ctx: Context, body: bytes) -> Response:
    resp = xml_response(body)
    resp.headers += _region_headers(ctx)
    return resp


def list_versions(ctx: Context) -> Response:
    q = ctx.req.query
    prefix, delimiter = q.get("prefix", ""), _delimiter(ctx)
    key_marker, vid_marker = q.get("key-marker", ""), q.get("version-id-marker", "")
    enc, enc_node = _encoder(ctx)
    max_keys = _max_keys(ctx, "max-keys")
    # Protocol 3.3: VersionId is "" while versioning was never enabled, "null" once it was.
    never_versioned = ctx.store.get_bucket(ctx.bucket).versioning == ""

    def vid(value: str) -> str:
        return "" if never_versioned and value == "null" else value

    with ctx.store.db.read() as conn:
        page = listing.list_versions(
            conn, ctx.bucket, prefix, delimiter, key_marker, vid_marker, max_keys
        )
    children: list[Node] = [
        *enc_node,
        ("Name", ctx.bucket),
        ("Prefix", enc(prefix)),
        ("KeyMarker", enc(key_marker)),
        ("VersionIdMarker", vid_marker),
        ("MaxKeys", max_keys),
        ("IsTruncated", page.truncated),
    ]
    if page.truncated and page.last is not None:
        kind, val = page.last
        if kind == "prefix":
            children += [("NextKeyMarker", enc(val)), ("NextVersionIdMarker", "")]
        else:
            children += [
                ("NextKeyMarker", enc(val["key"])),
                ("NextVersionIdMarker", vid(val["version_id"])),
            ]
    if delimiter:
        children.append(("Delimiter", enc(delimiter)))
    children += [("CommonPrefixes", [("Prefix", enc(p))]) for p in page.prefixes]
    # Entries are rendered straight to text: a node tree per entry cost most of a listing.
    owner = render(_owner(ctx))
    for row in page.items:
        common = (
            leaf("Key", enc(row["key"])) + leaf("VersionId", vid(row["version_id"]))
            + leaf("IsLatest", bool(row["is_latest"]))
            + leaf("LastModified", iso_millis(row["mtime"]))
        )  # fmt: skip
        if row["is_dm"]:
            children.append(raw_node("DeleteMarker", common + owner))
            continue
        extras = "".join(render(node) for node in _class_extras(ctx, row))
        details = (
            leaf("ETag", row["etag"]) + leaf("Size", row["size"])
            + leaf("StorageClass", row["storage_class"])
        )  # fmt: skip
        children.append(raw_node("Version", common + details + extras + owner))
    return _listing_response(ctx, document("ListVersionsResult", children))
