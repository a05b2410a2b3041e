"""Can principal P read the objects under a prefix? What holds for all of them, and what varies.

Object ACLs differ from object to object, so only the bucket policy can answer for a whole
prefix at once: a Deny that covers every key under it, or an Allow that does (with no Deny that
might reach any key). Otherwise the answer depends on each object, and the rules that can play
a part are listed: the bucket ACL (for objects whose ACL is `default`), statements reaching some
of the keys, and the objects' own ACLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from objects_app.access.acl import Acl
from objects_app.access.decide import (
    BUCKET_ACL,
    OWNER,
    POLICY_ALLOW,
    POLICY_DENY,
    READ_ACTION,
    Rule,
)
from objects_app.access.policy import EMPTY, Match, Policy
from objects_app.access.principals import Principal


@dataclass(frozen=True)
class PrefixDecision:
    """`allowed` is True / False for every object under the prefix, or None: it depends."""

    who: Principal
    prefix: str
    allowed: bool | None
    rule: Rule | None = None  # what decides for all of them
    partial: tuple[Match, ...] = field(default_factory=tuple)  # statements reaching some keys
    bucket_acl: Rule | None = None  # the bucket ACL's read grant, for inheriting objects


def can_read_prefix(
    who: Principal, *, bucket: str, prefix: str, bucket_acl: Acl, policy: Policy = EMPTY
) -> PrefixDecision:
    if who.is_root and who.qcs == bucket_acl.owner:
        return PrefixDecision(who, prefix, True, Rule(OWNER))
    matches = policy.under_prefix(who, READ_ACTION, bucket, prefix)
    denies = [m for m in matches if m.statement.effect == "deny"]
    for m in denies:
        if m.covers_all and m.statement.exact:
            return PrefixDecision(who, prefix, False, Rule(POLICY_DENY, match=m))
    if not denies:
        for m in matches:
            if m.covers_all and m.statement.exact and m.statement.effect == "allow":
                return PrefixDecision(who, prefix, True, Rule(POLICY_ALLOW, match=m))
    grants = bucket_acl.read_grants_for(who)
    inherited = Rule(BUCKET_ACL, grant=grants[0]) if grants else None
    if inherited and grants[0] not in bucket_acl.grants:
        inherited = Rule(BUCKET_ACL, grant=grants[0], canned=bucket_acl.canned)
    return PrefixDecision(who, prefix, None, partial=tuple(matches), bucket_acl=inherited)
