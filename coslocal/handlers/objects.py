"""Object operations: PUT, GET, HEAD, DELETE, PUT Copy and DELETE Multiple."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote

from coslocal import acl, sse, traffic
from coslocal.config import Config
from coslocal.errors import CosError, invalid_request, malformed_xml, no_such_bucket
from coslocal.handlers.common import (
    check_conditions,
    check_key,
    object_headers,
    parse_range,
    precondition_failed,
    receive_body,
    require_readable,
    storage_class,
    stored_headers,
    version_param,
)
from coslocal.handlers.context import Context
from coslocal.http import ANY_REGION, Response, classify_host, empty_response, xml_response
from coslocal.store import NewObject, ObjectVersion
from coslocal.store.blobs import CHUNK, BlobDir, BlobWriter
from coslocal.xmlout import Node, child_text, document, parse

MAX_COPY = 5 * 1024**3
MAX_DELETE = 1000
GET_ATTEMPTS = 5


def put_object(ctx: Context) -> Response:
    ctx.store.get_bucket(ctx.bucket)  # fail before streaming a body into a missing bucket
    headers = ctx.req.headers
    meta, klass = stored_headers(headers, ctx.key), storage_class(headers)
    policy = acl.from_headers(headers, bucket=False, default="default") or {"canned": "default"}
    encryption = sse.from_request(headers)
    writer = receive_body(ctx)
    new = NewObject(
        writer.size,
        f'"{writer.md5.hexdigest()}"',
        writer.crc64,
        [[writer.blob_id, writer.size]] if writer.size else [],
        meta,
        klass,
        policy,
        time.time(),
        encryption,
    )
    if not writer.size:
        ctx.store.blob_dir.unlink([writer.blob_id])  # empty objects need no file
    obj = _commit(ctx, new, writer.blob_id)
    resp = empty_response().header("ETag", obj.etag)
    resp.header("x-cos-hash-crc64ecma", obj.crc64 or "0")
    if obj.version_id != "null":
        resp.header("x-cos-version-id", obj.version_id)
    resp.headers += sse.response_headers(obj.sse)
    return resp


def _commit(ctx: Context, new: NewObject, blob_id: str) -> ObjectVersion:
    """Insert the version row; if that fails the fresh blob is removed at once (not at restart)."""
    try:
        return ctx.store.put_object(ctx.bucket, ctx.key, new)
    except BaseException:
        ctx.store.blob_dir.unlink([blob_id])
        raise


def _lookup(ctx: Context, action: str) -> ObjectVersion:
    try:
        obj = ctx.store.get_object(ctx.bucket, ctx.key, version_param(ctx))
    except CosError as err:
        # A caller other than the owner may learn that a key is missing only if it may list the
        # bucket (as S3 does); otherwise the answer is 403, so keys cannot be probed.
        if not ctx.is_owner and err.status == 404 and err.code != "NoSuchBucket":
            ctx.require_bucket_read()
        raise
    ctx.authorize_object(obj, (action,), "READ")
    sse.require_key(obj.sse, ctx.req.headers)
    return obj


def head_object(ctx: Context) -> Response:
    obj = _lookup(ctx, "HeadObject")
    status = check_conditions(ctx.req.headers, obj)
    if status == 412:
        raise precondition_failed()
    return Response(status or 200, [*object_headers(obj), ("Content-Length", str(obj.size))])


OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def _apply_overrides(ctx: Context, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    overrides = {OVERRIDES[k]: v for k, v in ctx.req.query.items() if k in OVERRIDES}
    if not overrides:
        return headers
    if ctx.identity.anonymous:  # COS honours response-* only on signed requests
        raise invalid_request(
            "Request specific response headers cannot be used for anonymous GET requests."
        )
    kept = [(k, v) for k, v in headers if k not in overrides]
    return kept + list(overrides.items())


def get_object(ctx: Context) -> Response:
    for _ in range(GET_ATTEMPTS - 1):
        try:
            return _get_object(ctx)
        except FileNotFoundError:
            # An overwrite committed and unlinked the old blob between our row read and open():
            # the newer row is there now, so reading again serves it.
            continue
    return _get_object(ctx)


def _get_object(ctx: Context) -> Response:
    cap = traffic.requested(ctx.req)
    obj = _lookup(ctx, "GetObject")
    require_readable(obj)
    status = check_conditions(ctx.req.headers, obj)
    if status == 412:
        raise precondition_failed()
    headers = _apply_overrides(ctx, object_headers(obj))
    if status == 304:
        # RFC 9110 allows Content-Length on a 304 only with the 200's value; the SDK needs one.
        return Response(304, [*headers, ("Content-Length", str(obj.size))])
    rng = parse_range(ctx.req.headers.get("range"), obj.size)
    start, end = rng if rng else (0, obj.size - 1)
    length = end - start + 1 if obj.size else 0
    headers.append(("Content-Length", str(length)))
    if rng:
        headers.append(("Content-Range", f"bytes {start}-{end}/{obj.size}"))
    if cap is not None and length:
        body: Any = traffic.paced(iter_range(ctx.store.blob_dir, obj, start, length), cap)
    else:
        body = open_body(ctx.store.blob_dir, obj, start, length, ctx.req.environ)
    return Response(206 if rng else 200, headers, body)


def open_body(blob_dir: BlobDir, obj: ObjectVersion, start: int, length: int, environ: Any) -> Any:
    """A single file segment goes out by sendfile; multipart objects are streamed in chunks."""
    if length == 0:
        return b""
    if len(obj.blobs) == 1:
        f = open(blob_dir.path(obj.blobs[0][0]), "rb")  # noqa: SIM115 - closed by the server
        f.seek(start)
        return environ["wsgi.file_wrapper"](f, CHUNK)
    # open every segment now: a concurrent overwrite may unlink them, open fds stay readable
    files = [(open(blob_dir.path(b), "rb"), size) for b, size in obj.blobs]  # noqa: SIM115
    return _ClosingIter(_segments(files, start, length), [f for f, _ in files])


def iter_range(blob_dir: BlobDir, obj: ObjectVersion, start: int, length: int) -> Iterator[bytes]:
    files = [(open(blob_dir.path(b), "rb"), size) for b, size in obj.blobs]  # noqa: SIM115
    try:
        yield from _segments(files, start, length)
    finally:
        for f, _ in files:
            f.close()


def _segments(files: list[tuple[Any, int]], start: int, length: int) -> Iterator[bytes]:
    offset = 0
    for f, size in files:
        if length <= 0:
            break
        if start >= offset + size:
            offset += size
            continue
        f.seek(max(0, start - offset))
        take = min(length, offset + size - max(start, offset))
        while take > 0:
            data = f.read(min(CHUNK, take))
            if not data:
                raise OSError("blob shorter than recorded")
            take -= len(data)
            length -= len(data)
            yield data
        offset += size


class _ClosingIter:
    def __init__(self, it: Iterator[bytes], files: list[Any]) -> None:
        self._it, self._files = it, files

    def __iter__(self) -> Iterator[bytes]:
        return self._it

    def close(self) -> None:
        for f in self._files:
            f.close()


def delete_object(ctx: Context) -> Response:
    result = ctx.store.delete_object(ctx.bucket, ctx.key, version_param(ctx))
    resp = empty_response(204)
    if result.version_id and result.version_id != "null" or version_param(ctx):
        resp.header("x-cos-version-id", result.version_id or "")
    if result.delete_marker:
        resp.header("x-cos-delete-marker", "true")
    return resp


# ---- copy -----------------------------------------------------------------------------------


def parse_copy_source(value: str, config: Config) -> tuple[str, str, str | None]:
    """'<bucket>.cos.<region>.myqcloud.com/<url-encoded key>[?versionId=]' -> parts."""
    src = value.strip()
    if "://" in src:
        src = src.split("://", 1)[1]
    host, sep, rest = src.partition("/")
    kind, bucket, region = classify_host(host)
    if not sep or kind != "bucket" or bucket is None:
        raise CosError(400, "InvalidArgument", "The x-cos-copy-source header is invalid.")
    if region not in (config.region, ANY_REGION):
        raise no_such_bucket()  # a source bucket in another region: not one coslocal serves
    path, _, query = rest.partition("?")
    key = unquote(path)
    version = parse_qs(query).get("versionId", [None])[0]
    if not key:
        raise CosError(400, "InvalidArgument", "The x-cos-copy-source header names no key.")
    return bucket, key, version or None


def copy_source(ctx: Context) -> ObjectVersion:
    bucket, key, version = parse_copy_source(ctx.req.headers["x-cos-copy-source"], ctx.config)
    # The current version being a delete marker is a 404; naming one by versionId is a 400.
    obj = ctx.store.get_object(bucket, key, version, allow_dm=version is not None)
    if obj.is_dm:
        raise invalid_request(
            "The source of a copy request may not specifically refer to a delete marker by "
            "version id."
        )
    ctx.require_object_read(obj)  # a copy needs read permission on its source as well
    sse.require_key(obj.sse, ctx.req.headers, sse.COPY_SOURCE)
    require_readable(obj)
    if check_conditions(ctx.req.headers, obj, prefix="x-cos-copy-source-") is not None:
        raise precondition_failed()
    return obj


def copy_object(ctx: Context) -> Response:
    src = copy_source(ctx)
    headers = ctx.req.headers
    directive = headers.get("x-cos-metadata-directive", "Copy")
    if directive not in ("Copy", "Replaced"):
        raise CosError(400, "InvalidArgument", "x-cos-metadata-directive must be Copy or Replaced.")
    if _copies_itself(ctx, src) and directive != "Replaced":
        raise invalid_request(
            "This copy request is illegal because it is trying to copy an "
            "object to itself without changing its metadata (use Replaced)."
        )
    if src.size > MAX_COPY:
        raise CosError(
            405,
            "MethodNotAllowed",
            "The source object size is too large (more than "
            "5GB) to copy. Please use UploadPart-Copy API.",
        )
    meta = stored_headers(headers, ctx.key) if directive == "Replaced" else dict(src.headers)
    policy = acl.from_headers(headers, bucket=False, default="default") or src.acl
    encryption = sse.from_request(headers)  # never inherited from the source (protocol 3.7)
    new = NewObject(src.size, src.etag, src.crc64, src.blobs, meta, storage_class(headers),
                    policy, time.time(), encryption)  # fmt: skip
    obj = _commit_copy(ctx, src, new)
    children: list[Node] = [
        ("ETag", obj.etag),
        ("CRC64", obj.crc64 or "0"),
        ("LastModified", _iso(obj.mtime)),
    ]
    if obj.version_id != "null":
        children.append(("VersionId", obj.version_id))
    resp = xml_response(document("CopyObjectResult", children))
    if src.version_id != "null":
        resp.header("x-cos-copy-source-version-id", src.version_id)
    if obj.version_id != "null":
        resp.header("x-cos-version-id", obj.version_id)
    resp.header("x-cos-hash-crc64ecma", obj.crc64 or "0")
    resp.headers += sse.response_headers(obj.sse)
    return resp


def _commit_copy(ctx: Context, src: ObjectVersion, new: NewObject) -> ObjectVersion:
    """The copy shares the source's blob files (immutable, reference-counted): no bytes move,
    whatever the size. A source without a stored CRC (rows of old data directories) is copied
    byte by byte, which computes one."""
    if src.crc64 is not None:
        return ctx.store.copy_version(ctx.bucket, ctx.key, src, new)
    writer = copy_blob(ctx, src, 0, src.size)
    new.crc64, new.blobs = writer.crc64, [[writer.blob_id, writer.size]] if writer.size else []
    if not writer.size:
        ctx.store.blob_dir.unlink([writer.blob_id])
    return _commit(ctx, new, writer.blob_id)


def _copies_itself(ctx: Context, src: ObjectVersion) -> bool:
    """A copy onto its own key without new metadata is refused, unless the source names a
    version: copying `key?versionId=V` onto `key` is how S3 and COS make an old version current."""
    if (src.bucket, src.key) != (ctx.bucket, ctx.key):
        return False
    _, _, version = parse_copy_source(ctx.req.headers["x-cos-copy-source"], ctx.config)
    return version is None


def copy_blob(ctx: Context, src: ObjectVersion, start: int, length: int) -> BlobWriter:
    """Copy bytes into a fresh blob (a part copy: a range of the source, owned by the part)."""
    writer = ctx.store.blob_dir.writer()
    try:
        for chunk in iter_range(ctx.store.blob_dir, src, start, length):
            writer.write(chunk)
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    return writer


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


# ---- delete multiple ------------------------------------------------------------------------


def delete_multiple(ctx: Context) -> Response:
    ctx.store.get_bucket(ctx.bucket)
    body = ctx.req.read_body()
    md5 = ctx.req.headers.get("content-md5")
    if md5 is None:
        raise invalid_request("Missing required header for this request: Content-MD5")
    if base64.b64encode(hashlib.md5(body).digest()).decode() != md5.strip():
        raise CosError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
    root = parse(body)
    if root.tag != "Delete":
        raise malformed_xml()
    quiet = (child_text(root, "Quiet") or "false").lower() == "true"
    objects = root.findall("Object")
    if len(objects) > MAX_DELETE:
        raise malformed_xml("delete key size is greater than 1000")
    # Raw text, never stripped: "a " and "a" are different keys.
    requested = [(o.findtext("Key") or "", o.findtext("VersionId") or None) for o in objects]
    errors = {k: _key_error(k) or _delete_refused(ctx, k) for k, _ in requested}
    valid = [(k, v) for k, v in requested if errors[k] is None]
    outcomes = iter(ctx.store.delete_objects(ctx.bucket, valid) if valid else [])
    children: list[Node] = []
    for key, version in requested:
        fields: list[Node] = [("Key", key)] + ([("VersionId", version)] if version else [])
        err = errors[key]
        if err is not None:
            children.append(("Error", [*fields, ("Code", err.code), ("Message", err.message)]))
            continue
        result = next(outcomes)
        if quiet:
            continue
        if result.delete_marker:
            fields += [("DeleteMarker", True), ("DeleteMarkerVersionId", result.version_id or "")]
        children.append(("Deleted", fields))
    return xml_response(document("DeleteResult", children))


def _delete_refused(ctx: Context, key: str) -> CosError | None:
    """Each key of a Delete Multiple is judged like a DELETE of that key."""
    actions = ("DeleteMultipleObjects", "DeleteObject")
    if ctx.may_bucket(actions, "WRITE", key):
        return None
    return CosError(403, "AccessDenied", "Access Denied.")


def _key_error(key: str) -> CosError | None:
    if not key:
        return CosError(400, "InvalidArgument", "The key is empty.")
    try:
        check_key(key)
    except CosError as err:
        return err
    return None
