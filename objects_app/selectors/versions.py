"""Reads of version history: one key's versions, a folder's versions, and deleted keys.

Every listing here is ONE page of GET Bucket versions (key marker + version-id marker), never
the whole history, so the first page costs the same for 10 versions as for a million.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from objects_app.cos import CosServiceError
from objects_app.errors import ObjectsError
from objects_app.selectors.browse import (
    FolderPaging,
    FolderRow,
    ObjectPage,
    ObjectRow,
    bucket_versioning,
    jump_marker,
    object_page,
    parse_cos_time,
)
from objects_app.storage import get_cos_client

# "Show deleted" skips the rest of a key's history with a fresh request; this many requests at
# most per page, so keys with huge histories cost a bounded time (the rest is on "load more").
DELETED_SCAN_REQUESTS = 10
MAX_LISTING = 1000  # COS's most entries per listing request

# Rows per page of one key's history (the object page's panel): "load more" fetches the next.
PANEL_PAGE_SIZE = 50

LATEST, NONCURRENT, DELETE_MARKER = "latest", "noncurrent", "delete-marker"


@dataclass(frozen=True)
class VersionRow:
    key: str
    version_id: str  # "" on a bucket that never had versioning: the version has no id to name
    is_latest: bool
    is_delete_marker: bool
    size: int
    last_modified: datetime | None
    etag: str
    storage_class: str

    @property
    def label(self) -> str:
        if self.is_delete_marker:
            return DELETE_MARKER
        return LATEST if self.is_latest else NONCURRENT

    @property
    def modified_text(self) -> str:
        return self.last_modified.strftime("%Y-%m-%d %H:%M:%S") if self.last_modified else ""

    @property
    def name(self) -> str:
        return self.key.rstrip("/").rsplit("/", 1)[-1] or self.key


def _row(entry: Mapping[str, Any], *, is_delete_marker: bool) -> VersionRow:
    return VersionRow(
        key=str(entry.get("Key") or ""),
        version_id=str(entry.get("VersionId") or ""),
        is_latest=str(entry.get("IsLatest")).lower() == "true",
        is_delete_marker=is_delete_marker,
        size=int(entry.get("Size") or 0),
        last_modified=parse_cos_time(entry.get("LastModified")),
        etag=str(entry.get("ETag") or "").strip('"'),
        storage_class="" if is_delete_marker else str(entry.get("StorageClass") or "STANDARD"),
    )


def _order(row: VersionRow) -> tuple[str, int, float]:
    stamp = row.last_modified.timestamp() if row.last_modified else 0.0
    return (row.key, 0 if row.is_latest else 1, -stamp)


def merged_rows(result: Mapping[str, Any]) -> list[VersionRow]:
    """Versions and delete markers in listing order (key, then newest first).

    The XML interleaves them, but the parsed dict holds two lists, each still in listing order;
    a stable merge restores the one order without reordering entries within either list.
    """
    versions = [_row(v, is_delete_marker=False) for v in result.get("Version") or []]
    markers = [_row(m, is_delete_marker=True) for m in result.get("DeleteMarker") or []]
    return list(heapq.merge(versions, markers, key=_order))


def _truncated(result: Mapping[str, Any]) -> bool:
    return str(result.get("IsTruncated", "false")).lower() == "true"


# --- one key -------------------------------------------------------------------------------------


@dataclass
class VersionsPage:
    """One page of one key's versions and delete markers, newest first."""

    bucket: str
    key: str
    page_size: int
    version_marker: str = ""
    shown_before: int = 0
    rows: list[VersionRow] = field(default_factory=list)
    next_version_marker: str = ""
    versioning: str = ""  # Enabled / Suspended / Off / unknown (first page only)

    @property
    def is_truncated(self) -> bool:
        return bool(self.next_version_marker)

    @property
    def shown_total(self) -> int:
        return self.shown_before + len(self.rows)

    @property
    def current(self) -> VersionRow | None:
        return next((r for r in self.rows if r.is_latest), None)

    @property
    def comparable(self) -> list[VersionRow]:
        return [r for r in self.rows if not r.is_delete_marker and r.version_id]

    @property
    def default_b(self) -> str:
        """Compare preselects the newest version as B and the one before it as A."""
        rows = self.comparable
        return rows[0].version_id if len(rows) > 1 and not self.version_marker else ""

    @property
    def default_a(self) -> str:
        rows = self.comparable
        return rows[1].version_id if len(rows) > 1 and not self.version_marker else ""


