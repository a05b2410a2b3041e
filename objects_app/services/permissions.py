"""Changes to ACLs and bucket policies: checked, confirmed when they make anything public, audited
with the state before and after.

A change is read-modify-write: the current ACL is read, the one change applied, and the whole
ACL written back as `x-cos-acl` plus `x-cos-grant-*` headers (so `default` keeps inheriting and
every other grant is kept). Services return `ConfirmNeeded` instead of acting when the change
exposes something that was not exposed before and the caller has not confirmed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from objects_app.access import checks, words
from objects_app.access.acl import EVERYONE, MAX_GRANTS, SIGNED_IN, Acl, Grant, acl_headers
from objects_app.access.decide import POLICY_ALLOW, Rule, exposure
from objects_app.access.policy import Match, Policy, policy_from_document
from objects_app.access.principals import Principal, principal_of_grantee
from objects_app.cos import CosServiceError
from objects_app.errors import InvalidInput, ObjectsError
from objects_app.selectors.permissions import bucket_acl, bucket_policy, object_acl
from objects_app.services.audit import audited
from objects_app.storage import console_principal, cos_region, get_cos_client

AUDIT_SIDE_CHARS = 900  # each of "before" and "after" in the 2,000-character audit detail


@dataclass(frozen=True)
class AclChange:
    """One change: `op` is "canned" (set `canned`), "add" or "remove" (`grant`)."""

    op: str
    canned: str = ""
    grant: Grant | None = None

    def apply(self, acl: Acl) -> Acl:
        if self.op == "canned":
            return acl.with_canned(self.canned)
        assert self.grant is not None
        if self.op == "add":
            if len(acl.grants) >= MAX_GRANTS:
                raise ObjectsError(
                    _("An ACL holds at most %(n)s grants.") % {"n": MAX_GRANTS},
                    fields={"grantee": [_("The ACL is full.")]},
                )
            return acl.with_grant(self.grant)
        if self.grant not in acl.grants:
            raise ObjectsError(
                _("That grant is not in the ACL any more (it changed meanwhile); reload."),
                status=409,
            )
        return acl.without_grant(self.grant)


@dataclass(frozen=True)
class ConfirmNeeded:
    """What the change would expose, in sentences, for the confirmation dialog."""

    lines: list[SafeString] = field(default_factory=list)


def _wide(acl: Acl, b_acl: Acl | None) -> set[Grant]:
    """Grants to everyone or to every signed-in user, inherited ones included."""
    grants = {g for g in acl.effective if g.kind in (EVERYONE, SIGNED_IN)}
    if b_acl is not None and acl.inherits:
        grants |= {g for g in b_acl.effective if g.kind in (EVERYONE, SIGNED_IN)}
    return grants


def _acl_detail(before: Acl, after: Acl) -> str:
    return f"before: {before.describe()} | after: {after.describe()}"


def object_acl_change(
    *, user: Any, bucket: str, key: str, change: AclChange, confirmed: bool
) -> Acl | ConfirmNeeded:
    """Change the object's ACL; making it public needs `confirmed`."""
    before = object_acl(bucket, key)
    after = change.apply(before)
    b_acl = bucket_acl(bucket)
    exposed = _wide(after, b_acl) - _wide(before, b_acl)
    if exposed and not confirmed:
        found = exposure(
            bucket=bucket, key=key, acl=after, bucket_acl=b_acl, policy=bucket_policy(bucket)
        )
        lines = [words.decision_sentence(found.decision, b_acl.owner)] if found.public else []
        return ConfirmNeeded(lines + _exposure_lines(after, exposed, bucket=False))
    detail = _acl_detail(before, after)
    with audited(user=user, action="object.acl", bucket=bucket, key=key, detail=detail):
        get_cos_client().put_object_acl(Bucket=bucket, Key=key, **acl_headers(after))
    return after


