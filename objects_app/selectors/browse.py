"""Reads: COS results and DB rows turned into small display types for templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from objects_app.storage import get_cos_client


@dataclass(frozen=True)
class BucketRow:
    name: str
    region: str
    created: datetime | None


@dataclass(frozen=True)
class FolderRow:
    prefix: str
    name: str


@dataclass(frozen=True)
class ObjectRow:
    key: str
    name: str
    size: int
    last_modified: datetime | None
    storage_class: str
    etag: str


@dataclass(frozen=True)
class Crumb:
    name: str
    prefix: str


@dataclass
class ObjectPage:
    bucket: str
    prefix: str
    marker: str
    page_size: int
    folders: list[FolderRow] = field(default_factory=list)
    objects: list[ObjectRow] = field(default_factory=list)
    next_marker: str = ""

    @property
    def is_truncated(self) -> bool:
        return bool(self.next_marker)

    @property
    def row_count(self) -> int:
        return len(self.folders) + len(self.objects)

    @property
    def crumbs(self) -> list[Crumb]:
        return breadcrumbs(self.prefix)


def parse_cos_time(value: str | None) -> datetime | None:
    """COS XML dates are ISO 8601 (`2020-12-10T03:37:30.000Z`), sometimes without millis."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def breadcrumbs(prefix: str) -> list[Crumb]:
    crumbs: list[Crumb] = []
    # Only whole folders become crumbs; a trailing partial name is a filter, not a folder.
    parts = prefix.split("/")[:-1]
    acc = ""
    for part in parts:
        acc += part + "/"
        crumbs.append(Crumb(name=part, prefix=acc))
    return crumbs


def bucket_list() -> list[BucketRow]:
    """Every bucket of the configured account."""
    result = get_cos_client().list_buckets()
    buckets = (result.get("Buckets") or {}).get("Bucket") or []
    rows = [
        BucketRow(
            name=b.get("Name", ""),
            region=b.get("Location", ""),
            created=parse_cos_time(b.get("CreationDate")),
        )
        for b in buckets
    ]
    return sorted(rows, key=lambda row: row.name)


def _object_row(item: dict[str, Any], prefix: str) -> ObjectRow:
    key = item["Key"]
    return ObjectRow(
        key=key,
        name=key[len(prefix) :] or key,
        size=int(item.get("Size") or 0),
        last_modified=parse_cos_time(item.get("LastModified")),
        storage_class=item.get("StorageClass") or "STANDARD",
        etag=(item.get("ETag") or "").strip('"'),
    )


def object_page(*, bucket: str, prefix: str = "", marker: str = "", page_size: int) -> ObjectPage:
    """One key-ordered page of a folder: common prefixes are folders, the rest objects.

    One List Objects call with a marker, never an offset, so page N costs the same as page 1.
    """
    result = get_cos_client().list_objects(
        Bucket=bucket, Prefix=prefix, Delimiter="/", Marker=marker, MaxKeys=page_size
    )
    page = ObjectPage(bucket=bucket, prefix=prefix, marker=marker, page_size=page_size)
    for entry in result.get("CommonPrefixes") or []:
        folder = entry["Prefix"]
        page.folders.append(FolderRow(prefix=folder, name=folder[len(prefix) :]))
    for item in result.get("Contents") or []:
        if item["Key"] == prefix:
            continue  # the folder's own placeholder object
        page.objects.append(_object_row(item, prefix))
    if str(result.get("IsTruncated", "false")).lower() == "true":
        page.next_marker = result.get("NextMarker") or ""
    return page
