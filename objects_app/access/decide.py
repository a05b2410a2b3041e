"""Can principal P read object K? One answer from the three sources, with the rule that decides.

The order is COS's (and coslocal's, `coslocal/access.py`): the bucket owner's root account may
do everything; a bucket policy statement that denies wins over everything else; otherwise read
access comes from the object's ACL, from the bucket's ACL when the object's ACL is `default`
(it inherits), or from a policy statement that allows. Every source that allows is kept, so a
page can say what else would still expose an object once the deciding rule is removed.

`acl=None` means the object's ACL could not be read: the answer is then "unknown" unless the
policy alone decides it (a Deny, or an Allow).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from objects_app.access.acl import Acl, Grant
from objects_app.access.policy import EMPTY, Match, Policy
from objects_app.access.principals import ANYONE, AUTHENTICATED, Principal

READ_ACTION = "GetObject"

# Rule kinds, also the audit's reason categories.
OWNER = "owner"
POLICY_DENY = "policy-deny"
OBJECT_ACL = "object-acl"
BUCKET_ACL = "bucket-acl"
POLICY_ALLOW = "policy-allow"
NOTHING = "nothing"
ACL_UNREADABLE = "acl-unreadable"
POLICY_MAYBE = "policy-maybe"


@dataclass(frozen=True)
class Rule:
    kind: str
    grant: Grant | None = None  # OBJECT_ACL / BUCKET_ACL: the grant that gives read
    canned: str = ""  # OBJECT_ACL / BUCKET_ACL: the canned ACL when the grant comes from it
    match: Match | None = None  # POLICY_*: the statement, action and keys
    error: str = ""  # ACL_UNREADABLE: why (e.g. "403 AccessDenied")


@dataclass(frozen=True)
class Decision:
    """`allowed` is True, False, or None (unknown); `rule` decides; `also` allow as well."""

    who: Principal
    allowed: bool | None
    rule: Rule
    also: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def reason(self) -> str:
        return self.rule.kind


def _acl_rule(kind: str, acl: Acl, who: Principal) -> Rule | None:
    grants = acl.read_grants_for(who)
    if not grants:
        return None
    canned_grants = set(acl.effective) - set(acl.grants)
    grant = grants[0]
    return Rule(kind, grant=grant, canned=acl.canned if grant in canned_grants else "")


def _exact(matches: list[Match], effect: str) -> list[Match]:
    return [m for m in matches if m.statement.effect == effect and m.statement.exact]


def _inexact(matches: list[Match], effect: str) -> list[Match]:
    return [m for m in matches if m.statement.effect == effect and not m.statement.exact]


def can_read(
    who: Principal,
    *,
    bucket: str,
    key: str,
    acl: Acl | None,
    bucket_acl: Acl,
    policy: Policy = EMPTY,
) -> Decision:
    """May `who` GET `key` (any version: versions share the policy, each has its own ACL)?"""
    if who.is_root and who.qcs == bucket_acl.owner:
        return Decision(who, True, Rule(OWNER))
    matches = policy.matching(who, READ_ACTION, bucket, key)
    if denies := _exact(matches, "deny"):
        return Decision(who, False, Rule(POLICY_DENY, match=denies[0]))
    allowing = _allowing_rules(who, acl, bucket_acl, matches)
    maybe_deny = _inexact(matches, "deny")
    if allowing:
        if maybe_deny:  # a conditional Deny may still win
            return Decision(who, None, Rule(POLICY_MAYBE, match=maybe_deny[0]), tuple(allowing))
        return Decision(who, True, allowing[0], tuple(allowing[1:]))
    if acl is None:
        return Decision(who, None, Rule(ACL_UNREADABLE))
    if maybe_allow := _inexact(matches, "allow"):
        return Decision(who, None, Rule(POLICY_MAYBE, match=maybe_allow[0]))
    return Decision(who, False, Rule(NOTHING))


def _allowing_rules(
    who: Principal, acl: Acl | None, bucket_acl: Acl, matches: list[Match]
) -> list[Rule]:
    rules: list[Rule] = []
    if acl is not None:
        rules += filter(None, [_acl_rule(OBJECT_ACL, acl, who)])
        if acl.inherits:
            rules += filter(None, [_acl_rule(BUCKET_ACL, bucket_acl, who)])
    rules += [Rule(POLICY_ALLOW, match=m) for m in _exact(matches, "allow")]
    return rules


def unreadable(decision: Decision, error: str) -> Decision:
    """Attach the reason an ACL could not be read to an "unknown" answer."""
    if decision.rule.kind != ACL_UNREADABLE:
        return decision
    return Decision(decision.who, None, Rule(ACL_UNREADABLE, error=error), decision.also)


@dataclass(frozen=True)
class Exposure:
    """Is an object public: readable by anyone on the internet, or else by every signed-in
    COS user (`authenticated-read`)? `decision` is the answer that says so and why."""

    public: bool | None
    decision: Decision

    @property
    def reason(self) -> str:
        return self.decision.rule.kind


def exposure(
    *,
    bucket: str,
    key: str,
    acl: Acl | None,
    bucket_acl: Acl,
    policy: Policy = EMPTY,
    error: str = "",
) -> Exposure:
    anyone = can_read(ANYONE, bucket=bucket, key=key, acl=acl, bucket_acl=bucket_acl, policy=policy)
    if anyone.allowed:
        return Exposure(True, anyone)
    signed = can_read(
        AUTHENTICATED, bucket=bucket, key=key, acl=acl, bucket_acl=bucket_acl, policy=policy
    )
    if signed.allowed:
        return Exposure(True, signed)
    # Unknown for either audience is unknown overall; a definite "no" needs both to say no.
    for answer in (anyone, signed):
        if answer.allowed is None:
            return Exposure(None, unreadable(answer, error))
    return Exposure(False, anyone)
