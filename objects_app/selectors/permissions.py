"""Reads for the permissions screens: the three sources fetched, then decided and put in words.

The decisions themselves are `objects_app.access` (pure); this module only fetches the object
ACL, the bucket ACL and the bucket policy through the console's client and shapes the answers
for templates.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from objects_app.access import words
from objects_app.access.acl import Acl, Grant, acl_from_sdk
from objects_app.access.decide import Exposure, can_read, exposure, unreadable
from objects_app.access.policy import EMPTY, Policy, Statement, action_label, policy_from_document
from objects_app.access.prefix import PrefixDecision, can_read_prefix
from objects_app.access.principals import Principal, principal_of_grantee
from objects_app.cos import CosServiceError
from objects_app.storage import cos_region, get_cos_client

NO_POLICY_CODES = {"NoSuchPolicy", "NoSuchBucketPolicy"}
PREFIX_SAMPLE = 20  # objects checked one by one under a prefix ("who can read this?")
SAMPLE_THREADS = 8


def bucket_acl(bucket: str) -> Acl:
    return acl_from_sdk(get_cos_client().get_bucket_acl(Bucket=bucket), bucket=True)


def object_acl(bucket: str, key: str, version_id: str = "") -> Acl:
    kwargs = {"VersionId": version_id} if version_id else {}
    answer = get_cos_client().get_object_acl(Bucket=bucket, Key=key, **kwargs)
    return acl_from_sdk(answer, bucket=False)


def bucket_policy(bucket: str) -> Policy:
    """The bucket policy; a bucket without one has the empty policy."""
    try:
        answer = get_cos_client().get_bucket_policy(Bucket=bucket)
    except CosServiceError as exc:
        if exc.get_error_code() in NO_POLICY_CODES:
            return EMPTY
        raise
    return policy_from_document(answer["Policy"])


@dataclass(frozen=True)
class GrantRow:
    grant: Grant
    who: str  # in words
    what: str  # the permission in words
    from_canned: bool  # implied by the canned ACL (removed by changing it, not one by one)

    @property
    def value(self) -> str:
        """How a remove button names the grant."""
        return f"{self.grant.permission}|{self.grant.grantee}"


def grant_rows(acl: Acl) -> list[GrantRow]:
    implied = [g for g in acl.effective if g not in acl.grants]
    rows = [
        GrantRow(g, words.grantee_words(g, acl.owner), words.permission_words(g.permission), True)
        for g in implied
    ]
    rows += [
        GrantRow(g, words.grantee_words(g, acl.owner), words.permission_words(g.permission), False)
        for g in acl.grants
    ]
    return rows


def owner_words(acl: Acl) -> str:
    owner = principal_of_grantee(acl.owner)
    return words.who_words(owner, acl.owner) if owner else acl.owner


@dataclass(frozen=True)
class ObjectPermissions:
    bucket: str
    key: str
    version_id: str
    acl: Acl
    bucket_acl: Acl
    policy: Policy
    exposure: Exposure
    sentence: SafeString
    also: list[SafeString]
    grants: list[GrantRow]
    owner: str

    @property
    def public(self) -> bool | None:
        return self.exposure.public


def object_permissions(*, bucket: str, key: str, version_id: str = "") -> ObjectPermissions:
    """Owner, canned ACL, every grant, and whether the object is public, with the reason."""
    acl = object_acl(bucket, key, version_id)
    b_acl, policy = bucket_acl(bucket), bucket_policy(bucket)
    found = exposure(bucket=bucket, key=key, acl=acl, bucket_acl=b_acl, policy=policy)
    decision = found.decision
    return ObjectPermissions(
        bucket=bucket,
        key=key,
        version_id=version_id,
        acl=acl,
        bucket_acl=b_acl,
        policy=policy,
        exposure=found,
        sentence=words.decision_sentence(decision, b_acl.owner),
        also=[words.rule_phrase(r, b_acl.owner) for r in decision.also],
        grants=grant_rows(acl),
        owner=owner_words(acl),
    )


@dataclass(frozen=True)
class StatementRow:
    number: int
    effect: str
    principals: list[tuple[str, str]]  # (in words, raw)
    actions: list[str]
    resources: list[str]  # key patterns in this bucket, or the raw resource
    exact: bool
    sid: str


def _principal_words(raw: str, owner: str) -> str:
    if raw in ("qcs::cam::anyone:anyone", "*"):
        return words.who_words(Principal("anyone"), owner)
    who = principal_of_grantee(raw)
    return words.who_words(who, owner) if who else raw


def statement_rows(policy: Policy, bucket: str, owner: str) -> list[StatementRow]:
    return [_statement_row(st, bucket, owner) for st in policy.statements]


def _statement_row(st: Statement, bucket: str, owner: str) -> StatementRow:
    patterns = st.resource_patterns(bucket)
    return StatementRow(
        number=st.number,
        effect=st.effect,
        principals=[(_principal_words(p, owner), p) for p in st.principals],
        actions=[action_label(a) for a in st.actions],
        resources=[p or "/" for _, p in patterns] or list(st.resources),
        exact=st.exact,
        sid=st.sid,
    )


@dataclass
class BucketPermissions:
    bucket: str
    acl: Acl
    policy: Policy
    grants: list[GrantRow]
    statements: list[StatementRow]
    document: str  # pretty JSON, or ""
    owner: str
    public_listing: bool
    answer: WhoAnswer | None = None


def _pretty(document: str) -> str:
    if not document:
        return ""
    try:
        return json.dumps(json.loads(document), indent=2, ensure_ascii=False)
    except ValueError:
        return document


def bucket_permissions(*, bucket: str) -> BucketPermissions:
    """The bucket ACL and policy, as tables and as JSON."""
    acl, policy = bucket_acl(bucket), bucket_policy(bucket)
    listing = policy.matching(Principal("anyone"), "GetBucket", bucket, "")
    public_listing = not any(m.statement.effect == "deny" for m in listing) and (
        any(g.gives_read and g.kind == "everyone" for g in acl.effective) or bool(listing)
    )
    return BucketPermissions(
        bucket=bucket,
        acl=acl,
        policy=policy,
        grants=grant_rows(acl),
        statements=statement_rows(policy, bucket, acl.owner),
        document=_pretty(policy.document),
        owner=owner_words(acl),
        public_listing=public_listing,
    )


@dataclass
class WhoAnswer:
    """The answer to "who can read this?" for one object or a prefix."""

    who: Principal
    target: str
    is_prefix: bool
    allowed: bool | None
    sentence: SafeString
    also: list[SafeString] = field(default_factory=list)
    points: list[SafeString] = field(default_factory=list)
    sample_sentences: list[tuple[str, bool | None, SafeString]] = field(default_factory=list)
    more: bool = False
    note: str = ""
    rule_kind: str = ""  # the deciding rule (objects_app.access.decide kinds)


def who_can_read(
    *, bucket: str, target: str, is_prefix: bool, who: Principal, version_id: str = ""
) -> WhoAnswer:
    b_acl, policy = bucket_acl(bucket), bucket_policy(bucket)
    note = words.cam_note(who, b_acl.owner)
    if not is_prefix:
        acl = object_acl(bucket, target, version_id)
        decision = can_read(
            who, bucket=bucket, key=target, acl=acl, bucket_acl=b_acl, policy=policy
        )
        return WhoAnswer(
            who,
            target,
            False,
            decision.allowed,
            words.decision_sentence(decision, b_acl.owner),
            also=[words.rule_phrase(r, b_acl.owner) for r in decision.also],
            note=note,
            rule_kind=decision.rule.kind,
        )
    found = can_read_prefix(who, bucket=bucket, prefix=target, bucket_acl=b_acl, policy=policy)
    answer = WhoAnswer(
        who,
        target,
        True,
        found.allowed,
        words.prefix_sentence(found, b_acl.owner),
        note=note,
        rule_kind=found.rule.kind if found.rule else "",
    )
    if found.allowed is None:
        answer.points = words.prefix_points(found, b_acl.owner)
        _sample(answer, bucket, b_acl, policy, found)
    return answer


def _sample(
    answer: WhoAnswer, bucket: str, b_acl: Acl, policy: Policy, found: PrefixDecision
) -> None:
    """The first objects under the prefix, each decided with its own ACL."""
    listing = get_cos_client().list_objects(
        Bucket=bucket, Prefix=found.prefix, MaxKeys=PREFIX_SAMPLE
    )
    keys = [item["Key"] for item in listing.get("Contents") or []]
    answer.more = str(listing.get("IsTruncated", "false")).lower() == "true"
    with ThreadPoolExecutor(max_workers=SAMPLE_THREADS) as pool:
        acls = list(pool.map(lambda k: _acl_or_none(bucket, k), keys))
    for key, (acl, error) in zip(keys, acls, strict=True):
        decision = can_read(
            answer.who, bucket=bucket, key=key, acl=acl, bucket_acl=b_acl, policy=policy
        )
        if acl is None:
            decision = unreadable(decision, error)
        sentence = words.rule_phrase(decision.rule, b_acl.owner)
        answer.sample_sentences.append((key, decision.allowed, sentence))


def _acl_or_none(bucket: str, key: str) -> tuple[Acl | None, str]:
    try:
        return object_acl(bucket, key), ""
    except CosServiceError as exc:
        return None, f"{exc.get_status_code()} {exc.get_error_code()}"


def policy_example(bucket: str) -> str:
    """A starting point for a new policy: one sub-account may read one prefix."""
    appid = bucket.rsplit("-", 1)[-1]
    statement = {
        "effect": "allow",
        "principal": {"qcs": [f"qcs::cam::uin/{appid}:uin/100000000011"]},
        "action": ["name/cos:GetObject"],
        "resource": [f"qcs::cos:{cos_region()}:uid/{appid}:{bucket}/reports/*"],
    }
    return json.dumps({"version": "2.0", "statement": [statement]}, indent=2)
