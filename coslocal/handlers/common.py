"""Shared object helpers: stored headers, response headers, body upload, conditions, ranges."""

from __future__ import annotations

import base64
import binascii
import hmac
import mimetypes
from typing import Any

from coslocal import restore, sse, traffic
from coslocal.errors import CosError
from coslocal.handlers.context import Context
from coslocal.http import MAX_KEY_BYTES, http_date, parse_http_date
from coslocal.store import ObjectVersion
from coslocal.store.blobs import BlobWriter

MAX_PUT = 5 * 1024**3
STORED = {
    "content-type": "Content-Type",
    "cache-control": "Cache-Control",
    "content-disposition": "Content-Disposition",
    "content-encoding": "Content-Encoding",
    "content-language": "Content-Language",
    "expires": "Expires",
}
STORAGE_CLASSES = {"STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ARCHIVE", "DEEP_ARCHIVE"}
MAX_META_BYTES = 2048


def stored_headers(headers: dict[str, str], key: str) -> dict[str, str]:
    """The headers a PUT/Initiate/Replaced copy keeps with the object.

    Empty values are not kept (COS does not store an empty `Cache-Control:`), and without a
    Content-Type (or with an empty one) the type is derived from the key's extension.
    """
    out = {STORED[k]: v for k, v in headers.items() if k in STORED and v.strip()}
    meta = {k: v for k, v in headers.items() if k.startswith("x-cos-meta-") and v.strip()}
    if sum(len(k) + len(v) for k, v in meta.items()) > MAX_META_BYTES:
        raise CosError(400, "MetadataTooLarge", "Your metadata headers exceed 2 KB.")
    out.update(meta)
    if "x-cos-tagging" in headers:
        out["x-cos-tagging-count"] = str(len([t for t in headers["x-cos-tagging"].split("&") if t]))
    out.setdefault("Content-Type", content_type_for(key))
    return out


_TYPES = mimetypes.MimeTypes()  # Python's built-in table only: the same answer on every machine
# Compressed suffixes are "encodings" to mimetypes, not types; COS gives them types of their own.
_EXTRA_TYPES = {".gz": "application/gzip", ".bz2": "application/x-bzip2", ".xz": "application/x-xz"}


def content_type_for(key: str) -> str:
    """The type COS derives from a key's extension (.zip -> application/zip, .txt -> text/plain);
    application/octet-stream when there is none or it is unknown. The notes give no table;
    Python's standard one agrees on the common types."""
    name = key.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    if dot <= 0:
        return "application/octet-stream"
    ext = name[dot:].lower()
    return _EXTRA_TYPES.get(ext) or _TYPES.types_map[True].get(ext) or "application/octet-stream"


def storage_class(headers: dict[str, str]) -> str:
    value = headers.get("x-cos-storage-class", "STANDARD").upper()
    if value not in STORAGE_CLASSES:
        raise CosError(400, "NotSupportedStorageClass", f"Storage class {value} is not supported.")
    return value


def object_headers(obj: ObjectVersion) -> list[tuple[str, str]]:
    headers = [(k, v) for k, v in obj.headers.items() if k != "x-cos-tagging-count"]
    if "x-cos-tagging-count" in obj.headers:
        headers.append(("x-cos-tagging-count", obj.headers["x-cos-tagging-count"]))
    headers += [
        ("ETag", obj.etag),
        ("Last-Modified", http_date(obj.mtime)),
        ("Accept-Ranges", "bytes"),
    ]
    if obj.crc64 is not None:
        headers.append(("x-cos-hash-crc64ecma", obj.crc64))
    if obj.storage_class != "STANDARD":
        headers.append(("x-cos-storage-class", obj.storage_class))
    if obj.storage_class == "INTELLIGENT_TIERING":
        headers.append(("x-cos-storage-tier", "FREQUENT"))
    if obj.version_id != "null":
        headers.append(("x-cos-version-id", obj.version_id))
    headers += restore.head_headers(obj.storage_class, obj.restore)
    headers += sse.response_headers(obj.sse)
    return headers


def _md5_header(ctx: Context) -> bytes | None:
    value = ctx.req.headers.get("content-md5")
    if value is None:
        return None
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise CosError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
    return digest


