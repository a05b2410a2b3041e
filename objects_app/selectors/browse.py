"""Reads: COS results and DB rows turned into small display types for templates."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from objects_app.cos import CosClientError, CosServiceError
from objects_app.storage import get_cos_client

log = logging.getLogger(__name__)

# Versioning is one request per bucket; this many run at once so 100 buckets cost ~7 round trips.
VERSIONING_THREADS = 16


@dataclass(frozen=True)
class BucketRow:
    name: str
    region: str
    created: datetime | None
    versioning: str = ""  # Enabled, Suspended, Off, or "unknown" when COS would not say


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
    # "Show deleted" (issue 12): the key's latest version is this delete marker.
    deleted: bool = False
    marker_version_id: str = ""

    @property
    def modified_text(self) -> str:
        # strftime, not the |date filter: a 1,000-row page renders this 1,000 times.
        return self.last_modified.strftime("%Y-%m-%d %H:%M:%S") if self.last_modified else ""


@dataclass(frozen=True)
class Crumb:
    name: str
    prefix: str


@dataclass
class ObjectPage:
    """One page of a folder. `prefix` is always the folder (empty or ending in "/"); `q` filters
    names inside it (they start with `q`); rows are named relative to the folder."""

    bucket: str
    prefix: str
    marker: str
    page_size: int
    jump: str = ""
    q: str = ""
    shown_before: int = 0  # rows on the pages already loaded above this one ("Load more")
    folders: list[FolderRow] = field(default_factory=list)
    objects: list[ObjectRow] = field(default_factory=list)
    next_marker: str = ""
    show_deleted: bool = False  # rows include keys whose latest version is a delete marker
    show_versions = False  # the other page type, FolderVersionsPage, lists every version

    @property
    def is_truncated(self) -> bool:
        return bool(self.next_marker)

    @property
    def row_count(self) -> int:
        return len(self.folders) + len(self.objects)

    @property
    def shown_total(self) -> int:
        return self.shown_before + self.row_count

    @property
    def list_prefix(self) -> str:
        """What COS is asked for: the folder plus the filter."""
        return self.prefix + self.q

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
    rows.sort(key=lambda row: row.name)
    if not rows:
        return rows
    with ThreadPoolExecutor(max_workers=min(VERSIONING_THREADS, len(rows))) as pool:
        states = list(pool.map(bucket_versioning, [row.name for row in rows]))
    return [replace(row, versioning=state) for row, state in zip(rows, states, strict=True)]


def bucket_versioning(bucket: str) -> str:
    """Enabled, Suspended or Off; "unknown" when COS refuses or fails (the page still renders)."""
    try:
        result = get_cos_client().get_bucket_versioning(Bucket=bucket)
    except (CosServiceError, CosClientError) as exc:
        log.info("versioning of %s unavailable: %s", bucket, exc)
        return "unknown"
    return str(result.get("Status") or "Off")


def jump_marker(key: str) -> str:
    """A marker that sorts just before `key`, so the listing starts at `key` itself.

    COS lists keys strictly after the marker, in UTF-8 byte (= code point) order. The marker
    is `key` with its last character decremented and U+10FFFF appended: only keys containing
    that (unassigned) code point could sort between it and `key`.
    """
    if not key:
        return ""
    last = ord(key[-1])
    if last <= 1 or 0xD800 <= last - 1 <= 0xDFFF:
        return key[:-1]  # nothing (valid) sorts between; the parent prefix is close enough
    return key[:-1] + chr(last - 1) + "\U0010ffff"


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


def object_page(
    *,
    bucket: str,
    prefix: str = "",
    q: str = "",
    marker: str = "",
    page_size: int,
    jump: str = "",
    shown: int = 0,
) -> ObjectPage:
    """One key-ordered page of a folder: common prefixes are folders, the rest objects.

    One List Objects call with a marker, never an offset, so page N costs the same as page 1.
    `q` keeps only names in the folder that start with it (COS does the filtering: the listing
    prefix is folder + q). `jump` (a name inside the folder) starts the page at that name.
    """
    if jump:
        marker = jump_marker(prefix + jump)
    page = ObjectPage(
        bucket=bucket, prefix=prefix, q=q, marker=marker, page_size=page_size, jump=jump,
        shown_before=shown,
    )  # fmt: skip
    result = get_cos_client().list_objects(
        Bucket=bucket, Prefix=page.list_prefix, Delimiter="/", Marker=marker, MaxKeys=page_size
    )
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