def key_versions_page(
    *, bucket: str, key: str, version_marker: str = "", page_size: int, shown: int = 0
) -> VersionsPage:
    """One page of `key`'s history. The prefix is the key itself: its own versions sort before
    any longer key's, so the first entry of another key ends the history."""
    page = VersionsPage(
        bucket=bucket, key=key, page_size=page_size, version_marker=version_marker,
        shown_before=shown,
    )  # fmt: skip
    result = get_cos_client().list_objects_versions(
        Bucket=bucket,
        Prefix=key,
        KeyMarker=key if version_marker else "",
        VersionIdMarker=version_marker,
        MaxKeys=page_size,
    )
    rows = merged_rows(result)
    page.rows = [r for r in rows if r.key == key]
    more = _truncated(result) and len(page.rows) == len(rows)
    if more and result.get("NextKeyMarker") == key:
        page.next_version_marker = str(result.get("NextVersionIdMarker") or "")
    if not version_marker:
        page.versioning = bucket_versioning(bucket)
    return page


# --- one version ---------------------------------------------------------------------------------

VERSION, MARKER, MISSING = "version", "delete-marker", "missing"


def version_lookup(*, bucket: str, key: str, version_id: str) -> tuple[str, dict[str, str]]:
    """(VERSION, its HEAD headers), (MARKER, {}) or (MISSING, {}) for one version id.

    HEAD of a delete marker fails (404 on COS, 405 on S3) with `x-cos-delete-marker: true`.
    """
    try:
        headers = get_cos_client().head_object(Bucket=bucket, Key=key, VersionId=version_id)
    except CosServiceError as exc:
        if exc.get_status_code() not in (404, 405):
            raise
        found = {k.lower(): v for k, v in (exc.headers or {}).items()}
        return (MARKER if found.get("x-cos-delete-marker") == "true" else MISSING), {}
    return VERSION, headers


def version_missing_error(key: str, version_id: str) -> ObjectsError:
    return ObjectsError(
        _("Version %(version)s of %(key)s does not exist (it may have been deleted meanwhile).")
        % {"version": version_id, "key": key},
        status=404,
    )


def head_version(*, bucket: str, key: str, version_id: str) -> dict[str, str]:
    """HEAD of one version, or a clear 404 saying which version is missing or is a marker."""
    state, headers = version_lookup(bucket=bucket, key=key, version_id=version_id)
    if state == MARKER:
        raise ObjectsError(
            _("Version %(version)s of %(key)s is a delete marker: it has no content to show.")
            % {"version": version_id, "key": key},
            status=404,
        )
    if state == MISSING:
        raise version_missing_error(key, version_id)
    return headers


# --- a folder: every version ---------------------------------------------------------------------


@dataclass
class KeyGroup:
    key: str
    name: str
    rows: list[VersionRow]
    continued: bool = False  # the key's history started on an earlier page

    @property
    def deleted(self) -> bool:
        first = self.rows[0]
        return first.is_latest and first.is_delete_marker and not self.continued

    @property
    def marker_version_id(self) -> str:
        return self.rows[0].version_id if self.deleted else ""


@dataclass
class FolderVersionsPage(FolderPaging):
    """One page of a folder's history ("Show versions"): versions grouped under their key."""

    bucket: str
    prefix: str
    marker: str
    page_size: int
    version_marker: str = ""
    jump: str = ""
    q: str = ""
    shown_before: int = 0
    folders: list[FolderRow] = field(default_factory=list)
    groups: list[KeyGroup] = field(default_factory=list)
    next_marker: str = ""
    next_version_marker: str = ""
    show_versions = True
    show_deleted = True  # delete markers are versions here: deleted keys always show

    @property
    def row_count(self) -> int:
        return len(self.folders) + sum(len(g.rows) for g in self.groups)


def _groups(rows: Iterable[VersionRow], prefix: str, continued_key: str) -> list[KeyGroup]:
    groups: list[KeyGroup] = []
    for row in rows:
        if row.key == prefix:
            continue  # the folder's own placeholder object
        if not groups or groups[-1].key != row.key:
            name = row.key[len(prefix) :] or row.key
            groups.append(KeyGroup(row.key, name, [], continued=row.key == continued_key))
        groups[-1].rows.append(row)
    return groups


