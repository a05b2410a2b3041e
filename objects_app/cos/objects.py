"""Single-object operations: put/get/head/copy/delete, ACLs, restore, listings."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from .body import StreamBody
from .config import SINGLE_UPLOAD_LENGTH, format_bucket, format_endpoint, quote_key_path
from .core import CoreClient
from .errors import CosClientError, CosServiceError
from .headers import (
    MAX_DELETE_KEYS,
    check_key,
    check_simplified_key,
    mapped,
    pop_query,
)
from .xml import dict_to_xml, listify, unquote_fields, xml_to_dict

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"


def content_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _body_length(body: Any) -> int | None:
    if isinstance(body, str | bytes | bytearray):
        return len(body.encode("utf-8") if isinstance(body, str) else body)
    if hasattr(body, "fileno") and hasattr(body, "tell"):
        try:
            return int(os.fstat(body.fileno()).st_size - body.tell())
        except (OSError, ValueError):
            return None
    return None


def check_body_size(body: Any) -> None:
    length = _body_length(body)
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


def canned_acl(data: dict[str, Any], bucket: bool, acl_header: str | None) -> str:
    """Derive CannedACL from the grants, exactly as the SDK does."""
    if not bucket and acl_header == "default":
        return "default"
    grants = (data.get("AccessControlList") or {}).get("Grant") or []

    def has(permission: str) -> bool:
        wanted = {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": permission}
        return wanted in grants

    if has("READ"):
        return "public-read-write" if bucket and has("WRITE") else "public-read"
    return "private"


def parse_acl(content: bytes, bucket: bool, acl_header: str | None) -> dict[str, Any]:
    data = xml_to_dict(content)
    acl = data.get("AccessControlList")
    if isinstance(acl, dict):
        listify(acl, ["Grant"])
        for grant in acl.get("Grant", []):
            grantee = grant.get("Grantee") if isinstance(grant, dict) else None
            if isinstance(grantee, dict) and "type" in grantee:  # xsi:type -> Type (SDK)
                grantee["Type"] = grantee.pop("type")
    data["CannedACL"] = canned_acl(data, bucket, acl_header)
    return data


class ObjectOps(CoreClient):
    """Object-level operations; results are SDK-shaped dicts."""

    def put_object(
        self, Bucket: str, Body: Any, Key: str, EnableMD5: bool = False, **kwargs: Any
    ) -> dict[str, str]:
        """Upload an object in one request (at most 5 GB).

        Args:
            Body: bytes, str or a readable (seekable, for retries) file object.
            EnableMD5: send Content-MD5 so COS verifies the body.
        Returns:
            The response headers (ETag, x-cos-hash-crc64ecma, x-cos-version-id ...).
        """
        check_key(Key)
        check_body_size(Body)
        headers = mapped(kwargs)
        if EnableMD5:
            md5 = body_md5(Body)
            if md5:
                headers["Content-MD5"] = md5
        length = _body_length(Body)
        if length == 0:
            Body = b""  # requests would send an empty file as chunked, next to Content-Length
        if length is not None and "Content-Length" not in headers:
            headers["Content-Length"] = str(length)
        resp = self._request("PUT", bucket=Bucket, key=Key, headers=headers, data=Body)
        return dict(resp.headers)

    def get_object(
        self, Bucket: str, Key: str, KeySimplifyCheck: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        """Download an object; ``result['Body']`` is a streaming ``StreamBody`` (close it)."""
        check_key(Key)
        if KeySimplifyCheck:
            check_simplified_key(Key)
        headers = mapped(kwargs)
        params = pop_query(headers, response_params=True)
        resp = self._request(
            "GET", bucket=Bucket, key=Key, params=params, headers=headers, stream=True
        )
        result: dict[str, Any] = dict(resp.headers)
        result["Body"] = StreamBody(resp)
        return result

    def head_object(self, Bucket: str, Key: str, **kwargs: Any) -> dict[str, str]:
        """Object metadata (response headers); a missing object raises with code NoSuchResource."""
        check_key(Key)
        headers = mapped(kwargs)
        params = pop_query(headers)
        resp = self._request("HEAD", bucket=Bucket, key=Key, params=params, headers=headers)
        return dict(resp.headers)

    def object_exists(self, Bucket: str, Key: str, **kwargs: Any) -> bool:
        """True if HEAD succeeds, False on 404; other errors raise."""
        try:
            self.head_object(Bucket, Key, **kwargs)
        except CosServiceError as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    def delete_object(self, Bucket: str, Key: str, **kwargs: Any) -> dict[str, str]:
        """Delete one object (or one version with ``VersionId``); returns the headers."""
        check_key(Key)
        headers = mapped(kwargs)
        params = pop_query(headers)
        resp = self._request("DELETE", bucket=Bucket, key=Key, params=params, headers=headers)
        return dict(resp.headers)

    def delete_objects(
        self, Bucket: str, Delete: Mapping[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        """Delete up to 1000 objects in one request (Content-MD5 is sent, as COS requires).

        Args:
            Delete: ``{'Quiet': 'true'|'false', 'Object': [{'Key': k, 'VersionId'?: v}, ...]}``.
        Returns:
            ``{'Deleted': [...], 'Error': [...]}`` (each present when COS sent it).
        """
        objects = Delete.get("Object") or []
        if isinstance(objects, Mapping):
            objects = [objects]
        if len(objects) > MAX_DELETE_KEYS:
            raise CosClientError(f"delete_objects takes at most {MAX_DELETE_KEYS} keys")
        for item in objects:
            check_key(item.get("Key"))
        body = dict_to_xml({**Delete, "Object": list(objects)}, "Delete")
        headers = mapped(kwargs)
        headers["Content-MD5"] = content_md5(body)
        headers["Content-Type"] = "application/xml"
        resp = self._request(
            "POST", bucket=Bucket, params={"delete": ""}, headers=headers, data=body
        )
        return listify(xml_to_dict(resp.content), ["Deleted", "Error"])

    def copy_object(
        self,
        Bucket: str,
        Key: str,
        CopySource: Mapping[str, Any],
        CopyStatus: str = "Copy",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """PUT Object - Copy (up to 5 GB; use ``copy()`` for larger objects).

        A 200 answer whose body is an ``<Error>`` raises ``CosServiceError``.
        """
        check_key(Key)
        if CopyStatus not in ("Copy", "Replaced"):
            raise CosClientError("CopyStatus must be Copy or Replaced")
        headers = mapped(kwargs)
        headers["x-cos-copy-source"] = self._copy_source(CopySource)
        headers["x-cos-metadata-directive"] = CopyStatus
        resp = self._request(
            "PUT", bucket=Bucket, key=Key, headers=headers, long=True, check_body_error=True
        )
        return self._merge_body("PUT", resp, Key)

    def _copy_source(self, source: Mapping[str, Any]) -> str:
        conf = self._conf
        if not source.get("Region") and not source.get("Endpoint"):
            source = {**source, "Endpoint": conf._endpoint, "Region": conf._region}
        return copy_source_header(conf._enable_old_domain, conf._enable_internal_domain, source)

    def _merge_body(self, method: str, resp: Any, key: str) -> dict[str, Any]:
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

    def restore_object(
        self, Bucket: str, Key: str, RestoreRequest: Mapping[str, Any], **kwargs: Any
    ) -> None:
        """Restore an ARCHIVE/DEEP_ARCHIVE object (202 new, 200 already restored)."""
        check_key(Key)
        headers = mapped(kwargs)
        params = {"restore": "", **pop_query(headers)}
        body = dict_to_xml(RestoreRequest, "RestoreRequest")
        self._request("POST", bucket=Bucket, key=Key, params=params, headers=headers, data=body)

    def put_object_acl(
        self,
        Bucket: str,
        Key: str,
        AccessControlPolicy: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Set an object ACL with headers (ACL=, GrantRead=...) or an AccessControlPolicy dict."""
        check_key(Key)
        headers = mapped(kwargs)
        params = {"acl": "", **pop_query(headers)}
        body = (
            dict_to_xml(AccessControlPolicy, "AccessControlPolicy") if AccessControlPolicy else b""
        )
        self._request("PUT", bucket=Bucket, key=Key, params=params, headers=headers, data=body)

    def get_object_acl(self, Bucket: str, Key: str, **kwargs: Any) -> dict[str, Any]:
        """The object's ACL: Owner, AccessControlList.Grant (a list) and CannedACL."""
        check_key(Key)
        headers = mapped(kwargs)
        params = {"acl": "", **pop_query(headers)}
        resp = self._request("GET", bucket=Bucket, key=Key, params=params, headers=headers)
        return parse_acl(resp.content, False, resp.headers.get("x-cos-acl"))

    # --- listings ---------------------------------------------------------------------------
    def list_objects(
        self,
        Bucket: str,
        Prefix: str = "",
        Delimiter: str = "",
        Marker: str = "",
        MaxKeys: int = 1000,
        EncodingType: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One page of GET Bucket; Contents/CommonPrefixes are lists, keys URL-decoded."""
        params = {"prefix": Prefix, "delimiter": Delimiter, "marker": Marker}
        params["max-keys"] = str(MaxKeys)
        data = self._listing(Bucket, params, EncodingType, kwargs)
        listify(data, ["Contents", "CommonPrefixes"])
        if not EncodingType:
            unquote_fields(
                data,
                ["Prefix", "Marker", "NextMarker"],
                [("Contents", "Key"), ("CommonPrefixes", "Prefix")],
            )
        return data

    def _listing(
        self, bucket: str, params: dict[str, str], encoding: str, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        if encoding and encoding != "url":
            raise CosClientError("EncodingType must be url")
        params["encoding-type"] = "url"  # always: odd keys survive XML this way
        resp = self._request("GET", bucket=bucket, params=params, headers=mapped(kwargs))
        return xml_to_dict(resp.content)

    def iter_objects(
        self,
        Bucket: str,
        Prefix: str = "",
        Delimiter: str = "",
        MaxKeys: int = 1000,
        Marker: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Yield every ``Contents`` entry under ``Prefix``, page after page."""
        marker = Marker
        while True:
            page = self.list_objects(
                Bucket, Prefix=Prefix, Delimiter=Delimiter, Marker=marker, MaxKeys=MaxKeys
            )
            yield from page.get("Contents", [])
            if page.get("IsTruncated") != "true":
                return
            marker = page.get("NextMarker") or _last_key(page)
            if not marker:
                return


def _last_key(page: Mapping[str, Any]) -> str:
    candidates = [c["Key"] for c in page.get("Contents", [])]
    candidates += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return max(candidates) if candidates else ""
