"""Multipart upload primitives (initiate, parts, part copy, list, complete, abort)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .core import CoreInterface
from .errors import CosClientError
from .headers import EMPTY, check_key, check_part_number, check_upload_id, copy_source, mapped
from .payload import check_body_size, merge_body, upload_headers
from .xml import complete_multipart_xml, listify, unquote_fields, xml_to_dict


class MultipartOps(CoreInterface):
    """Low-level multipart operations, SDK-compatible."""

    def create_multipart_upload(self, Bucket: str, Key: str, **kwargs: Any) -> dict[str, Any]:
        """Initiate Multipart Upload; returns ``{'Bucket', 'Key', 'UploadId'}``."""
        check_key(Key)
        resp = self._request(
            "POST", bucket=Bucket, key=Key, params={"uploads": ""}, headers=mapped(kwargs)
        )
        return xml_to_dict(resp.content)

    def upload_part(
        self,
        Bucket: str,
        Key: str,
        Body: Any,
        PartNumber: int,
        UploadId: str,
        EnableMD5: bool = False,
        **kwargs: Any,
    ) -> dict[str, str]:
        """Upload one part (1..10000); returns the headers (ETag, x-cos-hash-crc64ecma)."""
        check_key(Key)
        params = _part_params(PartNumber, UploadId)
        check_body_size(Body)
        headers = mapped(kwargs)
        Body = upload_headers(headers, Body, EnableMD5)
        resp = self._request(
            "PUT", bucket=Bucket, key=Key, params=params, headers=headers, data=Body
        )
        return dict(resp.headers)

    def upload_part_copy(
        self,
        Bucket: str,
        Key: str,
        PartNumber: int,
        UploadId: str,
        CopySource: Mapping[str, Any],
        CopySourceRange: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Upload Part - Copy: a byte range of another object becomes a part."""
        check_key(Key)
        params = _part_params(PartNumber, UploadId)
        headers = mapped(kwargs)
        headers["x-cos-copy-source"] = copy_source(self._settings, CopySource)
        headers["x-cos-copy-source-range"] = CopySourceRange
        resp = self._request(
            "PUT",
            bucket=Bucket,
            key=Key,
            params=params,
            headers=headers,
            long=True,
            check_body_error=True,
        )
        return merge_body("PUT", resp, Key)

    def list_parts(
        self,
        Bucket: str,
        Key: str,
        UploadId: str,
        EncodingType: str = "",
        MaxParts: int = 1000,
        PartNumberMarker: int = 0,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One page of uploaded parts; ``Part`` is a list."""
        check_key(Key)
        check_upload_id(UploadId)
        if EncodingType and EncodingType != "url":
            raise CosClientError("EncodingType must be url")
        params = {
            "uploadId": UploadId,
            "part-number-marker": str(PartNumberMarker),
            "max-parts": str(MaxParts),
            "encoding-type": "url",
        }
        resp = self._request("GET", bucket=Bucket, key=Key, params=params, headers=mapped(kwargs))
        data = listify(xml_to_dict(resp.content), ["Part"])
        if not EncodingType:
            unquote_fields(data, ["Key"], [])
        return data

    def iter_parts(self, Bucket: str, Key: str, UploadId: str) -> Iterator[dict[str, Any]]:
        """Yield every uploaded part of an upload."""
        marker = 0
        while True:
            page = self.list_parts(Bucket, Key, UploadId, PartNumberMarker=marker)
            yield from page.get("Part", [])
            next_marker = int(page.get("NextPartNumberMarker") or 0)
            if page.get("IsTruncated") != "true" or next_marker <= marker:
                return
            marker = next_marker

    def complete_multipart_upload(
        self,
        Bucket: str,
        Key: str,
        UploadId: str,
        MultipartUpload: Mapping[str, Any] = EMPTY,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Complete an upload from ``{'Part': [{'PartNumber', 'ETag'}, ...]}`` (ascending).

        COS may answer 200 and report a failure in the body; that raises ``CosServiceError``.
        """
        check_key(Key)
        check_upload_id(UploadId)
        if "Part" not in MultipartUpload:
            raise CosClientError("Invalid Parameter, Part Is Required!")
        body = complete_multipart_xml(MultipartUpload["Part"])
        resp = self._request(
            "POST",
            bucket=Bucket,
            key=Key,
            params={"uploadId": UploadId},
            headers=mapped(kwargs),
            data=body,
            long=True,
            check_body_error=True,
        )
        return merge_body("POST", resp, Key)

    def abort_multipart_upload(self, Bucket: str, Key: str, UploadId: str, **kwargs: Any) -> None:
        """Abort an upload and delete its parts."""
        check_key(Key)
        check_upload_id(UploadId)
        self._request(
            "DELETE",
            bucket=Bucket,
            key=Key,
            params={"uploadId": UploadId},
            headers=mapped(kwargs),
        )


def _part_params(part_number: Any, upload_id: Any) -> dict[str, str]:
    number = check_part_number(part_number)
    return {"partNumber": str(number), "uploadId": check_upload_id(upload_id)}
