"""Service and bucket operations: list/create/delete/head, ACL, policy, versioning, location."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .acl import parse_acl
from .core import CoreInterface
from .errors import CosClientError, CosServiceError
from .headers import EMPTY, mapped
from .payload import content_md5
from .xml import dict_to_xml, listify, xml_to_dict


class BucketOps(CoreInterface):
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
        self, Bucket: str, AccessControlPolicy: Mapping[str, Any] | None = EMPTY, **kwargs: Any
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

    def put_bucket_policy(
        self, Bucket: str, Policy: str | Mapping[str, Any], **kwargs: Any
    ) -> None:
        """Set the bucket policy from a JSON string or a dict (sent as JSON, as the SDK)."""
        if isinstance(Policy, str):
            body = Policy
        elif isinstance(Policy, Mapping):
            body = json.dumps(dict(Policy))
        else:
            raise CosClientError("Policy must be a json format string or json format dict")
        headers = mapped(kwargs)
        headers["Content-Type"] = "application/json"
        self._request(
            "PUT", bucket=Bucket, params={"policy": ""}, headers=headers, data=body.encode()
        )

    def get_bucket_policy(self, Bucket: str, **kwargs: Any) -> dict[str, str]:
        """``{'Policy': <JSON text>}``, re-serialised as the SDK does (``json.dumps``).

        A bucket without a policy raises ``CosServiceError`` (404 NoSuchBucketPolicy).
        """
        resp = self._request("GET", bucket=Bucket, params={"policy": ""}, headers=mapped(kwargs))
        try:
            policy = json.loads(resp.content)
        except ValueError as exc:
            raise CosClientError(f"invalid JSON in the bucket policy of {Bucket}") from exc
        return {"Policy": json.dumps(policy)}

    def delete_bucket_policy(self, Bucket: str, **kwargs: Any) -> None:
        """Remove the bucket policy."""
        self._request("DELETE", bucket=Bucket, params={"policy": ""}, headers=mapped(kwargs))

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
