"""Object versions: commit, look up, delete (with delete markers), ACL and restore state."""

from __future__ import annotations

import base64
import itertools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coslocal.errors import CosError, no_such_key, no_such_version
from coslocal.store.blobs import BlobDir
from coslocal.store.db import Database
from coslocal.store.records import NewObject, ObjectVersion
from coslocal.store.refs import release, share

_counter = itertools.count()
_counter_lock = threading.Lock()


def new_version_id() -> str:
    """Unique, roughly time-ordered, opaque (COS ids look like base64 text)."""
    with _counter_lock:
        n = next(_counter)
    raw = f"{time.time_ns()}{n % 1000:03d}{os.getpid() % 1000:03d}".encode()
    return base64.b64encode(raw).decode().rstrip("=")


EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'
EMPTY_HEADERS = json.dumps({"Content-Type": "application/octet-stream"})
DEFAULT_ACL = json.dumps({"canned": "default"})


@dataclass
class DeleteResult:
    version_id: str | None = None
    delete_marker: bool = False


def _exists(conn: sqlite3.Connection, bucket: str, key: str) -> bool:
    sql = "SELECT 1 FROM versions WHERE bucket=? AND key=? LIMIT 1"
    return conn.execute(sql, (bucket, key)).fetchone() is not None


def _blob_ids(rows: list[sqlite3.Row]) -> list[str]:
    return [seg[0] for r in rows for seg in json.loads(r["blobs"])]


def _freed(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[str]:
    """The blob files of rows being deleted that no other version still uses."""
    return release(conn, _blob_ids(rows))


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

    def copy_version(
        self, bucket: str, key: str, src: ObjectVersion, new: NewObject
    ) -> ObjectVersion:
        """Commit a copy of `src` that uses the same blob files (new.blobs == src.blobs).

        The source row is checked inside the transaction: a source deleted since it was read
        may have had its files unlinked. The new references are counted before the target's
        old version is retired, so a copy onto itself never frees the files it keeps using.
        """
        with self.db.write() as conn:
            versioning = self.get_bucket(bucket, conn).versioning
            found = conn.execute("SELECT blobs FROM versions WHERE id=?", (src.row_id,))
            row = found.fetchone()
            if row is None or json.loads(row["blobs"]) != src.blobs:
                raise no_such_version() if src.version_id != "null" else no_such_key()
            share(conn, [seg[0] for seg in src.blobs])
            doomed = self._retire_current(conn, bucket, key, versioning)
            row_id = self._insert(conn, bucket, key, versioning, new, is_dm=False)
            row = conn.execute("SELECT * FROM versions WHERE id=?", (row_id,)).fetchone()
        self.blob_dir.unlink(doomed)
        return ObjectVersion.from_row(row)

    def put_objects_bulk(
        self, bucket: str, keys: Iterable[str], *, body_size: int = 0, batch: int = 50_000
    ) -> int:
        """Seed many zero-byte objects fast (benchmarks, demos): one transaction per batch.

        Existing keys are replaced as by PUT on an unversioned bucket. Only empty bodies are
        supported, so no blob files are involved.
        """
        if body_size != 0:
            raise ValueError("put_objects_bulk writes zero-byte objects only")
        total, pending = 0, []
        for key in keys:
            pending.append(key)
            if len(pending) >= batch:
                total += self._bulk_batch(bucket, pending)
                pending = []
        if pending:
            total += self._bulk_batch(bucket, pending)
        return total

    def _bulk_batch(self, bucket: str, keys: list[str]) -> int:
        now = time.time()
        with self.db.write() as conn:
            if self.get_bucket(bucket, conn).versioning == "Enabled":
                raise ValueError("put_objects_bulk needs a bucket without versioning")
            # Only keys that already exist need the replace dance; fresh prefixes skip it.
            pairs = [(bucket, k) for k in keys if _exists(conn, bucket, k)]
            sql = "SELECT blobs FROM versions WHERE bucket=? AND key=? AND version_id='null'"
            rows = [r for p in pairs for r in conn.execute(sql, p)]
            doomed = _freed(conn, rows)
            conn.executemany(
                "DELETE FROM versions WHERE bucket=? AND key=? AND version_id='null'", pairs
            )
            conn.executemany(
                "UPDATE versions SET is_latest=0 WHERE bucket=? AND key=? AND is_latest=1", pairs
            )
            conn.executemany(
                "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag,"
                " crc64, mtime, headers, acl) VALUES (?, ?, 'null', 1, 0, 0, ?, '0', ?, ?, ?)",
                [(bucket, k, EMPTY_ETAG, now, EMPTY_HEADERS, DEFAULT_ACL) for k in keys],
            )
        self.blob_dir.unlink(doomed)
        return len(keys)

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
            doomed = _freed(conn, rows)
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
            " blobs, mtime, headers, storage_class, acl, sse) VALUES (?,?,?,1,?,?,?,?,?,?,?,?,?,?)",
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
                json.dumps(new.sse) if new.sse else None,
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
            return DeleteResult(), _freed(conn, rows)
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
        return DeleteResult(version_id, bool(row["is_dm"])), _freed(conn, [row])

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
