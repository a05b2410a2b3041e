"""Service and bucket operations, version and upload listings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .errors import CosClientError, CosServiceError
from .headers import mapped
from .objects import ObjectOps, content_md5, parse_acl
from .xml import dict_to_xml, listify, unquote_fields, xml_to_dict


class BucketOps(ObjectOps):
    """Bucket-level operations."""

    def list_buckets(
        self,
        TagKey: str | None = None,
        TagValue: str | None = None,
        Region: str | None = None,
        CreateTime: int | None = None,
        Range: str | None = None,
        Marker: str = "",
        MaxKeys: int = 2000,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """GET Service. With IP/Port configured, connects there with Host ``service.cos...``.

        Returns:
            ``{'Owner': {...}, 'Buckets': {'Bucket': [...]} or None, ...}``.
        """
        params = {"marker": Marker, "max-keys": str(MaxKeys)}
        if TagKey and TagValue:
            params.update(tagkey=TagKey, tagvalue=TagValue)
        if Region:
            params["region"] = Region
        if CreateTime and Range:
            params.update({"create-time": str(CreateTime), "range": Range})
        resp = self._request("GET", params=params, headers=mapped(kwargs))
        data = xml_to_dict(resp.content)
        buckets = data.get("Buckets")
        if isinstance(buckets, dict):
            listify(buckets, ["Bucket"])
        return data

    def create_bucket(
        self,
        Bucket: str,
        BucketAZConfig: str | None = None,
        BucketArchConfig: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Create a bucket (``ACL=`` and grant keywords become headers)."""
        headers = mapped(kwargs)
        config: dict[str, str] = {}
        if BucketAZConfig == "MAZ":
            config["BucketAZConfig"] = "MAZ"
        if BucketArchConfig == "OFS":
            config["BucketArchConfig"] = "OFS"
        body: bytes | None = None
        if config:
            body = dict_to_xml(config, "CreateBucketConfiguration")
            headers["Content-MD5"] = content_md5(body)
            headers["Content-Type"] = "application/xml"
        self._request("PUT", bucket=Bucket, headers=headers, data=body)

    def delete_bucket(self, Bucket: str, **kwargs: Any) -> None:
        """Delete an empty bucket."""
        self._request("DELETE", bucket=Bucket, headers=mapped(kwargs))

    def head_bucket(self, Bucket: str, **kwargs: Any) -> dict[str, str]:
        """HEAD Bucket; returns the response headers (x-cos-bucket-region ...)."""
        return dict(self._request("HEAD", bucket=Bucket, headers=mapped(kwargs)).headers)

    def bucket_exists(self, Bucket: str) -> bool:
        """True if HEAD Bucket succeeds, False on 404; other errors raise."""
        try:
            self.head_bucket(Bucket)
        except CosServiceError as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    def put_bucket_acl(
        self, Bucket: str, AccessControlPolicy: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Set the bucket ACL with headers (ACL=, GrantRead=...) or an AccessControlPolicy."""
        body = (
            dict_to_xml(AccessControlPolicy, "AccessControlPolicy") if AccessControlPolicy else b""
        )
        self._request("PUT", bucket=Bucket, params={"acl": ""}, headers=mapped(kwargs), data=body)

    def get_bucket_acl(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        """The bucket ACL with ``CannedACL`` (private/public-read/public-read-write)."""
        resp = self._request("GET", bucket=Bucket, params={"acl": ""}, headers=mapped(kwargs))
        return parse_acl(resp.content, True, None)

    def put_bucket_versioning(self, Bucket: str, Status: str, **kwargs: Any) -> None:
        """Enable or suspend versioning (``Status='Enabled'|'Suspended'``)."""
        if Status not in ("Enabled", "Suspended"):
            raise CosClientError("versioning status must be set to Enabled or Suspended!")
        body = dict_to_xml({"Status": Status}, "VersioningConfiguration")
        self._request(
            "PUT", bucket=Bucket, params={"versioning": ""}, headers=mapped(kwargs), data=body
        )

    def get_bucket_versioning(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        """``{'Status': ...}``, or ``{'VersioningConfiguration': None}`` if never set (as SDK)."""
        resp = self._request(
            "GET", bucket=Bucket, params={"versioning": ""}, headers=mapped(kwargs)
        )
        return xml_to_dict(resp.content)

    def get_bucket_location(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        resp = self._request("GET", bucket=Bucket, params={"location": ""}, headers=mapped(kwargs))
        data = xml_to_dict(resp.content)
        return {"LocationConstraint": data.get("LocationConstraint")}

    # --- listings ---------------------------------------------------------------------------
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


def _version_order(entry: Mapping[str, Any]) -> tuple[bytes, int, str]:
    # Key in byte order; within a key the latest first, then newest LastModified first.
    latest = 0 if entry.get("IsLatest") == "true" else 1
    stamp = str(entry.get("LastModified") or "")
    inverted = "".join(chr(0x10FFFF - ord(c)) for c in stamp)
    return (str(entry.get("Key", "")).encode("utf-8"), latest, inverted)
