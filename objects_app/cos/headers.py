"""SDK keyword -> header/query mapping (``qcloud_cos.cos_comm.maplist``) and argument checks."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .config import CosSettings, format_bucket, format_endpoint, quote_key_path
from .errors import CosClientError

MAPLIST = {
    "ContentLength": "Content-Length",
    "ContentMD5": "Content-MD5",
    "ContentType": "Content-Type",
    "CacheControl": "Cache-Control",
    "ContentDisposition": "Content-Disposition",
    "ContentEncoding": "Content-Encoding",
    "ContentLanguage": "Content-Language",
    "Expires": "Expires",
    "ResponseContentType": "response-content-type",
    "ResponseContentLanguage": "response-content-language",
    "ResponseExpires": "response-expires",
    "ResponseCacheControl": "response-cache-control",
    "ResponseContentDisposition": "response-content-disposition",
    "ResponseContentEncoding": "response-content-encoding",
    "Metadata": "Metadata",
    "ACL": "x-cos-acl",
    "Tagging": "x-cos-tagging",
    "GrantFullControl": "x-cos-grant-full-control",
    "GrantWrite": "x-cos-grant-write",
    "GrantRead": "x-cos-grant-read",
    "StorageClass": "x-cos-storage-class",
    "Range": "Range",
    "IfMatch": "If-Match",
    "IfNoneMatch": "If-None-Match",
    "IfModifiedSince": "If-Modified-Since",
    "IfUnmodifiedSince": "If-Unmodified-Since",
    "CopySourceIfMatch": "x-cos-copy-source-If-Match",
    "CopySourceIfNoneMatch": "x-cos-copy-source-If-None-Match",
    "CopySourceIfModifiedSince": "x-cos-copy-source-If-Modified-Since",
    "CopySourceIfUnmodifiedSince": "x-cos-copy-source-If-Unmodified-Since",
    "VersionId": "versionId",
    "ServerSideEncryption": "x-cos-server-side-encryption",
    "SSEKMSKeyId": "x-cos-server-side-encryption-cos-kms-key-id",
    "SSEKMSContext": "x-cos-server-side-encryption-context",
    "SSECustomerAlgorithm": "x-cos-server-side-encryption-customer-algorithm",
    "SSECustomerKey": "x-cos-server-side-encryption-customer-key",
    "SSECustomerKeyMD5": "x-cos-server-side-encryption-customer-key-MD5",
    "CopySourceSSECustomerAlgorithm": "x-cos-copy-source-server-side-encryption-customer-algorithm",
    "CopySourceSSECustomerKey": "x-cos-copy-source-server-side-encryption-customer-key",
    "CopySourceSSECustomerKeyMD5": "x-cos-copy-source-server-side-encryption-customer-key-MD5",
    "Referer": "Referer",
    "PicOperations": "Pic-Operations",
    "TrafficLimit": "x-cos-traffic-limit",
    "Accept": "Accept",
    "AcceptEncoding": "Accept-Encoding",
    "Callback": "x-cos-callback",
    "CallbackVar": "x-cos-callback-var",
}

EMPTY: Mapping[str, Any] = MappingProxyType({})  # the SDK's ``={}`` defaults, immutable
MAX_PART_NUMBER = 10000
MAX_DELETE_KEYS = 1000


def mapped(kwargs: Mapping[str, Any]) -> dict[str, str]:
    """Turn SDK keywords into headers; ``Metadata`` is merged verbatim, unknown names raise."""
    headers: dict[str, str] = {}
    for name, value in kwargs.items():
        if name not in MAPLIST:
            raise CosClientError(f"No Parameter Named {name} Please Check It")
        if name == "Metadata":
            headers.update({str(k): str(v) for k, v in dict(value).items()})
        elif value is not None:
            headers[MAPLIST[name]] = str(value)
    return headers


def pop_query(headers: dict[str, str], *, response_params: bool = False) -> dict[str, str]:
    """Move ``versionId`` (and ``response-*`` overrides) from headers to query parameters."""
    params: dict[str, str] = {}
    for name in list(headers):
        if name == "versionId" or (response_params and name.startswith("response-")):
            params[name] = headers.pop(name)
    return params


def check_key(key: Any) -> str:
    """Object keys must be non-empty strings (raised before any request is sent)."""
    if not isinstance(key, str) or not key or key == "/":
        raise CosClientError("Key is required not empty")
    return key


def check_simplified_key(key: str) -> None:
    """Refuse keys that reduce to ``/`` under POSIX rules: GET would become GET Bucket."""
    stack: list[str] = []
    for token in key.split("/"):
        if token == "..":
            if stack:
                stack.pop()
        elif token and token != ".":
            stack.append(token)
    if not stack:
        raise CosClientError("GetObject Key is invalid")


def check_part_number(number: Any) -> int:
    try:
        value = int(number)
    except (TypeError, ValueError) as exc:
        raise CosClientError(f"PartNumber must be an integer, got {number!r}") from exc
    if not 1 <= value <= MAX_PART_NUMBER:
        raise CosClientError(f"PartNumber must be between 1 and {MAX_PART_NUMBER}, got {value}")
    return value


def check_upload_id(upload_id: Any) -> str:
    if not isinstance(upload_id, str) or not upload_id:
        raise CosClientError("UploadId is required not empty")
    return upload_id


def copy_source_header(
    conf_old_domain: bool, conf_internal: bool, source: Mapping[str, Any]
) -> str:
    """``x-cos-copy-source``: ``<bucket>.<endpoint>/<encoded key>[?versionId=]``."""
    if "Bucket" not in source:
        raise CosClientError("CopySource Need Parameter Bucket")
    if not source.get("Key"):
        raise CosClientError("CopySource Need Parameter Key")
    bucket = format_bucket(source["Bucket"], source.get("Appid"))
    endpoint = format_endpoint(
        source.get("Endpoint"), source.get("Region"), conf_old_domain, conf_internal
    )
    path = quote_key_path(str(source["Key"])).replace(".%2F", "./")
    version = source.get("VersionId")
    suffix = f"?versionId={version}" if version else ""
    return f"{bucket}.{endpoint}/{path}{suffix}"


def copy_source(settings: CosSettings, source: Mapping[str, Any]) -> str:
    """The copy-source header; a source without Region/Endpoint is in the client's region."""
    if not source.get("Region") and not source.get("Endpoint"):
        source = {**source, "Endpoint": settings.endpoint, "Region": settings.region}
    return copy_source_header(settings.enable_old_domain, settings.enable_internal_domain, source)
