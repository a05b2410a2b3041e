"""Bucket policies: reading a stored policy for evaluation, and checking one before it is saved.

The forms are those the COS console writes (PUT Bucket policy 436/8282; policy guide 436/30580):

    {"version": "2.0",
     "statement": [{"effect": "allow" | "deny",
                    "principal": {"qcs": ["qcs::cam::anyone:anyone" | "qcs::cam::uin/A:uin/B"]},
                    "action": ["name/cos:GetObject" | "name/cos:*" | "name/cos:Get*" | "*"],
                    "resource": ["qcs::cos:<region>:uid/<appid>:<bucket>/<prefix>*"]}]}

Element names are matched case-insensitively; a top-level `principal` applies to statements that
have none. A statement the console cannot evaluate (a condition, a Not* element, an unknown
principal form) is kept and marked `exact=False`, so an answer that depends on it says "maybe"
instead of guessing. Statements are numbered from 1, as people count them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from objects_app.access.globs import covers_all_under, glob_match, matches_some_under
from objects_app.access.principals import ANYONE_PRINCIPAL, Principal, PrincipalError, parse_account

_RESOURCE = re.compile(r"^qcs::cos:(?P<region>[^:]*):uid/(?P<appid>[^:]*):(?P<rest>.+)$")
_INEXACT = ("condition", "notaction", "notresource", "notprincipal")


@dataclass(frozen=True)
class Statement:
    number: int  # 1-based, in document order
    effect: str  # "allow" | "deny"
    principals: tuple[str, ...]
    actions: tuple[str, ...]  # as written, e.g. "name/cos:GetObject"
    resources: tuple[str, ...]  # as written
    sid: str = ""
    exact: bool = True  # False: conditions or Not* elements the console does not evaluate

    @property
    def anyone(self) -> bool:
        return any(p in (ANYONE_PRINCIPAL, "*") for p in self.principals)

    def applies_to(self, who: Principal) -> bool:
        if self.anyone:
            return True
        return who.kind == "account" and any(_same_account(p, who) for p in self.principals)

    def action_for(self, action: str) -> str | None:
        """The action pattern (as written) that covers `action`, if any."""
        for written in self.actions:
            if glob_match(_action_pattern(written), action):
                return written
        return None

    def resource_patterns(self, bucket: str) -> list[tuple[str, str]]:
        """(as written, key pattern) for each resource naming this bucket ("*" = every key)."""
        out = []
        for written in self.resources:
            pattern = _key_pattern(written, bucket)
            if pattern is not None:
                out.append((written, pattern))
        return out


def _same_account(written: str, who: Principal) -> bool:
    try:
        return parse_account(written).qcs == who.qcs
    except PrincipalError:
        return False


def _action_pattern(written: str) -> str:
    return written.removeprefix("name/").removeprefix("cos:")


def _key_pattern(resource: str, bucket: str) -> str | None:
    """The key glob a resource gives inside `bucket`, or None if it names something else.

    `<bucket>/*` and a bare `<bucket>` also cover the bucket itself (its key is "")."""
    if resource == "*":
        return "*"
    m = _RESOURCE.match(resource)
    if not m:
        return None
    rest = m["rest"]
    if rest == bucket:
        return ""
    if not rest.startswith(bucket + "/") and not glob_match(rest.split("/", 1)[0], bucket):
        return None
    return rest.split("/", 1)[1] if "/" in rest else "*"


def action_label(written: str) -> str:
    """`name/cos:GetObject` -> `cos:GetObject` (how the COS console shows actions)."""
    return "*" if written == "*" else "cos:" + _action_pattern(written)


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    document: str = ""  # the JSON as COS returned it

    def matching(self, who: Principal, action: str, bucket: str, key: str) -> list[Match]:
        """Statements that apply to `who` doing `action` on `key`, in document order."""
        found = []
        for st in self.statements:
            written = st.action_for(action)
            if written is None or not st.applies_to(who):
                continue
            for resource, pattern in st.resource_patterns(bucket):
                if glob_match(pattern, key):
                    found.append(Match(st, written, pattern, resource))
                    break
        return found

    def under_prefix(self, who: Principal, action: str, bucket: str, prefix: str) -> list[Match]:
        """Statements that apply to at least one key under `prefix` (Match.covers_all says
        whether they apply to every one)."""
        found = []
        for st in self.statements:
            written = st.action_for(action)
            if written is None or not st.applies_to(who):
                continue
            hits = [
                Match(st, written, pattern, resource, covers_all_under(pattern, prefix))
                for resource, pattern in st.resource_patterns(bucket)
                if matches_some_under(pattern, prefix)
            ]
            if hits:
                found.append(max(hits, key=lambda m: m.covers_all))
        return found


@dataclass(frozen=True)
class Match:
    statement: Statement
    action: str  # as written
    pattern: str  # the key glob
    resource: str  # as written
    covers_all: bool = True

    @property
    def where(self) -> str:
        """The keys it covers, for people: `public/*`, or `*` for the whole bucket."""
        return self.pattern or "/"


EMPTY = Policy(())


def _lower(obj: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in obj.items()} if isinstance(obj, dict) else {}


def _strings(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return ()
    return tuple(str(i).strip() for i in items if isinstance(i, str))


def _principals(value: Any) -> tuple[tuple[str, ...], bool]:
    if value == "*":
        return (ANYONE_PRINCIPAL,), True
    found = _lower(value)
    qcs = _strings(found.get("qcs"))
    return qcs, set(found) == {"qcs"} and bool(qcs)


def _statement(number: int, raw: Any, default_principal: Any) -> Statement:
    st = _lower(raw)
    principals, known = _principals(st.get("principal", default_principal))
    effect = str(st.get("effect") or "").lower()
    exact = known and effect in ("allow", "deny") and not any(st.get(k) for k in _INEXACT)
    return Statement(
        number=number,
        effect=effect if effect in ("allow", "deny") else "allow",
        principals=principals,
        actions=_strings(st.get("action")),
        resources=_strings(st.get("resource")),
        sid=str(st.get("sid") or ""),
        exact=exact,
    )


def policy_from_document(document: str) -> Policy:
    """Read a policy COS returned (it was valid when stored). Never raises on odd content:
    what cannot be evaluated is marked inexact instead."""
    try:
        top = _lower(json.loads(document))
    except ValueError:
        return Policy((), document)
    raw = top.get("statement")
    raw = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    default = top.get("principal")
    return Policy(tuple(_statement(n, s, default) for n, s in enumerate(raw, 1)), document)
