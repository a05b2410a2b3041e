"""ACL (bucket and object) and POST Object restore."""

from __future__ import annotations

from coslocal import acl, restore
from coslocal.errors import CosError, malformed_xml
from coslocal.handlers.common import version_param
from coslocal.handlers.context import Context
from coslocal.http import Response, empty_response, xml_response
from coslocal.store import ObjectVersion
from coslocal.xmlout import child_text, document, parse


def _acl_from_request(ctx: Context, *, bucket: bool) -> dict:
    from_headers = acl.from_headers(
        ctx.req.headers, bucket=bucket, default="private" if bucket else "default"
    )
    body = ctx.req.read_body()
    if from_headers is not None and body.strip():
        raise CosError(
            400, "InvalidRequest", "Specify the ACL in headers or in the body, not both."
        )
    if from_headers is not None:
        return from_headers
    if not body.strip():
        raise CosError(400, "InvalidRequest", "No ACL given in headers or body.")
    return acl.from_xml(parse(body), bucket=bucket)


def put_bucket_acl(ctx: Context) -> Response:
    policy = _acl_from_request(ctx, bucket=True)
    ctx.store.set_bucket_acl(ctx.bucket, policy)
    return empty_response()


def get_bucket_acl(ctx: Context) -> Response:
    bucket = ctx.store.get_bucket(ctx.bucket)
    body = document("AccessControlPolicy", acl.render(bucket.acl, ctx.config.owner_id))
    return xml_response(body)


def _acl_target(ctx: Context, action: str, perm: str) -> ObjectVersion:
    obj = ctx.store.get_object(ctx.bucket, ctx.key, version_param(ctx))
    ctx.authorize_object(obj, (action,), perm)
    return obj


def put_object_acl(ctx: Context) -> Response:
    obj = _acl_target(ctx, "PutObjectACL", "WRITE_ACP")
    policy = _acl_from_request(ctx, bucket=False)
    ctx.store.set_object_acl(obj, policy)
    return empty_response()


def get_object_acl(ctx: Context) -> Response:
    obj = _acl_target(ctx, "GetObjectACL", "READ_ACP")
    body = document("AccessControlPolicy", acl.render(obj.acl, ctx.config.owner_id))
    resp = xml_response(body)
    if acl.inherits(obj.acl):
        resp.header("x-cos-acl", "default")
    return resp


def restore_object(ctx: Context) -> Response:
    obj = ctx.store.get_object(ctx.bucket, ctx.key, version_param(ctx))
    root = parse(ctx.req.read_body())
    if root.tag != "RestoreRequest":
        raise malformed_xml()
    days_raw = child_text(root, "Days") or ""
    if not days_raw.isdigit():
        raise malformed_xml("Days must be a positive integer.")
    job = root.find("CASJobParameters")
    tier = (child_text(job, "Tier") if job is not None else None) or "Standard"
    status, record = restore.request_restore(
        ctx.config, obj.storage_class, obj.restore, int(days_raw), tier
    )
    ctx.store.set_restore(obj, record)
    return empty_response(status)