def receive_body(ctx: Context, max_size: int = MAX_PUT) -> BlobWriter:
    """Stream the request body into a finished (fsynced) blob; raise on bad size or digest."""
    length = ctx.req.content_length()
    chunked = "chunked" in ctx.req.headers.get("transfer-encoding", "").lower()
    if length is None and not chunked:
        raise CosError(411, "MissingContentLength", "You must provide the Content-Length header.")
    if length is not None and length > max_size:
        raise CosError(400, "EntityTooLarge", "Your proposed upload exceeds the maximum size.")
    expected_md5 = _md5_header(ctx)
    cap = traffic.requested(ctx.req)
    pacer = traffic.Pacer(cap) if cap else None
    writer = ctx.store.blob_dir.writer()
    chunks = ctx.req.read_chunks(length)
    try:
        for chunk in chunks:
            writer.write(chunk)
            if pacer is not None:
                pacer.account(len(chunk))  # x-cos-traffic-limit: read no faster than the cap
            if writer.size > max_size:
                raise CosError(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum size."
                )
        if length is not None and writer.size < length:
            raise CosError(
                400, "IncompleteBody", "The request body is shorter than Content-Length."
            )
        if expected_md5 is not None and not hmac.compare_digest(expected_md5, writer.md5.digest()):
            raise CosError(400, "BadDigest", "The Content-MD5 you specified did not match.")
        writer.finish()
    except BaseException:
        chunks.close()  # lets the reader hand any unread body back to gunicorn for draining
        writer.abort()
        raise
    return writer


def _etag_matches(header: str, etag: str) -> bool:
    bare = etag.strip('"')
    return any(
        t.strip() in ("*", etag, bare) or t.strip().strip('"') == bare for t in header.split(",")
    )


def check_conditions(headers: dict[str, str], obj: ObjectVersion, prefix: str = "") -> int | None:
    """HTTP preconditions: None to proceed, or 304/412. prefix='x-cos-copy-source-' for copies."""
    mtime = int(obj.mtime)
    if_match = headers.get(prefix + "if-match")
    if if_match is not None and not _etag_matches(if_match, obj.etag):
        return 412
    since = headers.get(prefix + "if-unmodified-since")
    if if_match is None and since is not None:
        ts = parse_http_date(since)
        if ts is not None and mtime > ts:
            return 412
    none_match = headers.get(prefix + "if-none-match")
    if none_match is not None and _etag_matches(none_match, obj.etag):
        return 304 if not prefix else 412
    modified = headers.get(prefix + "if-modified-since")
    if none_match is None and modified is not None:
        ts = parse_http_date(modified)
        if ts is not None and mtime <= ts:
            return 304 if not prefix else 412
    return None


def parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """A single 'bytes=a-b' range as (start, end inclusive); None means the whole object."""
    if not value:
        return None
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # unsupported forms are ignored, like an absent header
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                raise _unsatisfiable(size)
            return max(0, size - n), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        raise _unsatisfiable(size)
    return start, min(end, size - 1)


def _unsatisfiable(size: int) -> CosError:
    err = CosError(416, "InvalidRange", "The requested range is not satisfiable.")
    err.headers.append(("Content-Range", f"bytes */{size}"))
    return err


def precondition_failed() -> CosError:
    return CosError(
        412, "PreconditionFailed", "At least one of the preconditions you specified did not hold."
    )


def require_readable(obj: ObjectVersion) -> None:
    if not restore.readable(obj.storage_class, obj.restore):
        raise CosError(
            403, "InvalidObjectState", "The operation is not valid for the object's storage class."
        )


def version_param(ctx: Context) -> str | None:
    vid: Any = ctx.req.query.get("versionId")
    return vid if vid else None


def check_key(key: str) -> None:
    """COS's key rules (protocol 2.3): 1-850 UTF-8 bytes, no leading / or \\, no CAN/EM/SUB/ESC."""
    encoded = key.encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_KEY_BYTES:
        raise CosError(400, "KeyTooLong", "Your key is too long.")
    if key.startswith(("/", "\\")):
        raise CosError(400, "InvalidObjectName", "The object key may not start with / or \\.")
    if any(c in key for c in "\x18\x19\x1a\x1b"):
        raise CosError(400, "InvalidObjectName", "The object key contains invalid characters.")
