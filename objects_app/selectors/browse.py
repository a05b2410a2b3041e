"""Reads: COS results and DB rows turned into small display types for templates."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from objects_app.archive import ARCHIVE_CLASSES
from objects_app.cos import CosClientError, CosServiceError
from objects_app.selectors.archived import scan_by_class
from objects_app.selectors.exposure import latest_audits, public_marks
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
    audit: Any = None  # the last public-exposure audit (selectors.exposure.AuditSummary) or None


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
    def is_archived(self) -> bool:
        return self.storage_class in ARCHIVE_CLASSES

    # The folder table renders these for every row (up to 1,000 a page), some twice: worked
    # out once here, and escaped once (escape() gives a SafeString, which the template does not
    # escape again), they cost a fraction of the template filters and autoescaping they replace.
    @cached_property
    def modified_text(self) -> SafeString:
        # strftime, not the |date filter.
        text = self.last_modified.strftime("%Y-%m-%d %H:%M:%S") if self.last_modified else ""
        return escape(text)

    @cached_property
    def quoted_key(self) -> SafeString:
        """The key as one query-string value (what `|urlencode:''` gives)."""
        return escape(quote(self.key, safe=""))

    @cached_property
    def size_text(self) -> SafeString:
        """The size in words, in the active language (`|filesizeformat`)."""
        return escape(str(filesizeformat(self.size)))

    @cached_property
    def size_title(self) -> SafeString:
        return escape(_("%(size)s bytes") % {"size": self.size})


@dataclass(frozen=True)
class Crumb:
    name: str
    prefix: str


class FolderPaging:
    """What every kind of folder page (plain, with deleted keys, every version) derives from
    its fields in the same way: the pager, the count shown, the breadcrumbs."""

    prefix: str
    q: str
    shown_before: int
    next_marker: str

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    @property
    def is_truncated(self) -> bool:
        return bool(self.next_marker)

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


@dataclass
class ObjectPage(FolderPaging):
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
    # Storage-class filter (issue 14): only objects of these classes, folders hidden. Such a
    # page may stop on its scan budget with fewer matches; it says so and continues on request.
    storage_classes: tuple[str, ...] = ()
    scanned_before: int = 0  # entries scanned for the pages above this one
    scanned: int = 0  # entries this page's listing looked at
    scan_stopped: bool = False
    public_keys: set[str] = field(default_factory=set)  # found public by the latest audit

    @property
    def class_filtered(self) -> bool:
        return bool(self.storage_classes)

    @property
    def scanned_total(self) -> int:
        return self.scanned_before + self.scanned

    def restore_cell_id(self, number: int) -> str:
        """The id of the restore-state cell of the `number`th (1-based) object row of this page."""
        return f"rs-{self.shown_before}-{number}"

    @property
    def restore_batches(self) -> list[list[tuple[str, str]]]:
        """(cell id, key) of this page's archived rows, in batches: one lazy request each."""
        size = max(1, settings.CONSOLE_RESTORE_STATE_BATCH)
        rows = [
            (self.restore_cell_id(n), row.key)
            for n, row in enumerate(self.objects, start=1)
            if row.is_archived
        ]
        return [rows[i : i + size] for i in range(0, len(rows), size)]

    show_deleted: bool = False  # rows include keys whose latest version is a delete marker
    show_versions = False  # the other page type, FolderVersionsPage, lists every version

    @property
    def row_count(self) -> int:
        return len(self.folders) + len(self.objects)


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
    audits = latest_audits([row.name for row in rows])
    return [
        replace(row, versioning=state, audit=audits.get(row.name))
        for row, state in zip(rows, states, strict=True)
    ]


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
    storage_classes: tuple[str, ...] = (),
    scanned: int = 0,
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
        shown_before=shown, storage_classes=storage_classes, scanned_before=scanned,
    )  # fmt: skip
    if storage_classes:
        return _class_filtered_page(page)
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
    page.public_keys = public_marks(bucket, prefix, [row.key for row in page.objects])
    return page


def _class_filtered_page(page: ObjectPage) -> ObjectPage:
    scan = scan_by_class(
        bucket=page.bucket, list_prefix=page.list_prefix, folder=page.prefix, marker=page.marker,
        classes=frozenset(page.storage_classes), want=page.page_size,
        budget=settings.CONSOLE_CLASS_FILTER_SCAN_MAX,
    )  # fmt: skip
    page.objects = [_object_row(item, page.prefix) for item in scan.matches]
    page.next_marker, page.scanned, page.scan_stopped = scan.next_marker, scan.scanned, scan.stopped
    return page
