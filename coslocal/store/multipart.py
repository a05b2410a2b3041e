"""Multipart uploads: parts are blobs; Complete turns them into one object's segments."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from anycrc import Model

from coslocal.errors import CosError, no_such_upload
from coslocal.store.blobs import BlobDir
from coslocal.store.db import Database
from coslocal.store.records import NewObject, ObjectVersion, Part, Upload

MIN_PART = 1024 * 1024
MAX_PARTS = 10000
_CRC = Model("CRC64-GO-ECMA")  # CRC-64/XZ; anycrc can combine CRCs of adjacent pieces


def combine_crc(parts: list[Part]) -> str:
    crc = 0
    for p in parts:
        crc = _CRC.combine(crc, int(p.crc64), p.size)
    return str(crc)


def multipart_etag(parts: list[Part]) -> str:
    digest = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in parts))
    return f'"{digest.hexdigest()}-{len(parts)}"'


class MultipartOps:
    db: Database
    blob_dir: BlobDir

    if TYPE_CHECKING:

        def get_bucket(self, name: str, conn: sqlite3.Connection | None = None) -> Any: ...

        def _retire_current(self, conn: Any, b: str, k: str, v: str) -> list[str]: ...

        def _insert(
            self, conn: Any, b: str, k: str, v: str, n: NewObject, *, is_dm: bool
        ) -> int: ...

    def create_upload(
        self,
        bucket: str,
        key: str,
        headers: dict[str, str],
        storage_class: str,
        acl: dict,
        sse: dict | None = None,
    ) -> Upload:
        upload_id = f"{int(time.time() * 1000):x}{secrets.token_hex(12)}"
        with self.db.write() as conn:
            self.get_bucket(bucket, conn)
            conn.execute(
                "INSERT INTO uploads (upload_id, bucket, key, initiated, headers, storage_class,"
                " acl, sse) VALUES (?,?,?,?,?,?,?,?)",
                (
                    upload_id,
                    bucket,
                    key,
                    time.time(),
                    json.dumps(headers),
                    storage_class,
                    json.dumps(acl),
                    json.dumps(sse) if sse else None,
                ),
            )
        return self.get_upload(bucket, key, upload_id)

    def get_upload(
        self, bucket: str, key: str, upload_id: str, conn: sqlite3.Connection | None = None
    ) -> Upload:
        conn = conn or self.db.connection()
        self.get_bucket(bucket, conn)
        row = conn.execute(
            "SELECT * FROM uploads WHERE upload_id=? AND bucket=? AND key=?",
            (upload_id, bucket, key),
        ).fetchone()
        if row is None:
            raise no_such_upload()
        return Upload.from_row(row)

    def put_part(self, upload: Upload, part: Part) -> None:
        with self.db.write() as conn:
            self.get_upload(upload.bucket, upload.key, upload.upload_id, conn)
            old = conn.execute(
                "SELECT blob FROM parts WHERE upload_id=? AND part_number=?",
                (upload.upload_id, part.part_number),
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO parts VALUES (?,?,?,?,?,?,?)",
                (
                    upload.upload_id,
                    part.part_number,
                    part.size,
                    part.etag,
                    part.crc64,
                    part.blob,
                    part.mtime,
                ),
            )
        if old:
            self.blob_dir.unlink([old[0]])

    def list_parts(self, upload: Upload, marker: int = 0, limit: int | None = None) -> list[Part]:
        sql = "SELECT * FROM parts WHERE upload_id=? AND part_number>? ORDER BY part_number"
        args: list[Any] = [upload.upload_id, marker]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [Part.from_row(r) for r in self.db.connection().execute(sql, args)]

    def scan_uploads(
        self,
        bucket: str,
        prefix: str,
        delimiter: str,
        key_marker: str,
        id_marker: str,
        limit: int,
    ) -> tuple[list[Upload | str], bool]:
        """Uploads in (key, upload id) order after the markers; common prefixes folded."""
        rows = self.db.connection().execute(
            "SELECT * FROM uploads WHERE bucket=? AND key>=? ORDER BY key, upload_id",
            (bucket, key_marker),
        )
        out: list[Upload | str] = []
        for row in rows:
            up = Upload.from_row(row)
            if not up.key.startswith(prefix):
                continue
            if key_marker and (
                (up.key, up.upload_id) <= (key_marker, id_marker)
                if id_marker
                else up.key <= key_marker
            ):
                continue
            idx = up.key.find(delimiter, len(prefix)) if delimiter else -1
            entry: Upload | str = up.key[: idx + len(delimiter)] if idx >= 0 else up
            if isinstance(entry, str) and out and out[-1] == entry:
                continue
            if isinstance(entry, str) and key_marker.startswith(entry):
                continue
            if len(out) == limit:
                return out, True
            out.append(entry)
        return out, False

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        with self.db.write() as conn:
            self.get_upload(bucket, key, upload_id, conn)
            blobs = [
                r[0] for r in conn.execute("SELECT blob FROM parts WHERE upload_id=?", (upload_id,))
            ]
            conn.execute("DELETE FROM parts WHERE upload_id=?", (upload_id,))
            conn.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
        self.blob_dir.unlink(blobs)

    def complete_upload(
        self, bucket: str, key: str, upload_id: str, requested: list[tuple[int, str]]
    ) -> ObjectVersion:
        """Validate the part list and commit the object, all in one transaction."""
        with self.db.write() as conn:
            upload = self.get_upload(bucket, key, upload_id, conn)
            stored = {
                p.part_number: p
                for p in (
                    Part.from_row(r)
                    for r in conn.execute("SELECT * FROM parts WHERE upload_id=?", (upload_id,))
                )
            }
            parts = _validate(requested, stored)
            versioning = self.get_bucket(bucket, conn).versioning
            doomed = self._retire_current(conn, bucket, key, versioning)
            used = {p.part_number for p in parts}
            doomed += [p.blob for n, p in stored.items() if n not in used]
            new = NewObject(
                size=sum(p.size for p in parts),
                etag=multipart_etag(parts),
                crc64=combine_crc(parts),
                blobs=[[p.blob, p.size] for p in parts],
                headers=upload.headers,
                storage_class=upload.storage_class,
                acl=upload.acl,
                mtime=time.time(),
                sse=upload.sse,
            )
            row_id = self._insert(conn, bucket, key, versioning, new, is_dm=False)
            conn.execute("DELETE FROM parts WHERE upload_id=?", (upload_id,))
            conn.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
            row = conn.execute("SELECT * FROM versions WHERE id=?", (row_id,)).fetchone()
        self.blob_dir.unlink(doomed)
        return ObjectVersion.from_row(row)


def _validate(requested: list[tuple[int, str]], stored: dict[int, Part]) -> list[Part]:
    if not requested:
        raise CosError(400, "MalformedXML", "The XML you provided was not well-formed.")
    if len(requested) > MAX_PARTS:
        raise CosError(
            400, "InvalidArgument", "Part number must be an integer between 1 and 10000."
        )
    numbers = [n for n, _ in requested]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise CosError(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
    if numbers != list(range(1, len(numbers) + 1)):
        raise CosError(400, "InvalidPart", "One or more of the specified parts could not be found.")
    parts: list[Part] = []
    for number, etag in requested:
        part = stored.get(number)
        if part is None or part.etag.strip('"') != etag.strip().strip('"'):
            raise CosError(
                400, "InvalidPart", "One or more of the specified parts could not be found."
            )
        parts.append(part)
    for part in parts[:-1]:
        if part.size < MIN_PART:
            raise CosError(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
            )
    return parts
