"""Object versions: commit, look up, delete (with delete markers), ACL and restore state."""

from __future__ import annotations

import base64
import itertools
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coslocal.errors import CosError, no_such_key, no_such_version
from coslocal.store.blobs import BlobDir
from coslocal.store.db import Database
from coslocal.store.records import NewObject, ObjectVersion

_counter = itertools.count()
_counter_lock = threading.Lock()


def new_version_id() -> str:
    """Unique, roughly time-ordered, opaque (COS ids look like base64 text)."""
    with _counter_lock:
        n = next(_counter)
    raw = f"{time.time_ns()}{n % 1000:03d}{os.getpid() % 1000:03d}".encode()
    return base64.b64encode(raw).decode().rstrip("=")


@dataclass
class DeleteResult:
    version_id: str | None = None
    delete_marker: bool = False


def _blob_ids(rows: list[sqlite3.Row]) -> list[str]:
    return [seg[0] for r in rows for seg in json.loads(r["blobs"])]


class ObjectOps:
    db: Database
    blob_dir: BlobDir

    if TYPE_CHECKING:

        def get_bucket(self, name: str, conn: sqlite3.Connection | None = None) -> Any: ...

    def put_object(self, bucket: str, key: str, new: NewObject) -> ObjectVersion:
        """Commit a new current version in one transaction; replaced blobs are unlinked after."""
        with self.db.write() as conn:
            versioning = self.get_bucket(bucket, conn).versioning
            doomed = self._retire_current(conn, bucket, key, versioning)
            row_id = self._insert(conn, bucket, key, versioning, new, is_dm=False)
            row = conn.execute("SELECT * FROM versions WHERE id=?", (row_id,)).fetchone()
        self.blob_dir.unlink(doomed)
        return ObjectVersion.from_row(row)

    def _retire_current(
        self, conn: sqlite3.Connection, bucket: str, key: str, versioning: str
    ) -> list[str]:
        """Un-flag the latest version; without Enabled versioning the 'null' version goes."""
        doomed: list[str] = []
        if versioning != "Enabled":
            rows = conn.execute(
                "SELECT blobs FROM versions WHERE bucket=? AND key=? AND version_id='null'",
                (bucket, key),
            ).fetchall()
            doomed = _blob_ids(rows)
            conn.execute(
                "DELETE FROM versions WHERE bucket=? AND key=? AND version_id='null'", (bucket, key)
            )
        conn.execute(
            "UPDATE versions SET is_latest=0 WHERE bucket=? AND key=? AND is_latest=1",
            (bucket, key),
        )
        return doomed

    def _insert(
        self,
        conn: sqlite3.Connection,
        bucket: str,
        key: str,
        versioning: str,
        new: NewObject,
        *,
        is_dm: bool,
    ) -> int:
        version_id = new_version_id() if versioning == "Enabled" else "null"
        cur = conn.execute(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,1,?,?,?,?,?,?,?,?,?)",
            (
                bucket,
                key,
                version_id,
                int(is_dm),
                new.size,
                new.etag,
                new.crc64,
                json.dumps(new.blobs),
                new.mtime,
                json.dumps(new.headers),
                new.storage_class,
                json.dumps(new.acl),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def get_object(
        self, bucket: str, key: str, version_id: str | None = None, *, allow_dm: bool = False
    ) -> ObjectVersion:
        conn = self.db.connection()
        self.get_bucket(bucket, conn)
        if version_id is None:
            row = conn.execute(
                "SELECT * FROM versions WHERE bucket=? AND key=? AND is_latest=1", (bucket, key)
            ).fetchone()
            if row is None:
                raise no_such_key()
        else:
            row = conn.execute(
                "SELECT * FROM versions WHERE bucket=? AND key=? AND version_id=?",
                (bucket, key, version_id),
            ).fetchone()
            if row is None:
                raise no_such_version()
        obj = ObjectVersion.from_row(row)
        if obj.is_dm and not allow_dm:
            err = no_such_key()
            err.headers.append(("x-cos-delete-marker", "true"))
            if obj.version_id != "null":
                err.headers.append(("x-cos-version-id", obj.version_id))
            raise err
        return obj

    def delete_object(self, bucket: str, key: str, version_id: str | None = None) -> DeleteResult:
        return self.delete_objects(bucket, [(key, version_id)])[0]

    def delete_objects(
        self, bucket: str, items: list[tuple[str, str | None]]
    ) -> list[DeleteResult]:
        """Delete many keys in ONE transaction (one fsync), as DELETE Multiple needs for speed."""
        doomed: list[str] = []
        results: list[DeleteResult] = []
        with self.db.write() as conn:
            versioning = self.get_bucket(bucket, conn).versioning
            for key, version_id in items:
                result, blobs = self._delete_one(conn, bucket, versioning, key, version_id)
                results.append(result)
                doomed += blobs
        self.blob_dir.unlink(doomed)
        return results

    def _delete_one(
        self,
        conn: sqlite3.Connection,
        bucket: str,
        versioning: str,
        key: str,
        version_id: str | None,
    ) -> tuple[DeleteResult, list[str]]:
        if version_id is not None:
            return self._delete_version(conn, bucket, key, version_id)
        if versioning == "":
            rows = conn.execute(
                "SELECT blobs FROM versions WHERE bucket=? AND key=?", (bucket, key)
            ).fetchall()
            conn.execute("DELETE FROM versions WHERE bucket=? AND key=?", (bucket, key))
            return DeleteResult(), _blob_ids(rows)
        doomed = self._retire_current(conn, bucket, key, versioning)
        marker = NewObject(0, "", None, [], {}, "STANDARD", {}, time.time())
        row_id = self._insert(conn, bucket, key, versioning, marker, is_dm=True)
        vid = conn.execute("SELECT version_id FROM versions WHERE id=?", (row_id,)).fetchone()[0]
        return DeleteResult(vid, True), doomed

    def _delete_version(
        self, conn: sqlite3.Connection, bucket: str, key: str, version_id: str
    ) -> tuple[DeleteResult, list[str]]:
        row = conn.execute(
            "SELECT * FROM versions WHERE bucket=? AND key=? AND version_id=?",
            (bucket, key, version_id),
        ).fetchone()
        if row is None:
            # Deleting a version that does not exist succeeds quietly, as on COS/S3.
            return DeleteResult(version_id), []
        conn.execute("DELETE FROM versions WHERE id=?", (row["id"],))
        if row["is_latest"]:
            conn.execute(
                "UPDATE versions SET is_latest=1 WHERE id=(SELECT MAX(id) FROM versions"
                " WHERE bucket=? AND key=?)",
                (bucket, key),
            )
        return DeleteResult(version_id, bool(row["is_dm"])), _blob_ids([row])

    def set_object_acl(self, obj: ObjectVersion, acl: dict[str, Any]) -> None:
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE versions SET acl=? WHERE id=?", (json.dumps(acl), obj.row_id)
            )
            if cur.rowcount == 0:
                raise no_such_key()

    def set_restore(self, obj: ObjectVersion, restore: dict[str, Any]) -> None:
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE versions SET restore=? WHERE id=?", (json.dumps(restore), obj.row_id)
            )
            if cur.rowcount == 0:
                raise CosError(404, "NoSuchKey", "The specified key does not exist.")
