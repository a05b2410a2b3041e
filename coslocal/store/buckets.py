"""Bucket rows: create, read, delete, versioning and ACL."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from coslocal.errors import CosError, no_such_bucket
from coslocal.store.db import Database
from coslocal.store.records import Bucket


class BucketOps:
    db: Database

    def create_bucket(self, name: str, acl: dict[str, Any]) -> None:
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM buckets WHERE name=?", (name,)).fetchone():
                raise CosError(
                    409, "BucketAlreadyOwnedByYou", "The bucket you tried to create already exists."
                )
            conn.execute(
                "INSERT INTO buckets (name, created, acl) VALUES (?, ?, ?)",
                (name, time.time(), json.dumps(acl)),
            )

    def get_bucket(self, name: str, conn: sqlite3.Connection | None = None) -> Bucket:
        conn = conn or self.db.connection()
        row = conn.execute("SELECT * FROM buckets WHERE name=?", (name,)).fetchone()
        if row is None:
            raise no_such_bucket()
        return Bucket.from_row(row)

    def list_buckets(self) -> list[Bucket]:
        rows = self.db.connection().execute("SELECT * FROM buckets ORDER BY name")
        return [Bucket.from_row(r) for r in rows]

    def delete_bucket(self, name: str) -> None:
        with self.db.write() as conn:
            self.get_bucket(name, conn)
            busy = (
                conn.execute("SELECT 1 FROM versions WHERE bucket=? LIMIT 1", (name,)).fetchone()
                or conn.execute("SELECT 1 FROM uploads WHERE bucket=? LIMIT 1", (name,)).fetchone()
            )
            if busy:
                raise CosError(
                    409, "BucketNotEmpty", "The bucket you tried to delete is not empty."
                )
            conn.execute("DELETE FROM buckets WHERE name=?", (name,))

    def set_versioning(self, name: str, status: str) -> None:
        with self.db.write() as conn:
            self.get_bucket(name, conn)
            conn.execute("UPDATE buckets SET versioning=? WHERE name=?", (status, name))

    def set_bucket_acl(self, name: str, acl: dict[str, Any]) -> None:
        with self.db.write() as conn:
            self.get_bucket(name, conn)
            conn.execute("UPDATE buckets SET acl=? WHERE name=?", (json.dumps(acl), name))

    def set_bucket_policy(self, name: str, policy: str | None) -> None:
        """Store (or with None, delete) the bucket policy document."""
        with self.db.write() as conn:
            self.get_bucket(name, conn)
            conn.execute("UPDATE buckets SET policy=? WHERE name=?", (policy, name))
