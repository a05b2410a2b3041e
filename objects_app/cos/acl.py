"""ACL answers in the SDK's shape (bucket and object ACLs share the XML)."""

from __future__ import annotations

from typing import Any

from .xml import listify, xml_to_dict

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"


def canned_acl(data: dict[str, Any], bucket: bool, acl_header: str | None) -> str:
    """Derive CannedACL from the grants, exactly as the SDK does."""
    if not bucket and acl_header == "default":
        return "default"
    grants = (data.get("AccessControlList") or {}).get("Grant") or []

    def has(permission: str) -> bool:
        wanted = {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": permission}
        return wanted in grants

    if has("READ"):
        return "public-read-write" if bucket and has("WRITE") else "public-read"
    return "private"


def parse_acl(content: bytes, bucket: bool, acl_header: str | None) -> dict[str, Any]:
    data = xml_to_dict(content)
    acl = data.get("AccessControlList")
    if isinstance(acl, dict):
        listify(acl, ["Grant"])
        for grant in acl.get("Grant", []):
            grantee = grant.get("Grantee") if isinstance(grant, dict) else None
            if isinstance(grantee, dict) and "type" in grantee:  # xsi:type -> Type (SDK)
                grantee["Type"] = grantee.pop("type")
    data["CannedACL"] = canned_acl(data, bucket, acl_header)
    return data
