"""Row types returned by the store."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any


def _json_or_none(raw: str | None) -> Any:
    return json.loads(raw) if raw else None


@dataclass
class Bucket:
    name: str
    created: float
    versioning: str  # '' (never set) | 'Enabled' | 'Suspended'
    acl: dict[str, Any]
    policy: str | None = None  # the bucket policy document (JSON text), if any

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Bucket:
        return cls(
            row["name"], row["created"], row["versioning"], json.loads(row["acl"]), row["policy"]
        )


@dataclass
class ObjectVersion:
    row_id: int
    bucket: str
    key: str
    version_id: str
    is_latest: bool
    is_dm: bool
    size: int
    etag: str
    crc64: str | None
    blobs: list[list[Any]]  # [[blob_id, size], ...]
    mtime: float
    headers: dict[str, str]
    storage_class: str
    acl: dict[str, Any]
    restore: dict[str, Any] | None = field(default=None)
    sse: dict[str, Any] | None = field(default=None)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ObjectVersion:
        return cls(
            row_id=row["id"],
            bucket=row["bucket"],
            key=row["key"],
            version_id=row["version_id"],
            is_latest=bool(row["is_latest"]),
            is_dm=bool(row["is_dm"]),
            size=row["size"],
            etag=row["etag"],
            crc64=row["crc64"],
            blobs=json.loads(row["blobs"]),
            mtime=row["mtime"],
            headers=json.loads(row["headers"]),
            storage_class=row["storage_class"],
            acl=json.loads(row["acl"]),
            restore=json.loads(row["restore"]) if row["restore"] else None,
            sse=_json_or_none(row["sse"]),
        )


@dataclass
class NewObject:
    """Everything needed to commit a new object version."""

    size: int
    etag: str
    crc64: str | None
    blobs: list[list[Any]]
    headers: dict[str, str]
    storage_class: str
    acl: dict[str, Any]
    mtime: float
    sse: dict[str, Any] | None = None


@dataclass
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    headers: dict[str, str]
    storage_class: str
    acl: dict[str, Any]
    sse: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Upload:
        return cls(
            row["upload_id"],
            row["bucket"],
            row["key"],
            row["initiated"],
            json.loads(row["headers"]),
            row["storage_class"],
            json.loads(row["acl"]),
            _json_or_none(row["sse"]),
        )


@dataclass
class Part:
    part_number: int
    size: int
    etag: str
    crc64: str
    blob: str
    mtime: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Part:
        return cls(
            row["part_number"], row["size"], row["etag"], row["crc64"], row["blob"], row["mtime"]
        )
