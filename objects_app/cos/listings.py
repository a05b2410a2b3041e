"""Listings: objects, object versions and multipart uploads, one page or all (generators)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .core import CoreInterface
from .errors import CosClientError
from .headers import mapped
from .xml import listify, unquote_fields, xml_to_dict


class ListingOps(CoreInterface):
    """GET Bucket, GET Bucket versions, List Multipart Uploads, and their generators."""

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

    def list_objects_versions(
        self,
        Bucket: str,
        Prefix: str = "",
        Delimiter: str = "",
        KeyMarker: str = "",
        VersionIdMarker: str = "",
        MaxKeys: int = 1000,
        EncodingType: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One page of GET Bucket versions; Version/DeleteMarker/CommonPrefixes are lists."""
        params = {
            "versions": "",
            "prefix": Prefix,
            "delimiter": Delimiter,
            "key-marker": KeyMarker,
            "version-id-marker": VersionIdMarker,
            "max-keys": str(MaxKeys),
        }
        data = self._listing(Bucket, params, EncodingType, kwargs)
        listify(data, ["Version", "DeleteMarker", "CommonPrefixes"])
        if not EncodingType:
            unquote_fields(
                data,
                ["Prefix", "KeyMarker", "NextKeyMarker", "VersionIdMarker", "NextVersionIdMarker"],
                [("Version", "Key"), ("CommonPrefixes", "Prefix"), ("DeleteMarker", "Key")],
            )
        return data

    def list_multipart_uploads(
        self,
        Bucket: str,
        Prefix: str = "",
        Delimiter: str = "",
        KeyMarker: str = "",
        UploadIdMarker: str = "",
        MaxUploads: int = 1000,
        EncodingType: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One page of in-progress multipart uploads; Upload/CommonPrefixes are lists."""
        params = {
            "uploads": "",
            "prefix": Prefix,
            "delimiter": Delimiter,
            "key-marker": KeyMarker,
            "upload-id-marker": UploadIdMarker,
            "max-uploads": str(MaxUploads),
        }
        data = self._listing(Bucket, params, EncodingType, kwargs)
        listify(data, ["Upload", "CommonPrefixes"])
        if not EncodingType:
            unquote_fields(
                data,
                ["Prefix", "KeyMarker", "NextKeyMarker", "UploadIdMarker", "NextUploadIdMarker"],
                [("Upload", "Key"), ("CommonPrefixes", "Prefix")],
            )
        return data

    def iter_object_versions(
        self, Bucket: str, Prefix: str = "", MaxKeys: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Yield every Version and DeleteMarker (the latter with ``'IsDeleteMarker': True``)."""
        key_marker = version_marker = ""
        while True:
            page = self.list_objects_versions(
                Bucket,
                Prefix=Prefix,
                KeyMarker=key_marker,
                VersionIdMarker=version_marker,
                MaxKeys=MaxKeys,
            )
            entries = [dict(v, IsDeleteMarker=False) for v in page.get("Version", [])]
            entries += [dict(m, IsDeleteMarker=True) for m in page.get("DeleteMarker", [])]
            # Versions and markers are separate lists in XML; restore the listing order.
            yield from sorted(entries, key=_version_order)
            if page.get("IsTruncated") != "true":
                return
            key_marker = page.get("NextKeyMarker") or ""
            version_marker = page.get("NextVersionIdMarker") or ""
            if not key_marker:
                return

    def iter_multipart_uploads(
        self, Bucket: str, Prefix: str = "", MaxUploads: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Yield every in-progress multipart upload under ``Prefix``."""
        key_marker = upload_marker = ""
        while True:
            page = self.list_multipart_uploads(
                Bucket,
                Prefix=Prefix,
                KeyMarker=key_marker,
                UploadIdMarker=upload_marker,
                MaxUploads=MaxUploads,
            )
            yield from page.get("Upload", [])
            if page.get("IsTruncated") != "true":
                return
            key_marker = page.get("NextKeyMarker") or ""
            upload_marker = page.get("NextUploadIdMarker") or ""
            if not key_marker:
                return


def _last_key(page: Mapping[str, Any]) -> str:
    candidates = [c["Key"] for c in page.get("Contents", [])]
    candidates += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return max(candidates) if candidates else ""


def _version_order(entry: Mapping[str, Any]) -> tuple[bytes, int, str]:
    # Key in byte order; within a key the latest first, then newest LastModified first.
    latest = 0 if entry.get("IsLatest") == "true" else 1
    stamp = str(entry.get("LastModified") or "")
    inverted = "".join(chr(0x10FFFF - ord(c)) for c in stamp)
    return (str(entry.get("Key", "")).encode("utf-8"), latest, inverted)
