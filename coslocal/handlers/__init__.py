"""Request handlers by concern, and the routing table that picks one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coslocal.handlers import buckets, multipart, objects, service, subresources
from coslocal.handlers.context import Context
from coslocal.http import Request, Response

__all__ = ["ROUTES", "Context", "Route"]


@dataclass(frozen=True)
class Route:
    level: str  # service | bucket | object
    method: str
    handler: Callable[[Context], Response]
    # never | bucket-read | bucket-write | bucket-acp-read | bucket-acp-write: what the bucket's ACL
    # must grant AllUsers; object: the handler checks the object's ACL (which may inherit).
    anonymous: str = "never"
    requires: tuple[str, ...] = field(default=())
    header: str | None = None  # route applies only when this request header is present

    def accepts(self, req: Request) -> bool:
        if self.header is not None and self.header not in req.headers:
            return False
        return all(req.has(q) for q in self.requires)


R = Route
ROUTES: tuple[Route, ...] = (
    R("service", "GET", service.list_buckets),
    R("bucket", "PUT", buckets.put_versioning, requires=("versioning",)),
    R("bucket", "PUT", subresources.put_bucket_acl, "bucket-acp-write", requires=("acl",)),
    R("bucket", "PUT", buckets.create_bucket),
    R("bucket", "HEAD", buckets.head_bucket, "bucket-read"),
    R("bucket", "DELETE", buckets.delete_bucket),
    R("bucket", "GET", buckets.get_versioning, requires=("versioning",)),
    R("bucket", "GET", subresources.get_bucket_acl, "bucket-acp-read", requires=("acl",)),
    R("bucket", "GET", buckets.get_location, requires=("location",)),
    R("bucket", "GET", buckets.list_versions, "bucket-read", requires=("versions",)),
    R("bucket", "GET", multipart.list_uploads, "bucket-read", requires=("uploads",)),
    R("bucket", "GET", buckets.list_objects, "bucket-read"),
    R("bucket", "POST", objects.delete_multiple, "bucket-write", requires=("delete",)),
    R("object", "GET", subresources.get_object_acl, "object", requires=("acl",)),
    R("object", "GET", multipart.list_parts, "bucket-read", requires=("uploadId",)),
    R("object", "GET", objects.get_object, "object"),
    R("object", "HEAD", objects.head_object, "object"),
    R("object", "PUT", subresources.put_object_acl, "object", requires=("acl",)),
    R(
        "object",
        "PUT",
        multipart.upload_part_copy,
        "bucket-write",
        requires=("partNumber", "uploadId"),
        header="x-cos-copy-source",
    ),
    R("object", "PUT", multipart.upload_part, "bucket-write", requires=("partNumber", "uploadId")),
    R("object", "PUT", objects.copy_object, "bucket-write", header="x-cos-copy-source"),
    R("object", "PUT", objects.put_object, "bucket-write"),
    R("object", "DELETE", multipart.abort_upload, "bucket-write", requires=("uploadId",)),
    R("object", "DELETE", objects.delete_object, "bucket-write"),
    R("object", "POST", multipart.initiate_upload, "bucket-write", requires=("uploads",)),
    R("object", "POST", multipart.complete_upload, "bucket-write", requires=("uploadId",)),
    R("object", "POST", subresources.restore_object, requires=("restore",)),
)
