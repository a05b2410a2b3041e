"""ACLs as the console reasons about them: a canned ACL plus grants (cos-protocol.md 3.18, 3.20).

Built from the client's `get_object_acl` / `get_bucket_acl` answers (the SDK's shape) and written
back as `x-cos-acl` plus `x-cos-grant-*` headers, so a canned ACL (`default` included) keeps its
meaning and the grants beside it are kept exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from objects_app.access.principals import ANYONE_PRINCIPAL, Principal, principal_of_grantee

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://cam.qcloud.com/groups/global/AuthenticatedUsers"
# Grantee kinds, from the widest audience to one account.
EVERYONE, SIGNED_IN, ACCOUNT, UNKNOWN = "everyone", "signed-in", "account", "unknown"

OBJECT_CANNED = ("default", "private", "public-read", "authenticated-read")
BUCKET_CANNED = ("private", "public-read", "public-read-write", "authenticated-read")
OBJECT_PERMISSIONS = ("READ", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")  # no WRITE on objects
BUCKET_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
READ_PERMISSIONS = frozenset({"READ", "FULL_CONTROL"})
MAX_GRANTS = 100  # COS: at most 100 grants per ACL
GRANT_HEADERS = {
    "READ": "GrantRead",
    "WRITE": "GrantWrite",
    "READ_ACP": "GrantReadACP",
    "WRITE_ACP": "GrantWriteACP",
    "FULL_CONTROL": "GrantFullControl",
}


@dataclass(frozen=True)
class Grant:
    """One grant. `grantee` is the raw principal: a group URI or a `qcs::cam::` id."""

    grantee: str
    permission: str

    @property
    def kind(self) -> str:
        if self.grantee in (ALL_USERS, ANYONE_PRINCIPAL):
            return EVERYONE
        if self.grantee == AUTHENTICATED_USERS:
            return SIGNED_IN
        return ACCOUNT if self.account is not None else UNKNOWN

    @property
    def account(self) -> Principal | None:
        if self.grantee.startswith("http"):
            return None
        return principal_of_grantee(self.grantee)

    @property
    def is_group(self) -> bool:
        return self.grantee.startswith("http")

    @property
    def gives_read(self) -> bool:
        return self.permission in READ_PERMISSIONS

    @property
    def is_public(self) -> bool:
        """Read for everyone, or for every signed-in COS user."""
        return self.gives_read and self.kind in (EVERYONE, SIGNED_IN)

    def applies_to(self, who: Principal) -> bool:
        kind = self.kind
        if kind == EVERYONE:
            return True
        if kind == SIGNED_IN:
            return who.signed
        account = self.account
        return who.kind == "account" and account is not None and account.qcs == who.qcs


def _canned_grants(canned: str) -> tuple[Grant, ...]:
    public = {
        "public-read": (Grant(ALL_USERS, "READ"),),
        "public-read-write": (Grant(ALL_USERS, "READ"), Grant(ALL_USERS, "WRITE")),
        "authenticated-read": (Grant(AUTHENTICATED_USERS, "READ"),),
    }
    return public.get(canned, ())


@dataclass(frozen=True)
class Acl:
    """`canned` is the canned ACL in force; `grants` are the grants beyond it (never the owner's
    implicit FULL_CONTROL, nor the grants the canned ACL implies)."""

    owner: str
    canned: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    @property
    def inherits(self) -> bool:
        """An object ACL of `default` defers to its bucket's ACL."""
        return self.canned == "default"

    @property
    def effective(self) -> tuple[Grant, ...]:
        """Every grant that decides access: the canned ACL's plus the explicit ones."""
        return _canned_grants(self.canned) + self.grants

    def read_grants_for(self, who: Principal) -> list[Grant]:
        return [g for g in self.effective if g.gives_read and g.applies_to(who)]

    @property
    def public_grants(self) -> list[Grant]:
        return [g for g in self.effective if g.is_public]

    def with_canned(self, canned: str) -> Acl:
        return replace(self, canned=canned)

    def with_grant(self, grant: Grant) -> Acl:
        if grant in self.grants or grant in _canned_grants(self.canned):
            return self
        return replace(self, grants=(*self.grants, grant))

    def without_grant(self, grant: Grant) -> Acl:
        return replace(self, grants=tuple(g for g in self.grants if g != grant))

    def made_private(self) -> Acl:
        """Canned `private`, and no grant to everyone or to every signed-in user."""
        kept = tuple(g for g in self.grants if g.kind not in (EVERYONE, SIGNED_IN))
        return Acl(self.owner, "private", kept)

    def describe(self) -> str:
        """A compact one-line form for the audit trail (data, not prose: never translated)."""
        grants = ", ".join(f"{g.permission} {g.grantee}" for g in self.grants)
        return f"canned={self.canned}; grants=[{grants}]"


def _grantee_id(grantee: Mapping[str, Any]) -> str:
    uri = grantee.get("URI")
    if uri:
        return str(uri)
    raw = str(grantee.get("ID") or "")
    account = principal_of_grantee(raw)
    # Normalise bare uins to the CAM form so equal grantees compare equal.
    return account.qcs if account is not None and not raw.startswith("qcs::cam::anyone") else raw


def _listed_grants(data: Mapping[str, Any]) -> list[Grant]:
    raw = (data.get("AccessControlList") or {}).get("Grant") or []
    if isinstance(raw, dict):
        raw = [raw]
    grants = []
    for item in raw:
        grantee = item.get("Grantee") or {}
        grants.append(Grant(_grantee_id(grantee), str(item.get("Permission") or "")))
    return grants


def _derive_canned(listed: list[Grant], *, bucket: bool) -> str:
    """The widest canned ACL whose grants are all listed (the rest become explicit grants)."""
    order = (
        ("public-read-write", "public-read", "authenticated-read")
        if bucket
        else ("public-read", "authenticated-read")
    )
    for canned in order:
        if all(g in listed for g in _canned_grants(canned)):
            return canned
    return "private"


def acl_from_sdk(data: Mapping[str, Any], *, bucket: bool) -> Acl:
    """An ACL from the client's answer (Owner, AccessControlList.Grant, CannedACL)."""
    owner_id = str((data.get("Owner") or {}).get("ID") or "")
    owner = principal_of_grantee(owner_id)
    owner_qcs = owner.qcs if owner else owner_id
    listed = [
        g
        for g in _listed_grants(data)
        if not (g.grantee == owner_qcs and g.permission == "FULL_CONTROL")
    ]
    canned = "default" if not bucket and data.get("CannedACL") == "default" else ""
    canned = canned or _derive_canned(listed, bucket=bucket)
    implied = _canned_grants(canned)
    return Acl(owner_qcs, canned, tuple(dict.fromkeys(g for g in listed if g not in implied)))


def _grantee_header(grantee: str) -> str:
    return f'uri="{grantee}"' if grantee.startswith("http") else f'id="{grantee}"'


def acl_headers(acl: Acl) -> dict[str, Any]:
    """Client keyword arguments (ACL=, GrantRead=, ...) that set exactly this ACL."""
    headers: dict[str, Any] = {"ACL": acl.canned}
    by_permission: dict[str, list[str]] = {}
    for grant in acl.grants:
        by_permission.setdefault(grant.permission, []).append(_grantee_header(grant.grantee))
    for permission, values in by_permission.items():
        headers[GRANT_HEADERS[permission]] = ",".join(values)
    return headers


def public_in(grants: Iterable[Grant]) -> bool:
    return any(g.is_public for g in grants)
