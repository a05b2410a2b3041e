"""ACLs: canned ACL + grants, from headers or XML, rendered as AccessControlPolicy.

Stored form: {"canned": "private" | "public-read" | ... | "default", "grants": [
{"type": "CanonicalUser", "id": "qcs::cam::uin/1:uin/1", "perm": "READ"} |
{"type": "Group", "uri": ALL_USERS, "perm": "READ"}], "exact": bool}.

"exact" marks an ACL given as a grant list (an XML body, or grant headers without x-cos-acl): it
reads back with exactly those grants, as COS does (the Node SDK's tests put one grant and expect
one back). A canned ACL reads back as the owner's FULL_CONTROL plus the canned grants.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

from coslocal.auth import Identity
from coslocal.errors import CosError, invalid_argument, malformed_xml
from coslocal.xmlout import Node, child_text

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
AUTH_USERS = "http://cam.qcloud.com/groups/global/AuthenticatedUsers"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

BUCKET_CANNED = {"private", "public-read", "public-read-write", "authenticated-read"}
OBJECT_CANNED = {
    "default",
    "private",
    "public-read",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
}
GRANT_HEADERS = {
    "x-cos-grant-read": "READ",
    "x-cos-grant-write": "WRITE",
    "x-cos-grant-read-acp": "READ_ACP",
    "x-cos-grant-write-acp": "WRITE_ACP",
    "x-cos-grant-full-control": "FULL_CONTROL",
}
PERMISSIONS = {"READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"}
MAX_GRANTS = 100
_GRANTEE = re.compile(r'\s*(id|uin|uri)\s*=\s*"([^"]*)"\s*')


def _uin_id(value: str) -> str:
    if value.startswith("qcs::cam::"):
        return value
    return f"qcs::cam::uin/{value}:uin/{value}"


def _parse_grantees(value: str, perm: str) -> list[dict[str, str]]:
    grants = []
    for item in value.split(","):
        if not item.strip():
            continue
        m = _GRANTEE.fullmatch(item)
        if not m:
            raise invalid_argument(f"Invalid grant header value: {item!r}")
        kind, val = m.groups()
        if kind == "uri":
            grants.append({"type": "Group", "uri": val, "perm": perm})
        else:
            grants.append({"type": "CanonicalUser", "id": _uin_id(val), "perm": perm})
    return grants


def from_headers(headers: dict[str, str], *, bucket: bool, default: str) -> dict[str, Any] | None:
    """The ACL given by x-cos-acl / x-cos-grant-* headers, or None if there are none."""
    canned = headers.get("x-cos-acl")
    grants: list[dict[str, str]] = []
    for name, perm in GRANT_HEADERS.items():
        if name in headers:
            if perm == "WRITE" and not bucket:
                raise invalid_argument("Objects do not support x-cos-grant-write.")
            grants += _parse_grantees(headers[name], perm)
    if canned is None and not grants:
        return None
    allowed = BUCKET_CANNED if bucket else OBJECT_CANNED
    if canned is not None and canned not in allowed:
        raise invalid_argument(f"Invalid x-cos-acl value: {canned}")
    if canned is None:  # grants alone replace the ACL: exactly these grants, nothing inherited
        return {"canned": "private", "grants": grants, "exact": True}
    return {"canned": canned, "grants": grants}


def from_xml(root: Element, *, bucket: bool) -> dict[str, Any]:
    if root.tag != "AccessControlPolicy":
        raise malformed_xml()
    grants = []
    for grant in root.iter("Grant"):
        perm = child_text(grant, "Permission") or ""
        grantee = grant.find("Grantee")
        if perm not in PERMISSIONS or grantee is None or (perm == "WRITE" and not bucket):
            raise malformed_xml("Invalid Grant in AccessControlPolicy.")
        uri = child_text(grantee, "URI")
        if uri:
            grants.append({"type": "Group", "uri": uri, "perm": perm})
        else:
            gid = child_text(grantee, "ID")
            if not gid:
                raise malformed_xml("A Grantee needs an ID or a URI.")
            grants.append({"type": "CanonicalUser", "id": _uin_id(gid), "perm": perm})
    if len(grants) > MAX_GRANTS:
        raise CosError(400, "InvalidArgument", "Too many grants (at most 100).")
    return {"canned": "private", "grants": grants, "exact": True}


def _canned_grants(canned: str) -> list[dict[str, str]]:
    if canned == "public-read":
        return [{"type": "Group", "uri": ALL_USERS, "perm": "READ"}]
    if canned == "public-read-write":
        return [
            {"type": "Group", "uri": ALL_USERS, "perm": "READ"},
            {"type": "Group", "uri": ALL_USERS, "perm": "WRITE"},
        ]
    if canned == "authenticated-read":
        return [{"type": "Group", "uri": AUTH_USERS, "perm": "READ"}]
    return []


def effective_grants(acl: dict[str, Any]) -> list[dict[str, str]]:
    return _canned_grants(acl.get("canned", "private")) + list(acl.get("grants", []))


def _grantee_matches(g: dict[str, str], identity: Identity) -> bool:
    if g["type"] == "Group":
        return g["uri"] == ALL_USERS or (g["uri"] == AUTH_USERS and not identity.anonymous)
    # qcs::cam::anyone:anyone is how COS names everyone as a CanonicalUser (the Node SDK reads it)
    return g["id"] == "qcs::cam::anyone:anyone" or g["id"] == identity.principal


def grants(acl: dict[str, Any], identity: Identity, perm: str) -> bool:
    """Does this ACL grant `perm` (or FULL_CONTROL) to the caller? The owner's implicit
    FULL_CONTROL is not considered here: the owner never needs an ACL."""
    return any(
        g["perm"] in (perm, "FULL_CONTROL") and _grantee_matches(g, identity)
        for g in effective_grants(acl)
    )


def inherits(acl: dict[str, Any]) -> bool:
    """An object ACL of "default" defers to its bucket's ACL."""
    return acl.get("canned", "default") == "default" and not acl.get("exact")


def _grantee(g: dict[str, str]) -> Node:
    if g["type"] == "Group":
        return (f'Grantee {XSI} xsi:type="Group"', [("URI", g["uri"])])
    return (
        f'Grantee {XSI} xsi:type="CanonicalUser"',
        [("ID", g["id"]), ("DisplayName", g["id"])],
    )


def render(acl: dict[str, Any], owner_id: str) -> list[Node]:
    listed = list(acl.get("grants", []))
    if not acl.get("exact"):
        owner = {"type": "CanonicalUser", "id": owner_id, "perm": "FULL_CONTROL"}
        listed = [owner, *effective_grants(acl)]
    return [
        ("Owner", [("ID", owner_id), ("DisplayName", owner_id)]),
        (
            "AccessControlList",
            [("Grant", [_grantee(g), ("Permission", g["perm"])]) for g in listed],
        ),
    ]
