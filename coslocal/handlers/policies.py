"""PUT / GET / DELETE Bucket policy (`?policy`, a JSON document; see coslocal/policy.py)."""

from __future__ import annotations

from coslocal import policy
from coslocal.errors import CosError
from coslocal.handlers.context import Context
from coslocal.http import Response, empty_response


def put_bucket_policy(ctx: Context) -> Response:
    ctx.store.get_bucket(ctx.bucket)
    document, _ = policy.parse(
        ctx.req.read_body(),
        region=ctx.config.region,
        appid=ctx.config.appid,
        bucket=ctx.bucket,
    )
    ctx.store.set_bucket_policy(ctx.bucket, document)
    return empty_response(204)  # the doc's example answer to PUT Bucket policy (436/8282)


def get_bucket_policy(ctx: Context) -> Response:
    document = ctx.store.get_bucket(ctx.bucket).policy
    if document is None:
        # The code the official SDKs test for (cos-nodejs-sdk-v5 getBucketPolicy: NoSuchPolicy).
        raise CosError(404, "NoSuchPolicy", "The specified bucket has no bucket policy.")
    body = document.encode()
    return Response(
        200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body
    )


def delete_bucket_policy(ctx: Context) -> Response:
    ctx.store.set_bucket_policy(ctx.bucket, None)  # deleting an absent policy succeeds too
    return empty_response(204)
