"""Bucket policies (`?policy`): validation of the JSON document and statement evaluation.

The forms accepted are those the COS console and the SDK docs write (PUT Bucket policy, doc
436/8282; COS API policy guide 436/30580; condition keys 436/46206):

    {"version": "2.0",
     "statement": [{"effect": "allow" | "deny",
                    "principal": {"qcs": ["qcs::cam::anyone:anyone" | "qcs::cam::uin/A:uin/B"]},
                    "action": ["name/cos:GetObject" | "name/cos:*" | "name/cos:Get*" | "*"],
                    "resource": ["qcs::cos:<region>:uid/<appid>:<bucket>/<prefix>*"]}]}

Key names are matched case-insensitively (the docs show both "Statement" and "statement"); a
top-level "principal" applies to statements that have none (the form of doc 436/46206).
Anything else (conditions, Not* elements, other principal kinds, resources outside this bucket)
is refused with 400 InvalidArgument naming the element: coslocal never stores a rule it would
then not enforce. Deny wins over Allow; the engine returns None when no statement applies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from coslocal.errors import CosError

# COS documents one limit: a single statement may not exceed 4095 bytes (PUT Bucket policy,
# 436/8282). It documents none for the whole document; coslocal takes S3's 20 KB.
MAX_STATEMENT_BYTES = 4095
MAX_POLICY_BYTES = 20 * 1024
ANYONE = "qcs::cam::anyone:anyone"
_UIN_PRINCIPAL = re.compile(r"^qcs::cam::uin/(\d+):uin/(\d+)$")
_ACTION = re.compile(r"^(\*|name/cos:[A-Za-z*]+)$")
_RESOURCE = re.compile(
    r"^qcs::cos:(?P<region>[^:]*):uid/(?P<appid>\d+):(?P<bucket>[^/]+)(?P<path>/.*)?$"
)
_STATEMENT_KEYS = {"sid", "effect", "principal", "action", "resource", "condition"}
_UNSUPPORTED = {"notaction", "notresource", "notprincipal"}


@dataclass(frozen=True)
class Statement:
    effect: str  # allow | deny
    principals: tuple[str, ...]
    actions: tuple[re.Pattern[str], ...]
    resources: tuple[re.Pattern[str], ...]


def _bad(message: str) -> CosError:
    return CosError(400, "InvalidArgument", f"Invalid bucket policy: {message}")


def _glob(pattern: str) -> re.Pattern[str]:
    """CAM wildcards: '*' matches any run of characters (nothing else is special)."""
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.S)


def _lower_keys(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _bad(f"{where} must be a JSON object.")
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k.lower() in out:
            raise _bad(f"{where} repeats the element {k!r}.")
        out[k.lower()] = v
    return out


def _strings(value: Any, what: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise _bad(f"{what} must be a string or a non-empty list of strings.")
    return [i.strip() for i in items]


def _principals(value: Any) -> tuple[str, ...]:
    found = _lower_keys(value, "principal")
    if set(found) != {"qcs"}:
        raise _bad('principal must be {"qcs": [...]} (CAM principals only).')
    out = []
    for p in _strings(found["qcs"], "principal.qcs"):
        if p != ANYONE and not _UIN_PRINCIPAL.match(p):
            raise _bad(
                f"unsupported principal {p!r}: use {ANYONE} or qcs::cam::uin/<owner>:uin/<uin>."
            )
        out.append(p)
    return tuple(out)


def _actions(value: Any) -> tuple[re.Pattern[str], ...]:
    out = []
    for a in _strings(value, "action"):
        if not _ACTION.match(a):
            raise _bad(f"unsupported action {a!r}: use name/cos:<Action> (wildcards allowed).")
        out.append(_glob(a.removeprefix("name/cos:")))
    return tuple(out)


def _resources(value: Any, region: str, appid: str, bucket: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for r in _strings(value, "resource"):
        if r == "*":
            out.append(_glob("*"))
            continue
        m = _RESOURCE.match(r)
        if not m or m["region"] not in (region, "*", "") or m["appid"] != appid:
            raise _bad(
                f"resource {r!r} must be qcs::cos:{region}:uid/{appid}:{bucket}/<path> (or *)."
            )
        if m["bucket"] != bucket:
            raise _bad(f"resource {r!r} names another bucket than {bucket}.")
        out.append(_glob(m["bucket"] + (m["path"] or "")))
    return tuple(out)


def _statement(raw: Any, default_principal: Any, ctx: tuple[str, str, str]) -> Statement:
    if (
        len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
        > MAX_STATEMENT_BYTES
    ):
        raise _bad(f"a statement is longer than {MAX_STATEMENT_BYTES} bytes.")
    st = _lower_keys(raw, "a statement")
    unsupported = sorted(
        (set(st) & _UNSUPPORTED) | ({"condition"} if st.get("condition") else set())
    )
    if unsupported:
        raise _bad(f"coslocal does not support the element(s) {', '.join(unsupported)}.")
    unknown = sorted(set(st) - _STATEMENT_KEYS)
    if unknown:
        raise _bad(f"unknown element(s) {', '.join(unknown)} in a statement.")
    effect = st.get("effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise _bad("effect must be allow or deny.")
    for needed in ("action", "resource"):
        if needed not in st:
            raise _bad(f"a statement has no {needed}.")
    principal = st.get("principal", default_principal)
    if principal is None:
        raise _bad("a statement has no principal.")
    return Statement(
        effect.lower(),
        _principals(principal),
        _actions(st["action"]),
        _resources(st["resource"], *ctx),
    )


def parse(body: bytes, *, region: str, appid: str, bucket: str) -> tuple[str, list[Statement]]:
    """Validate a PUT Bucket policy body: (the document to store, its compiled statements)."""
    if len(body) > MAX_POLICY_BYTES:
        raise _bad(f"the policy is larger than {MAX_POLICY_BYTES} bytes.")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(f"the body is not JSON ({exc}).") from exc
    top = _lower_keys(doc, "the policy")
    unknown = sorted(set(top) - {"version", "statement", "principal"})
    if unknown:
        raise _bad(f"unknown top-level element(s) {', '.join(unknown)}.")
    if top.get("version", "2.0") != "2.0":
        raise _bad('version must be "2.0".')
    raw = top.get("statement")
    if not isinstance(raw, list) or not raw:
        raise _bad("statement must be a non-empty list.")
    statements = [_statement(s, top.get("principal"), (region, appid, bucket)) for s in raw]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")), statements


def compile_stored(document: str, *, region: str, appid: str, bucket: str) -> list[Statement]:
    return parse(document.encode(), region=region, appid=appid, bucket=bucket)[1]


def evaluate(
    statements: list[Statement], principal: str | None, actions: tuple[str, ...], resource: str
) -> str | None:
    """'deny' if any matching statement denies, else 'allow' if one allows, else None.

    `principal` is the caller's qcs::cam::uin/A:uin/B (None: anonymous, matched only by
    anyone:anyone); `resource` is '<bucket>/<key>' for objects and '<bucket>/' for the bucket.
    """
    # a bucket-level request ('<bucket>/') is also matched by a resource naming the bare bucket
    names = (
        (resource, resource[:-1])
        if resource.count("/") == 1 and resource.endswith("/")
        else (resource,)
    )
    verdict = None
    for st in statements:
        if not any(p in (ANYONE, principal) for p in st.principals):
            continue
        if not any(a.match(name) for a in st.actions for name in actions):
            continue
        if not any(r.match(name) for r in st.resources for name in names):
            continue
        if st.effect == "deny":
            return "deny"
        verdict = "allow"
    return verdict
