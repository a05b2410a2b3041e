"""Per-request context handed to handlers."""

from __future__ import annotations

from dataclasses import dataclass

from coslocal import acl
from coslocal.auth import Identity
from coslocal.config import Config
from coslocal.errors import access_denied
from coslocal.http import Request
from coslocal.store import ObjectVersion, Store


@dataclass
class Context:
    config: Config
    store: Store
    req: Request
    identity: Identity

    @property
    def bucket(self) -> str:
        assert self.req.bucket is not None
        return self.req.bucket

    @property
    def key(self) -> str:
        return self.req.key

    def owner_display(self) -> list[tuple[str, str]]:
        return [("ID", self.config.owner_id), ("DisplayName", self.config.owner_uin)]

    def require_bucket_read(self) -> None:
        if self.identity.anonymous and not acl.allows_anonymous(
            self.store.get_bucket(self.bucket).acl, "READ"
        ):
            raise access_denied()

    def require_object_read(self, obj: ObjectVersion) -> None:
        self.require_object_permission(obj, "READ")

    def require_object_permission(self, obj: ObjectVersion, perm: str) -> None:
        """Anonymous callers need an AllUsers grant of `perm` on the object, or on its bucket
        when the object's ACL is "default" (inherit)."""
        if not self.identity.anonymous:
            return
        if acl.allows_anonymous(obj.acl, perm):
            return
        if obj.acl.get("canned", "default") == "default":
            bucket = self.store.get_bucket(obj.bucket)
            if acl.allows_anonymous(bucket.acl, perm):
                return
        raise access_denied()
