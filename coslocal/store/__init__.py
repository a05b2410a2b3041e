"""The storage layer: SQLite metadata (WAL) + immutable blob files named by id."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from coslocal.store.blobs import BlobDir
from coslocal.store.buckets import BucketOps
from coslocal.store.db import Database
from coslocal.store.multipart import MultipartOps
from coslocal.store.objects import ObjectOps
from coslocal.store.records import Bucket, NewObject, ObjectVersion, Part, Upload

__all__ = ["Bucket", "NewObject", "ObjectVersion", "Part", "Store", "Upload"]


class Store(BucketOps, ObjectOps, MultipartOps):
    def __init__(self, data_dir: Path, sync: str = "normal") -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.blob_dir = BlobDir(data_dir)
        self.db = Database(data_dir / "meta.sqlite3", sync)

    def conn(self) -> sqlite3.Connection:
        return self.db.connection()

    def collect_orphans(self) -> int:
        """Delete blob files no row references (left by a crash between write and commit)."""
        self.blob_dir.clear_tmp()
        referenced: set[str] = set()
        conn = self.conn()
        for (blobs,) in conn.execute("SELECT blobs FROM versions WHERE blobs != '[]'"):
            referenced.update(seg[0] for seg in json.loads(blobs))
        referenced.update(b for (b,) in conn.execute("SELECT blob FROM parts"))
        orphans = [b for b in self.blob_dir.all_ids() if b not in referenced]
        self.blob_dir.unlink(orphans)
        return len(orphans)
