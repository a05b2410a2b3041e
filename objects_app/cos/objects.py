"""Single-object operations: put/get/head/delete, copy, restore, ACLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .acl import parse_acl
from .body import StreamBody
from .core import CoreInterface
from .errors import CosClientError, CosServiceError
from .headers import (
    EMPTY,
    MAX_DELETE_KEYS,
    check_key,
    check_simplified_key,
    copy_source,
    mapped,
    pop_query,
)
from .payload import check_body_size, content_md5, merge_body, upload_headers
from .xml import dict_to_xml, listify, xml_to_dict


class ObjectOps(CoreInterface):
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
        Body = upload_headers(headers, Body, EnableMD5)
        resp = self._request("PUT", bucket=Bucket, key=Key, headers=headers, data=Body)
        return dict(resp.headers)

    def put_object_from_local_file(
        self, Bucket: str, LocalFilePath: str, Key: str, EnableMD5: bool = False, **kwargs: Any
    ) -> dict[str, str]:
        """``put_object`` of a local file (at most 5 GB; ``upload_file`` for bigger ones)."""
        with open(LocalFilePath, "rb") as fp:
            return self.put_object(Bucket, fp, Key, EnableMD5, **kwargs)

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
        self, Bucket: str, Delete: Mapping[str, Any] = EMPTY, **kwargs: Any
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
        headers["x-cos-copy-source"] = copy_source(self._settings, CopySource)
        headers["x-cos-metadata-directive"] = CopyStatus
        resp = self._request(
            "PUT", bucket=Bucket, key=Key, headers=headers, long=True, check_body_error=True
        )
        return merge_body("PUT", resp, Key)

    def change_object_storage_class(
        self, Bucket: str, Key: str, StorageClass: str
    ) -> dict[str, Any]:
        """Change an object's storage class by copying it onto itself (as the SDK).

        Like the SDK, this is a copy with ``CopyStatus='Replaced'`` and nothing else, so COS
        replaces the object's metadata too: Content-Type and ``x-cos-meta-*`` are not kept.
        Returns copy_object's result.
        """
        return self.copy_object(
            Bucket, Key, self._self_source(Bucket, Key), "Replaced", StorageClass=StorageClass
        )

    def update_object_meta(self, Bucket: str, Key: str, **kwargs: Any) -> dict[str, Any]:
        """Replace an object's metadata (ContentType=, Metadata= ...) by a self-copy (as the SDK).

        Metadata not given is dropped (``CopyStatus='Replaced'``). Returns copy_object's result.
        """
        return self.copy_object(Bucket, Key, self._self_source(Bucket, Key), "Replaced", **kwargs)

    def _self_source(self, bucket: str, key: str) -> dict[str, Any]:
        settings = self._settings
        source = {"Bucket": bucket, "Key": key, "Appid": settings.appid}
        if settings.endpoint:
            source["Endpoint"] = settings.endpoint
        return source

    def restore_object(
        self, Bucket: str, Key: str, RestoreRequest: Mapping[str, Any] = EMPTY, **kwargs: Any
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
        AccessControlPolicy: Mapping[str, Any] | None = EMPTY,
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
