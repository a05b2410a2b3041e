"""What coslocal routes at all: the hosts COS serves and the sub-resources coslocal implements.

A request that names a sub-resource coslocal does not implement is answered `501 NotImplemented`
(protocol 5.2), never served as another operation (`PUT /ch1?live` must not create `ch1`, `GET
/?style` must not list the bucket). A bucket reached through another region's host, a host COS
does not serve, or a path under a service host get `404 NoSuchBucket` (the notes are silent on
these; that is the answer the bucket's absence from that endpoint would give).
"""

from __future__ import annotations

from urllib.parse import quote

from coslocal.config import Config
from coslocal.errors import CosError
from coslocal.http import ANY_REGION, Request

# Parameters coslocal understands: implemented sub-resources and the operations' own parameters.
IMPLEMENTED = frozenset(
    {"acl", "delete", "location", "policy", "restore", "uploads", "versioning", "versions"}
)
PARAMETERS = frozenset(
    {
        "uploadId", "partNumber", "versionId",
        "prefix", "delimiter", "marker", "max-keys", "encoding-type", "key-marker",
        "version-id-marker", "upload-id-marker", "max-uploads", "max-parts", "part-number-marker",
        "region", "create-time", "range", "tagkey", "tagvalue",  # GET Service filters
        "sign", "x-cos-security-token", "x-cos-traffic-limit",
    }
)  # fmt: skip
# COS sub-resources (from the official SDKs) that coslocal does not implement. They are refused
# even with a value (`?ci-process=imageInfo`); any other parameter without a value is taken for a
# sub-resource too. Unknown parameters with a value are ignored, as a cache-buster would be.
UNSUPPORTED = frozenset(
    {
        "accelerate", "append", "position", "cors", "domain", "domaincertificate", "encryption",
        "intelligenttiering", "inventory", "lifecycle", "logging", "notification", "object-lock",
        "origin", "referer", "replication", "select", "select-type", "symlink", "tagging",
        "website", "worm", "live", "vod", "style", "response-control", "imageInspect",
        "ci-process", "image_process", "comp", "rename", "retention", "legal-hold", "meta",
    }
)  # fmt: skip


def unsupported_subresource(req: Request) -> str | None:
    for name, value in req.query_pairs:
        if name in UNSUPPORTED:
            return name
        if name in IMPLEMENTED or name in PARAMETERS or name.startswith(("q-", "response-")):
            continue
        if value == "":
            return name
    return None


def repeated_parameter(req: Request) -> str | None:
    """A parameter given twice (case aside) is refused: the signature covers parameters by their
    lower-cased names, so with `versionId=B&versionId=A` (or `versionid=A`) a presigned URL pinned
    to version A would be checked against one value and served with the other. The notes are
    silent on what COS does; refusing with 400 leaves no such ambiguity."""
    seen: set[str] = set()
    for name, _ in req.query_pairs:
        folded = quote(name, safe="-_.~").lower()
        if folded in seen:
            return name
        seen.add(folded)
    return None


def check(req: Request, config: Config) -> None:
    """Refuse what COS would not route to this bucket or service; raise CosError."""
    if req.host_kind == "unknown":
        raise _no_bucket(f"No COS bucket or service endpoint at {req.headers.get('host', '')}.")
    if req.host_kind == "bucket" and req.host_region not in (config.region, ANY_REGION):
        raise _no_bucket(
            f"The bucket does not exist in region {req.host_region} "
            f"(coslocal serves {config.region})."
        )
    if req.bucket is None and req.path != "/":
        raise _no_bucket("No bucket is addressed: use a <bucket>-<appid>.cos.<region> host.")
    repeated = repeated_parameter(req)
    if repeated is not None:
        raise CosError(
            400, "InvalidArgument", f"The query parameter {repeated!r} is given more than once."
        )
    name = unsupported_subresource(req)
    if name is not None:
        raise CosError(501, "NotImplemented", f"coslocal does not implement ?{name}.")


def _no_bucket(message: str) -> CosError:
    return CosError(404, "NoSuchBucket", message)
