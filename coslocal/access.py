"""Authorization: who may do what to a bucket or object.

The bucket owner's root account may do everything. Every other caller (anonymous, a sub-account,
another root account) is judged per request as COS/CAM judge it: a bucket policy statement that
denies wins; one that allows suffices; otherwise the ACL must grant the permission (an object
ACL of "default" defers to the bucket's ACL); otherwise 403 AccessDenied.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from coslocal import acl, policy
from coslocal.auth import Identity
from coslocal.config import Config
from coslocal.errors import CosError, access_denied
from coslocal.store import Bucket, ObjectVersion


@lru_cache(maxsize=512)
def _statements(
    document: str, region: str, appid: str, bucket: str
) -> tuple[policy.Statement, ...]:
    # Stored documents were validated on PUT; compiling them once per document keeps anonymous
    # and sub-account requests as cheap as the owner's.
    return tuple(policy.compile_stored(document, region=region, appid=appid, bucket=bucket))


def policy_verdict(
    config: Config, bucket: Bucket, identity: Identity, actions: tuple[str, ...], key: str
) -> str | None:
    if not bucket.policy:
        return None
    statements = _statements(bucket.policy, config.region, config.appid, bucket.name)
    return policy.evaluate(list(statements), identity.principal, actions, f"{bucket.name}/{key}")


def authorize(
    config: Config,
    bucket: Bucket,
    identity: Identity,
    actions: tuple[str, ...],
    key: str,
    acl_allows: Callable[[], bool],
) -> None:
    """Raise 403 AccessDenied unless the caller may perform `actions` on bucket/key."""
    if identity.is_owner(config):
        return
    verdict = policy_verdict(config, bucket, identity, actions, key)
    if verdict == "deny":
        raise access_denied()
    if verdict == "allow" or acl_allows():
        return
    raise access_denied()


def object_acl_allows(
    bucket: Bucket, obj: ObjectVersion, identity: Identity, perm: str | None
) -> bool:
    if perm is None:
        return False
    if acl.grants(obj.acl, identity, perm):
        return True
    return acl.inherits(obj.acl) and acl.grants(bucket.acl, identity, perm)


def may(
    config: Config,
    bucket: Bucket,
    identity: Identity,
    actions: tuple[str, ...],
    key: str,
    acl_allows: Callable[[], bool],
) -> bool:
    try:
        authorize(config, bucket, identity, actions, key, acl_allows)
    except CosError:
        return False
    return True