def bucket_acl_change(
    *, user: Any, bucket: str, change: AclChange, confirmed: bool
) -> Acl | ConfirmNeeded:
    """Change the bucket's ACL; granting anything to everyone needs `confirmed`."""
    before = bucket_acl(bucket)
    after = change.apply(before)
    exposed = _wide(after, None) - _wide(before, None)
    if exposed and not confirmed:
        return ConfirmNeeded(_exposure_lines(after, exposed, bucket=True))
    detail = _acl_detail(before, after)
    with audited(user=user, action="bucket.acl", bucket=bucket, detail=detail):
        get_cos_client().put_bucket_acl(Bucket=bucket, **acl_headers(after))
    return after


def _exposure_lines(after: Acl, exposed: set[Grant], *, bucket: bool) -> list[SafeString]:
    lines = [
        format_html(
            _("{who} will be able to {what}."),
            who=words.grantee_words(g, after.owner),
            what=words.permission_words(g.permission),
        )
        for g in sorted(exposed, key=lambda g: (g.grantee, g.permission))
    ]
    if bucket and any(g.gives_read for g in exposed):
        text = _(
            "Reading covers listing every key, and every object whose ACL is {default} inherits it."
        )
        lines.append(format_html(text, default=words.code("default")))
    return lines


# --- bucket policy ---------------------------------------------------------------------------


def _console_identities(owner: str) -> list[Principal]:
    found = [principal_of_grantee(owner), principal_of_grantee(console_principal())]
    return [p for p in found if p is not None]


def _summary(policy: Policy) -> str:
    if not policy.statements:
        return "none"
    compact = json.dumps(json.loads(policy.document), separators=(",", ":"), ensure_ascii=False)
    if len(compact) <= AUDIT_SIDE_CHARS:
        return compact
    digest = hashlib.sha256(compact.encode()).hexdigest()[:16]
    return f"{len(policy.statements)} statements, {len(compact)} chars, sha256 {digest}…"


def _public_phrases(policy: Policy, bucket: str) -> dict[tuple[str, str], SafeString]:
    return {
        (m.action, m.pattern): format_html(
            _("Anyone on the internet: {why}."), why=words.rule_phrase(_allow_rule(m))
        )
        for m in checks.public_matches(policy, bucket=bucket)
    }


def _allow_rule(match: Match) -> Rule:
    return Rule(POLICY_ALLOW, match=match)


def policy_check(*, bucket: str, text: str) -> Policy:
    """The policy, or InvalidInput with every reason (shown next to the policy field)."""
    appid = bucket.rsplit("-", 1)[-1]
    errors = checks.policy_errors(text, bucket=bucket, region=cos_region(), appid=appid)
    policy = policy_from_document(text)
    if not errors:
        owner = bucket_acl(bucket).owner
        errors = checks.lockout_errors(policy, bucket=bucket, console=_console_identities(owner))
    if errors:
        raise InvalidInput(" ".join(errors[:3]), fields={"policy": errors})
    return policy


def bucket_policy_put(
    *, user: Any, bucket: str, text: str, confirmed: bool
) -> Policy | ConfirmNeeded:
    """Replace the bucket policy; letting anyone read objects needs `confirmed`."""
    after = policy_check(bucket=bucket, text=text)
    before = bucket_policy(bucket)
    new_public = _public_phrases(after, bucket)
    exposed = [line for k, line in new_public.items() if k not in _public_phrases(before, bucket)]
    if exposed and not confirmed:
        return ConfirmNeeded(exposed)
    detail = f"before: {_summary(before)} | after: {_summary(after)}"
    try:
        with audited(user=user, action="bucket.policy", bucket=bucket, detail=detail):
            get_cos_client().put_bucket_policy(Bucket=bucket, Policy=text)
    except CosServiceError as exc:
        if exc.get_status_code() != 400:
            raise
        reason = _("COS refused the policy: %(msg)s") % {"msg": exc.get_error_msg()}
        raise InvalidInput(reason, fields={"policy": [reason]}) from exc
    return after


def bucket_policy_delete(*, user: Any, bucket: str) -> None:
    before = bucket_policy(bucket)
    detail = f"before: {_summary(before)} | after: none"
    with audited(user=user, action="bucket.policy.delete", bucket=bucket, detail=detail):
        get_cos_client().delete_bucket_policy(Bucket=bucket)
