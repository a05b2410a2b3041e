"""Checks before a bucket policy is saved: the reasons go next to the policy field.

COS refuses what it does not accept too (coslocal: `coslocal/policy.py`), but a reason that
names the statement and the element, before anything is sent, is what an admin can act on. Two
checks only the console can make: the policy must not lock the console itself out, and making
objects public is said out loud (the view asks for confirmation).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext as _

from objects_app.access.globs import covers_all_under
from objects_app.access.policy import Match, Policy, action_label
from objects_app.access.principals import (
    ANYONE,
    ANYONE_PRINCIPAL,
    Principal,
    PrincipalError,
    parse_account,
)

# COS documents 4,095 bytes per statement (436/8282) and no total; S3's 20 KB is the total here.
MAX_POLICY_BYTES = 20 * 1024
MAX_STATEMENT_BYTES = 4095
_ACTION = re.compile(r"^(\*|name/cos:[A-Za-z*]+)$")
_RESOURCE = re.compile(r"^qcs::cos:(?P<region>[^:]*):uid/(?P<appid>[^:]*):(?P<bucket>[^/]+)(/.*)?$")
_STATEMENT_KEYS = {
    "sid",
    "effect",
    "principal",
    "action",
    "resource",
    "condition",
    "notaction",
    "notresource",
    "notprincipal",
}
# What the console needs so that an admin can always undo a policy: manage the policy and the
# bucket ACL, list, and read/write/delete objects and their ACLs anywhere in the bucket.
BUCKET_ACTIONS = (
    "GetBucketPolicy",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "GetBucket",
    "GetBucketACL",
    "PutBucketACL",
)
OBJECT_ACTIONS = ("GetObject", "PutObject", "DeleteObject", "GetObjectACL", "PutObjectACL")


def _lower(obj: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in obj.items()}


def _strings(value: Any) -> list[str] | None:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        return None
    return items


def _check_principal(value: Any) -> list[str]:
    found = _lower(value) if isinstance(value, dict) else {}
    qcs = _strings(found.get("qcs"))
    if set(found) != {"qcs"} or qcs is None:
        return [_('principal must be {"qcs": [...]} with CAM principals.')]
    errors = []
    for p in qcs:
        if p == ANYONE_PRINCIPAL:
            continue
        try:
            parse_account(p)
            if not p.startswith("qcs::cam::uin/"):
                raise PrincipalError(p)
        except PrincipalError:
            errors.append(
                _("unknown principal %(p)s: use %(anyone)s or qcs::cam::uin/<root>:uin/<uin>.")
                % {"p": p, "anyone": ANYONE_PRINCIPAL}
            )
    return errors


def _check_actions(value: Any) -> list[str]:
    actions = _strings(value)
    if actions is None:
        return [_("action must be a string or a non-empty list of strings.")]
    return [
        _("unknown action %(a)s: use name/cos:<Action>, for example name/cos:GetObject.") % {"a": a}
        for a in actions
        if not _ACTION.match(a)
    ]


def _check_resources(value: Any, bucket: str, region: str, appid: str) -> list[str]:
    resources = _strings(value)
    if resources is None:
        return [_("resource must be a string or a non-empty list of strings.")]
    example = f"qcs::cos:{region}:uid/{appid}:{bucket}/*"
    errors = []
    for r in resources:
        m = _RESOURCE.match(r)
        ok = r == "*" or (
            m is not None
            and m["region"] in (region, "", "*")
            and m["appid"] == appid
            and m["bucket"] == bucket
        )
        if not ok:
            errors.append(
                _("resource %(r)s is not in this bucket: write it as %(example)s.")
                % {"r": r, "example": example}
            )
    return errors


def _check_statement(raw: Any, top_principal: Any, ctx: tuple[str, str, str]) -> list[str]:
    if not isinstance(raw, dict):
        return [_("a statement must be a JSON object.")]
    if (
        len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
        > MAX_STATEMENT_BYTES
    ):
        return [
            _("it is longer than %(n)s bytes (COS's limit per statement).")
            % {"n": MAX_STATEMENT_BYTES}
        ]
    st = _lower(raw)
    errors = [
        _("unknown element %(name)s.") % {"name": k} for k in sorted(set(st) - _STATEMENT_KEYS)
    ]
    effect = st.get("effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        errors.append(_("effect must be Allow or Deny."))
    principal = st.get("principal", top_principal)
    errors += [_("it has no principal.")] if principal is None else _check_principal(principal)
    if "action" not in st:
        errors.append(_("it has no action."))
    else:
        errors += _check_actions(st["action"])
    if "resource" not in st:
        errors.append(_("it has no resource."))
    else:
        errors += _check_resources(st["resource"], *ctx)
    return errors


def _parse_json(text: str) -> tuple[Any, list[str]]:
    size = len(text.encode())
    if size > MAX_POLICY_BYTES:
        return None, [
            _("The policy is %(size)s bytes; at most %(max)s bytes are accepted.")
            % {"size": f"{size:,}", "max": f"{MAX_POLICY_BYTES:,}"}
        ]
    try:
        return json.loads(text), []
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        message = getattr(exc, "msg", str(exc))
        return None, [
            _("This is not valid JSON (line %(line)s, column %(col)s: %(msg)s).")
            % {"line": line, "col": col, "msg": message}
        ]


def policy_errors(text: str, *, bucket: str, region: str, appid: str) -> list[str]:
    """Everything wrong with a policy document, each reason naming its statement."""
    doc, errors = _parse_json(text)
    if errors:
        return errors
    if not isinstance(doc, dict):
        return [_("The policy must be a JSON object with a statement list.")]
    top = _lower(doc)
    errors = [
        _("Unknown top-level element %(name)s.") % {"name": k}
        for k in sorted(set(top) - {"version", "statement", "principal"})
    ]
    if top.get("version", "2.0") != "2.0":
        errors.append(_('version must be "2.0".'))
    statements = top.get("statement")
    if not isinstance(statements, list) or not statements:
        return [*errors, _("statement must be a non-empty list.")]
    for n, raw in enumerate(statements, 1):
        errors += [
            _("Statement %(n)s: %(reason)s") % {"n": n, "reason": reason}
            for reason in _check_statement(raw, top.get("principal"), (bucket, region, appid))
        ]
    return errors


def _locks_out(match: Match, who: Principal, action: str) -> str:
    where = _("the whole bucket") if match.pattern in ("*", "") else match.where
    return _(
        "Statement %(n)s denies %(action)s to %(who)s on %(where)s: the console (%(who)s) could "
        "no longer undo this policy. Narrow the statement's principal or resource."
    ) % {
        "n": match.statement.number,
        "action": action_label(match.action),
        "who": who.qcs or ANYONE_PRINCIPAL,
        "where": where,
    }


def lockout_errors(policy: Policy, *, bucket: str, console: list[Principal]) -> list[str]:
    """Deny statements (conditional ones too: they might apply) that would stop the console
    from managing the bucket: `console` are the identities the console's credentials act as."""
    errors: list[str] = []
    for who in console:
        for action in BUCKET_ACTIONS:
            for m in policy.matching(who, action, bucket, ""):
                if m.statement.effect == "deny":
                    errors.append(_locks_out(m, who, action))
        for action in OBJECT_ACTIONS:
            for m in policy.under_prefix(who, action, bucket, ""):
                if m.statement.effect == "deny" and covers_all_under(m.pattern, ""):
                    errors.append(_locks_out(m, who, action))
    return list(dict.fromkeys(errors))


def public_matches(policy: Policy, *, bucket: str) -> list[Match]:
    """Allow statements that let anyone read objects: what the confirmation names."""
    found = policy.under_prefix(ANYONE, "GetObject", bucket, "")
    return [m for m in found if m.statement.effect == "allow"]
