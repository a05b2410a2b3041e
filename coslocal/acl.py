"""ACLs: canned ACL + grants, from headers or XML, rendered as AccessControlPolicy.

Stored form: {"canned": "private" | "public-read" | ... | "default", "grants": [
{"type": "CanonicalUser", "id": "qcs::cam::uin/1:uin/1", "perm": "READ"} |
{"type": "Group", "uri": ALL_USERS, "perm": "READ"}]}.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

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
    return {"canned": canned or default, "grants": grants}


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
    return {"canned": "private", "grants": grants}


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


def allows_anonymous(acl: dict[str, Any], perm: str) -> bool:
    return any(
        g["type"] == "Group" and g["uri"] == ALL_USERS and g["perm"] in (perm, "FULL_CONTROL")
        for g in effective_grants(acl)
    )


def _grantee(g: dict[str, str]) -> Node:
    if g["type"] == "Group":
        return (f'Grantee {XSI} xsi:type="Group"', [("URI", g["uri"])])
    return (
        f'Grantee {XSI} xsi:type="CanonicalUser"',
        [("ID", g["id"]), ("DisplayName", g["id"])],
    )


def render(acl: dict[str, Any], owner_id: str) -> list[Node]:
    owner = {"type": "CanonicalUser", "id": owner_id, "perm": "FULL_CONTROL"}
    grants = [owner, *effective_grants(acl)]
    return [
        ("Owner", [("ID", owner_id), ("DisplayName", owner_id)]),
        (
            "AccessControlList",
            [("Grant", [_grantee(g), ("Permission", g["perm"])]) for g in grants],
        ),
    ]