def folder_versions_page(
    *,
    bucket: str,
    prefix: str = "",
    q: str = "",
    marker: str = "",
    version_marker: str = "",
    page_size: int,
    jump: str = "",
    shown: int = 0,
) -> FolderVersionsPage:
    """One page (one request) of the versions and delete markers of the keys in a folder."""
    if jump:
        marker, version_marker = jump_marker(prefix + jump), ""
    page = FolderVersionsPage(
        bucket=bucket, prefix=prefix, marker=marker, page_size=page_size,
        version_marker=version_marker, jump=jump, q=q, shown_before=shown,
    )  # fmt: skip
    result = get_cos_client().list_objects_versions(
        Bucket=bucket, Prefix=page.list_prefix, Delimiter="/", KeyMarker=marker,
        VersionIdMarker=version_marker, MaxKeys=page_size,
    )  # fmt: skip
    for entry in result.get("CommonPrefixes") or []:
        folder = entry["Prefix"]
        page.folders.append(FolderRow(prefix=folder, name=folder[len(prefix) :]))
    page.groups = _groups(merged_rows(result), prefix, marker if version_marker else "")
    if _truncated(result):
        page.next_marker = str(result.get("NextKeyMarker") or "")
        page.next_version_marker = str(result.get("NextVersionIdMarker") or "")
    return page


# --- a folder: current objects plus deleted keys --------------------------------------------------


def _latest_entries(result: Mapping[str, Any], prefix: str) -> list[FolderRow | ObjectRow]:
    """Folders and each key's first (latest) entry, in listing order; a request always starts
    at a key's beginning, so a key's first entry in it is its latest."""
    out: dict[str, FolderRow | ObjectRow] = {}
    for entry in result.get("CommonPrefixes") or []:
        folder = entry["Prefix"]
        out[folder] = FolderRow(prefix=folder, name=folder[len(prefix) :])
    for row in merged_rows(result):
        if row.key in out or row.key == prefix:
            continue  # an older version, or the folder's own placeholder object
        out[row.key] = ObjectRow(
            key=row.key, name=row.key[len(prefix) :] or row.key, size=row.size,
            last_modified=row.last_modified, storage_class=row.storage_class, etag=row.etag,
            deleted=row.is_delete_marker,
            marker_version_id=row.version_id if row.is_delete_marker else "",
        )  # fmt: skip
    return [out[name] for name in sorted(out)]


def _entries_per_key(result: Mapping[str, Any], keys: int) -> float:
    listed = len(result.get("Version") or []) + len(result.get("DeleteMarker") or [])
    return max(1.0, listed / max(1, keys))


def folder_page_with_deleted(
    *,
    bucket: str,
    prefix: str = "",
    q: str = "",
    marker: str = "",
    page_size: int,
    jump: str = "",
    shown: int = 0,
) -> ObjectPage:
    """A folder page whose rows include keys whose latest version is a delete marker.

    Read from the versions listing. Each request asks for as many entries as the keys still
    wanted are likely to take (learned from the previous answer: keys with long histories take
    more), and the next one starts past the last key seen (key marker, no version marker), so
    the rest of a long history is skipped rather than read. The page is marked by key exactly
    like the plain listing.
    """
    if jump:
        marker = jump_marker(prefix + jump)
    page = ObjectPage(
        bucket=bucket, prefix=prefix, q=q, marker=marker, page_size=page_size, jump=jump,
        shown_before=shown, show_deleted=True,
    )  # fmt: skip
    key_marker, slots, per_key = marker, page_size, 1.0
    for _request in range(DELETED_SCAN_REQUESTS):
        result = get_cos_client().list_objects_versions(
            Bucket=bucket, Prefix=page.list_prefix, Delimiter="/", KeyMarker=key_marker,
            MaxKeys=min(MAX_LISTING, int(slots * per_key * 1.2) + 1),
        )  # fmt: skip
        entries = _latest_entries(result, prefix)
        for entry in entries[:slots]:
            if isinstance(entry, FolderRow):
                page.folders.append(entry)
            else:
                page.objects.append(entry)
        if len(entries) > slots:  # more keys listed than the page holds: stop after the last
            last = entries[slots - 1]
            page.next_marker = last.prefix if isinstance(last, FolderRow) else last.key
            return page
        slots -= len(entries)
        per_key = _entries_per_key(result, len(entries))
        key_marker = str(result.get("NextKeyMarker") or "")
        if not _truncated(result) or not key_marker:
            return page
        if slots <= 0:
            break
    page.next_marker = key_marker
    return page


def folder_listing(
    *, versions: bool = False, deleted: bool = False, version_marker: str = "", **listing: Any
) -> ObjectPage | FolderVersionsPage:
    """The folder page the listing options ask for: plain, with deleted keys, or every version.

    (ListingForm refuses the storage-class filter with these; its scan count is plain only.)
    """
    if versions or deleted:
        listing.pop("scanned", None)
        listing.pop("storage_classes", None)
    if versions:
        return folder_versions_page(version_marker=version_marker, **listing)
    if deleted:
        return folder_page_with_deleted(**listing)
    return object_page(**listing)
