"""Per-request context handed to handlers."""

from __future__ import annotations

from dataclasses import dataclass

from coslocal import access, acl
from coslocal.auth import Identity
from coslocal.config import Config
from coslocal.http import Request
from coslocal.store import Bucket, ObjectVersion, Store


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

    @property
    def is_owner(self) -> bool:
        return self.identity.is_owner(self.config)

    def owner_display(self) -> list[tuple[str, str]]:
        return [("ID", self.config.owner_id), ("DisplayName", self.config.owner_uin)]

    def authorize_bucket(
        self, actions: tuple[str, ...], perm: str | None, *, key: str = "", bucket: str = ""
    ) -> None:
        """Policy, then the bucket ACL's `perm` (None: no ACL permission suffices)."""
        if self.is_owner:
            return
        row = self.store.get_bucket(bucket or self.bucket)
        access.authorize(
            self.config,
            row,
            self.identity,
            actions,
            key,
            lambda: perm is not None and acl.grants(row.acl, self.identity, perm),
        )

    def may_bucket(self, actions: tuple[str, ...], perm: str | None, key: str = "") -> bool:
        if self.is_owner:
            return True
        row = self.store.get_bucket(self.bucket)
        return access.may(
            self.config,
            row,
            self.identity,
            actions,
            key,
            lambda: perm is not None and acl.grants(row.acl, self.identity, perm),
        )

    def authorize_object(self, obj: ObjectVersion, actions: tuple[str, ...], perm: str) -> None:
        """Policy, then the object's ACL (or its bucket's, when the object ACL is "default")."""
        if self.is_owner:
            return
        row: Bucket = self.store.get_bucket(obj.bucket)
        access.authorize(
            self.config,
            row,
            self.identity,
            actions,
            obj.key,
            lambda: access.object_acl_allows(row, obj, self.identity, perm),
        )

    def require_bucket_read(self) -> None:
        """May the caller learn that a key is missing? Only with list permission (as S3)."""
        self.authorize_bucket(("GetBucket",), "READ")

    def require_object_read(self, obj: ObjectVersion) -> None:
        self.authorize_object(obj, ("GetObject",), "READ")
