"""Request handlers by concern, and the routing table that picks one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coslocal.handlers import buckets, multipart, objects, policies, service, subresources
from coslocal.handlers.context import Context
from coslocal.http import Request, Response

__all__ = ["ROUTES", "Context", "Route"]


@dataclass(frozen=True)
class Route:
    level: str  # service | bucket | object
    method: str
    handler: Callable[[Context], Response]
    # The COS/CAM action names a bucket policy matches this request by (name/cos:<Action>).
    actions: tuple[str, ...] = ()
    # What the bucket's ACL must grant a caller other than the owner: READ | WRITE | READ_ACP |
    # WRITE_ACP; None: only a policy can allow it; "object": the handler checks the object's
    # ACL (which may inherit the bucket's); "handler": the handler checks everything itself.
    acl: str | None = None
    requires: tuple[str, ...] = field(default=())
    header: str | None = None  # route applies only when this request header is present

    def accepts(self, req: Request) -> bool:
        if self.header is not None and self.header not in req.headers:
            return False
        return all(req.has(q) for q in self.requires)


def R(  # noqa: N802 - a table constructor, read as a row
    level: str,
    method: str,
    handler: Callable[[Context], Response],
    action: str | tuple[str, ...],
    acl: str | None = None,
    requires: tuple[str, ...] = (),
    header: str | None = None,
) -> Route:
    actions = (action,) if isinstance(action, str) else action
    return Route(level, method, handler, actions, acl, requires, header)


COPY_SOURCE = "x-cos-copy-source"
ROUTES: tuple[Route, ...] = (
    R("service", "GET", service.list_buckets, "GetService", "handler"),
    R("bucket", "PUT", buckets.put_versioning, "PutBucketVersioning", requires=("versioning",)),
    R("bucket", "PUT", subresources.put_bucket_acl, "PutBucketACL", "WRITE_ACP", ("acl",)),
    R("bucket", "PUT", policies.put_bucket_policy, "PutBucketPolicy", requires=("policy",)),
    R("bucket", "PUT", buckets.create_bucket, "PutBucket", "handler"),
    R("bucket", "HEAD", buckets.head_bucket, "HeadBucket", "READ"),
    R("bucket", "DELETE", policies.delete_bucket_policy, "DeleteBucketPolicy", None, ("policy",)),
    R("bucket", "DELETE", buckets.delete_bucket, "DeleteBucket"),
    R("bucket", "GET", buckets.get_versioning, "GetBucketVersioning", requires=("versioning",)),
    R("bucket", "GET", subresources.get_bucket_acl, "GetBucketACL", "READ_ACP", ("acl",)),
    R("bucket", "GET", policies.get_bucket_policy, "GetBucketPolicy", requires=("policy",)),
    R("bucket", "GET", buckets.get_location, "GetBucketLocation", requires=("location",)),
    R("bucket", "GET", buckets.list_versions, "GetBucketObjectVersions", "READ", ("versions",)),
    R("bucket", "GET", multipart.list_uploads, "ListMultipartUploads", "READ", ("uploads",)),
    R("bucket", "GET", buckets.list_objects, "GetBucket", "READ"),
    # per key: each key is judged as a DeleteObject (refusals come back as <Error> entries)
    R("bucket", "POST", objects.delete_multiple, "DeleteMultipleObjects", "handler", ("delete",)),
    R("object", "GET", subresources.get_object_acl, "GetObjectACL", "object", ("acl",)),
    R("object", "GET", multipart.list_parts, "ListParts", "READ", ("uploadId",)),
    R("object", "GET", objects.get_object, "GetObject", "object"),
    R("object", "HEAD", objects.head_object, "HeadObject", "object"),
    R("object", "PUT", subresources.put_object_acl, "PutObjectACL", "object", ("acl",)),
    R(
        "object",
        "PUT",
        multipart.upload_part_copy,
        "UploadPartCopy",
        "WRITE",
        ("partNumber", "uploadId"),
        COPY_SOURCE,
    ),
    R("object", "PUT", multipart.upload_part, "UploadPart", "WRITE", ("partNumber", "uploadId")),
    R(
        "object",
        "PUT",
        objects.copy_object,
        ("PutObject", "PutObjectCopy"),
        "WRITE",
        (),
        COPY_SOURCE,
    ),
    R("object", "PUT", objects.put_object, "PutObject", "WRITE"),
    R("object", "DELETE", multipart.abort_upload, "AbortMultipartUpload", "WRITE", ("uploadId",)),
    R("object", "DELETE", objects.delete_object, "DeleteObject", "WRITE"),
    R(
        "object",
        "POST",
        multipart.initiate_upload,
        "InitiateMultipartUpload",
        "WRITE",
        ("uploads",),
    ),
    R(
        "object",
        "POST",
        multipart.complete_upload,
        "CompleteMultipartUpload",
        "WRITE",
        ("uploadId",),
    ),
    R("object", "POST", subresources.restore_object, "PostObjectRestore", requires=("restore",)),
)
