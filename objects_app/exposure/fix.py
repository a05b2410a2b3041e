"""Making one object private: canned ACL `private`, and no grant to everyone or to every signed-in
user (grants to named accounts stay). What the ACL cannot fix is said per object: an object that
a bucket policy statement still exposes stays public, and the report says which statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from objects_app.access import decide as d
from objects_app.access.acl import EVERYONE, SIGNED_IN, Acl, acl_from_sdk, acl_headers
from objects_app.access.policy import Policy
from objects_app.exposure.scanner import Entry, rule_detail

CHANGED, ALREADY_PRIVATE, STILL_PUBLIC = "changed", "already-private", "still-public"


@dataclass(frozen=True)
class FixOutcome:
    entry: Entry
    changed: bool  # the ACL was (or, in a dry run, would be) rewritten
    before: Acl
    after: Acl
    still_public: str = ""  # the rule that keeps it public after the change (a policy), or ""

    @property
    def outcome(self) -> str:
        if self.still_public:
            return STILL_PUBLIC
        return CHANGED if self.changed else ALREADY_PRIVATE

    @property
    def audit_detail(self) -> str:
        return f"before: {self.before.describe()} | after: {self.after.describe()}"


def _wide(acl: Acl) -> bool:
    return any(g.kind in (EVERYONE, SIGNED_IN) for g in acl.effective)


def private_acl(acl: Acl, bucket_acl: Acl) -> Acl:
    """The ACL to write: unchanged unless it exposes the object (itself, or by inheriting a
    bucket ACL that does); a `default` ACL under a private bucket keeps inheriting."""
    if _wide(acl) or (acl.inherits and _wide(bucket_acl)):
        return acl.made_private()
    return acl


def make_private(
    client: Any, bucket: str, entry: Entry, *, bucket_acl: Acl, policy: Policy, dry_run: bool
) -> FixOutcome:
    """Read the ACL, write the private one if it differs (unless `dry_run`), and judge again."""
    kwargs = {"VersionId": entry.version_id} if entry.version_id else {}
    before = acl_from_sdk(
        client.get_object_acl(Bucket=bucket, Key=entry.key, **kwargs), bucket=False
    )
    after = private_acl(before, bucket_acl)
    changed = after != before
    if changed and not dry_run:
        client.put_object_acl(Bucket=bucket, Key=entry.key, **kwargs, **acl_headers(after))
    found = d.exposure(
        bucket=bucket, key=entry.key, acl=after, bucket_acl=bucket_acl, policy=policy
    )
    still = rule_detail(found.decision.rule) if found.public else ""
    return FixOutcome(entry, changed, before, after, still)
