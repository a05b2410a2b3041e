"""Multipart uploads: initiate, upload part (and part copy), list, complete, abort."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

from coslocal import acl, sse
from coslocal.errors import CosError, invalid_argument, malformed_xml
from coslocal.handlers.buckets import iso_millis
from coslocal.handlers.common import receive_body, storage_class, stored_headers
from coslocal.handlers.context import Context
from coslocal.handlers.objects import copy_blob, copy_source
from coslocal.http import Response, empty_response, xml_response
from coslocal.store import Part, Upload
from coslocal.store.multipart import MAX_PARTS
from coslocal.xmlout import Node, child_text, document, parse

MAX_PART = 5 * 1024**3
_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


def _encoder(ctx: Context) -> Any:
    if ctx.req.query.get("encoding-type", "") == "url":
        return lambda s: quote(s, safe="/")
    return lambda s: s


def initiate_upload(ctx: Context) -> Response:
    headers = ctx.req.headers
    policy = acl.from_headers(headers, bucket=False, default="default") or {"canned": "default"}
    upload = ctx.store.create_upload(
        ctx.bucket,
        ctx.key,
        stored_headers(headers, ctx.key),
        storage_class(headers),
        policy,
        sse.from_request(headers),
    )
    resp = xml_response(
        document(
            "InitiateMultipartUploadResult",
            [("Bucket", ctx.bucket), ("Key", ctx.key), ("UploadId", upload.upload_id)],
        )
    )
    resp.headers += sse.response_headers(upload.sse)
    return resp


def _part_number(ctx: Context) -> int:
    raw = ctx.req.query.get("partNumber", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTS:
        raise invalid_argument("Part number must be an integer between 1 and 10000.")
    return int(raw)


def _upload(ctx: Context) -> Upload:
    return ctx.store.get_upload(ctx.bucket, ctx.key, ctx.req.query.get("uploadId", ""))


def upload_part(ctx: Context) -> Response:
    number, upload = _part_number(ctx), _upload(ctx)
    sse.require_key(upload.sse, ctx.req.headers)  # each part of an SSE-C upload brings the key
    writer = receive_body(ctx, MAX_PART)
    etag = f'"{writer.md5.hexdigest()}"'
    part = Part(number, writer.size, etag, writer.crc64, writer.blob_id, time.time())
    try:
        ctx.store.put_part(upload, part)
    except BaseException:
        ctx.store.blob_dir.unlink([writer.blob_id])
        raise
    resp = empty_response().header("ETag", etag).header("x-cos-hash-crc64ecma", writer.crc64)
    resp.headers += sse.response_headers(upload.sse)
    return resp


def upload_part_copy(ctx: Context) -> Response:
    number, upload = _part_number(ctx), _upload(ctx)
    src = copy_source(ctx)
    start, length = _copy_range(ctx.req.headers.get("x-cos-copy-source-range", ""), src.size)
    writer = copy_blob(ctx, src, start, length)
    blob_id, crc = writer.blob_id, writer.crc64
    part = Part(number, length, f'"{writer.md5.hexdigest()}"', crc, blob_id, time.time())
    try:
        ctx.store.put_part(upload, part)
    except BaseException:
        ctx.store.blob_dir.unlink([blob_id])
        raise
    resp = xml_response(
        document(
            "CopyPartResult",
            [("ETag", part.etag), ("LastModified", iso_millis(part.mtime)), ("CRC64", crc)],
        )
    )
    if src.version_id != "null":
        resp.header("x-cos-copy-source-version-id", src.version_id)
    resp.headers += sse.response_headers(upload.sse)
    return resp.header("x-cos-hash-crc64ecma", crc)


def _copy_range(value: str, size: int) -> tuple[int, int]:
    if not value.strip():
        return 0, size  # the SDK sends an empty header for "whole object"
    m = _RANGE.match(value.strip())
    if not m:
        raise invalid_argument("x-cos-copy-source-range must be bytes=first-last.")
    first, last = int(m.group(1)), int(m.group(2))
    if first > last or last >= size:
        raise CosError(416, "InvalidRange", "The requested range is not satisfiable.")
    if last - first + 1 > MAX_PART:
        raise CosError(400, "EntityTooLarge", "A copied part may be at most 5 GB.")
    return first, last - first + 1


def list_parts(ctx: Context) -> Response:
    upload = _upload(ctx)
    enc = _encoder(ctx)
    marker_raw = ctx.req.query.get("part-number-marker", "") or "0"
    max_raw = ctx.req.query.get("max-parts", "") or "1000"
    if not marker_raw.isdigit() or not max_raw.isdigit():
        raise invalid_argument("part-number-marker and max-parts must be integers.")
    limit = min(int(max_raw), 1000)
    parts = ctx.store.list_parts(upload, int(marker_raw), limit + 1)
    truncated = len(parts) > limit
    parts = parts[:limit]
    owner = [("ID", ctx.config.owner_id), ("DisplayName", ctx.config.owner_uin)]
    children: list[Node] = [
        ("Bucket", ctx.bucket),
        ("Encoding-type", ctx.req.query.get("encoding-type", "")),
        ("Key", enc(upload.key)),
        ("UploadId", upload.upload_id),
        ("Initiator", owner),
        ("Owner", owner),
        ("StorageClass", upload.storage_class),
        ("PartNumberMarker", int(marker_raw)),
        ("NextPartNumberMarker", parts[-1].part_number if parts else int(marker_raw)),
        ("MaxParts", limit),
        ("IsTruncated", truncated),
    ]
    children += [
        (
            "Part",
            [
                ("PartNumber", p.part_number),
                ("LastModified", iso_millis(p.mtime)),
                ("ETag", p.etag),
                ("Size", p.size),
            ],
        )
        for p in parts
    ]
    return xml_response(document("ListPartsResult", children))


def list_uploads(ctx: Context) -> Response:
    ctx.store.get_bucket(ctx.bucket)
    q = ctx.req.query
    enc = _encoder(ctx)
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    key_marker, id_marker = q.get("key-marker", ""), q.get("upload-id-marker", "")
    max_raw = q.get("max-uploads", "") or "1000"
    if not max_raw.isdigit():
        raise invalid_argument("max-uploads must be an integer.")
    limit = max(1, min(int(max_raw), 1000))
    entries, truncated = ctx.store.scan_uploads(
        ctx.bucket, prefix, delimiter, key_marker, id_marker, limit
    )
    owner = [("ID", ctx.config.owner_id), ("DisplayName", ctx.config.owner_uin)]
    children: list[Node] = [
        ("Bucket", ctx.bucket),
        ("Encoding-Type", q.get("encoding-type", "")),
        ("KeyMarker", enc(key_marker)),
        ("UploadIdMarker", id_marker),
    ]
    if truncated and entries:
        last = entries[-1]
        if isinstance(last, str):
            children += [("NextKeyMarker", enc(last)), ("NextUploadIdMarker", "")]
        else:
            children += [("NextKeyMarker", enc(last.key)), ("NextUploadIdMarker", last.upload_id)]
    children += [
        ("Delimiter", enc(delimiter)),
        ("Prefix", enc(prefix)),
        ("MaxUploads", limit),
        ("IsTruncated", truncated),
    ]
    for e in entries:
        if isinstance(e, str):
            children.append(("CommonPrefixes", [("Prefix", enc(e))]))
        else:
            children.append(
                (
                    "Upload",
                    [
                        ("Key", enc(e.key)),
                        ("UploadId", e.upload_id),
                        ("StorageClass", e.storage_class),
                        ("Initiator", owner),
                        ("Owner", owner),
                        ("Initiated", iso_millis(e.initiated)),
                    ],
                )
            )
    return xml_response(document("ListMultipartUploadsResult", children))


def complete_upload(ctx: Context) -> Response:
    upload = _upload(ctx)
    root = parse(ctx.req.read_body())
    if root.tag != "CompleteMultipartUpload":
        raise malformed_xml()
    requested = []
    for part in root.findall("Part"):
        number = child_text(part, "PartNumber") or ""
        if not number.isdigit():
            raise malformed_xml("PartNumber must be an integer.")
        requested.append((int(number), child_text(part, "ETag") or ""))
    obj = ctx.store.complete_upload(ctx.bucket, ctx.key, upload.upload_id, requested)
    host = ctx.req.headers.get("host", "")
    location = f"http://{host}/{quote(obj.key)}"
    resp = xml_response(
        document(
            "CompleteMultipartUploadResult",
            [("Location", location), ("Bucket", ctx.bucket), ("Key", ctx.key), ("ETag", obj.etag)],
        )
    )
    resp.header("x-cos-hash-crc64ecma", obj.crc64 or "0")
    if obj.version_id != "null":
        resp.header("x-cos-version-id", obj.version_id)
    resp.headers += sse.response_headers(obj.sse)
    return resp


def abort_upload(ctx: Context) -> Response:
    ctx.store.abort_upload(ctx.bucket, ctx.key, ctx.req.query.get("uploadId", ""))
    return empty_response(204)
