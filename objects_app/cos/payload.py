"""Request bodies (length, MD5, the 5 GB limit); XML-plus-headers results of Copy/Complete."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import requests

from .config import SINGLE_UPLOAD_LENGTH
from .errors import CosClientError, CosServiceError
from .xml import xml_to_dict


def content_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def body_length(body: Any) -> int | None:
    if isinstance(body, str | bytes | bytearray):
        return len(body.encode("utf-8") if isinstance(body, str) else body)
    if hasattr(body, "fileno") and hasattr(body, "tell"):
        try:
            return int(os.fstat(body.fileno()).st_size - body.tell())
        except (OSError, ValueError):
            return None
    return None


def check_body_size(body: Any) -> None:
    length = body_length(body)
    if length is not None and length > SINGLE_UPLOAD_LENGTH:
        raise CosClientError(
            "The object size you upload can not be larger than 5GB in put_object or upload_part"
        )


def body_md5(body: Any) -> str | None:
    """Content-MD5 of a bytes/str body or a seekable file (position restored)."""
    if isinstance(body, str):
        return content_md5(body.encode("utf-8"))
    if isinstance(body, bytes | bytearray):
        return content_md5(bytes(body))
    if hasattr(body, "read") and hasattr(body, "seek"):
        start = body.tell()
        digest = hashlib.md5()
        for chunk in iter(lambda: body.read(1024 * 1024), b""):
            digest.update(chunk)
        body.seek(start)
        return base64.b64encode(digest.digest()).decode()
    return None


def upload_headers(headers: dict[str, str], body: Any, enable_md5: bool) -> Any:
    """Add Content-MD5 (if asked) and Content-Length to a PUT's headers; return the body to send.

    An empty file is sent as ``b''``: requests would send it chunked, next to Content-Length.
    """
    if enable_md5:
        md5 = body_md5(body)
        if md5:
            headers["Content-MD5"] = md5
    length = body_length(body)
    if length == 0:
        body = b""
    if length is not None:
        headers.setdefault("Content-Length", str(length))
    return body


def merge_body(method: str, resp: requests.Response, key: str) -> dict[str, Any]:
    """Headers merged with the XML body (Copy, Part Copy, Complete); an ETag is required."""
    body = xml_to_dict(resp.content) if resp.content.strip() else {}
    if "ETag" not in body:
        raise CosServiceError(
            method,
            resp.text,
            resp.status_code,
            code="InvalidResponse",
            error_message=f"no ETag in the response body for {key}",
            request_id=resp.headers.get("x-cos-request-id"),
        )
    result: dict[str, Any] = dict(resp.headers)
    result.update(body)
    return result
