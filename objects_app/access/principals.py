"""Who is asking: anyone on the internet, any signed-in COS user, or one CAM account.

COS names accounts as CAM principals `qcs::cam::uin/<root uin>:uin/<uin>`: a root account has
both uins equal, a sub-account names its root first (cos-protocol.md 3.18). People type them as
a bare uin (`100000000002`, a root account), `<root>:<sub>` or the full principal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANYONE_PRINCIPAL = "qcs::cam::anyone:anyone"
UIN = r"[1-9][0-9]{0,19}"
_QCS = re.compile(rf"^qcs::cam::uin/({UIN}):uin/({UIN})$")
_QCS_ROOT = re.compile(rf"^qcs::cam::uin/({UIN})$")
_PAIR = re.compile(rf"^({UIN}):({UIN})$")
_BARE = re.compile(rf"^({UIN})$")


class PrincipalError(ValueError):
    """Text that names no principal; the message says which forms are accepted."""


@dataclass(frozen=True)
class Principal:
    """`kind` is "anyone" (an anonymous caller), "authenticated" (some signed caller with no
    grant of its own) or "account" (the CAM account root/uin)."""

    kind: str
    root: str = ""
    uin: str = ""

    @property
    def qcs(self) -> str:
        """The CAM principal, or "" for anonymous and unnamed callers."""
        return f"qcs::cam::uin/{self.root}:uin/{self.uin}" if self.kind == "account" else ""

    @property
    def is_root(self) -> bool:
        return self.kind == "account" and self.root == self.uin

    @property
    def signed(self) -> bool:
        return self.kind != "anyone"


ANYONE = Principal("anyone")
AUTHENTICATED = Principal("authenticated")


def account(root: str, uin: str | None = None) -> Principal:
    return Principal("account", root, uin or root)


def parse_account(text: str) -> Principal:
    """A uin (root account), `<root uin>:<sub uin>`, or a `qcs::cam::uin/...` principal."""
    value = text.strip()
    for pattern in (_QCS, _PAIR):
        if m := pattern.match(value):
            return account(m[1], m[2])
    for pattern in (_QCS_ROOT, _BARE):
        if m := pattern.match(value):
            return account(m[1])
    raise PrincipalError(value)


def principal_of_grantee(grantee_id: str) -> Principal | None:
    """The account a CanonicalUser grant names (ids may be bare uins); None if unreadable."""
    try:
        return parse_account(grantee_id)
    except PrincipalError:
        return None
