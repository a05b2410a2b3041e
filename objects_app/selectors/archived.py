"""Reads that find archived objects: a folder listing filtered by storage class, and the restore
state of the archived rows a page shows.

COS's List Objects cannot filter by class (protocol 3.2), so a filtered page keeps listing
(1,000 keys a call) until it holds a page of matches or has looked at a bounded number of
entries; the page then says how many it scanned and found, and offers to continue from there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from objects_app.archive import ARCHIVE_CLASSES, tier_of
from objects_app.cos import CosClientError, CosServiceError
from objects_app.selectors.objects import detail_from_headers
from objects_app.storage import get_cos_client

log = logging.getLogger(__name__)

SCAN_PAGE = 1000  # COS's largest page: the fewest calls per entry scanned


@dataclass
class Scan:
    """What one filtered page request listed: matches, entries looked at, where to go on."""

    matches: list[dict[str, Any]]
    scanned: int
    next_marker: str
    stopped: bool  # the scan budget ran out before a full page of matches


def _entries_upto(result: dict[str, Any], last: str) -> int:
    """Entries (keys and folders) of one listing page that sort at or before `last`."""
    keys = sum(1 for item in result.get("Contents") or [] if item["Key"] <= last)
    folders = sum(1 for entry in result.get("CommonPrefixes") or [] if entry["Prefix"] <= last)
    return keys + folders


def scan_by_class(
    *, bucket: str, list_prefix: str, folder: str, marker: str, classes: frozenset[str],
    want: int, budget: int,
) -> Scan:  # fmt: skip
    """Objects of `classes` directly in the folder, in key order, from `marker` on.

    Stops at `want` matches (the next marker is then the last match, so the rest of that
    listing page is listed again next time: nothing is skipped) or once `budget` entries were
    looked at (the next marker is where the listing stopped).
    """
    client = get_cos_client()
    matches: list[dict[str, Any]] = []
    scanned = 0
    while True:
        result = client.list_objects(
            Bucket=bucket, Prefix=list_prefix, Delimiter="/", Marker=marker, MaxKeys=SCAN_PAGE
        )
        truncated = str(result.get("IsTruncated", "false")).lower() == "true"
        for item in result.get("Contents") or []:
            if item["Key"] == folder or (item.get("StorageClass") or "STANDARD") not in classes:
                continue
            matches.append(item)
            if len(matches) == want:
                scanned += _entries_upto(result, item["Key"])
                more = truncated or item is not (result.get("Contents") or [])[-1]
                return Scan(matches, scanned, item["Key"] if more else "", stopped=False)
        scanned += len(result.get("Contents") or []) + len(result.get("CommonPrefixes") or [])
        if not truncated:
            return Scan(matches, scanned, "", stopped=False)
        marker = result.get("NextMarker") or ""
        if scanned >= budget or not marker:
            return Scan(matches, scanned, marker, stopped=True)


# --- restore state of listed rows ------------------------------------------------------------


@dataclass(frozen=True)
class RestoreCell:
    """One archived row's restore state, as the listing's restore column shows it."""

    key: str
    # "archived", "restoring", "restored", "readable" (no longer archived), "gone", "unknown"
    state: str
    expiry: datetime | None = None
    tier: str = ""  # the tier of a restore in progress, as COS names it
    storage_class: str = ""

    @property
    def tier_label(self) -> str:
        tier = tier_of(self.storage_class, self.tier)
        return str(tier.label) if tier else self.tier


def _restore_cell(bucket: str, key: str) -> RestoreCell:
    try:
        headers = get_cos_client().head_object(Bucket=bucket, Key=key)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return RestoreCell(key, "gone")
        log.info("restore state of %s/%s unavailable: %s", bucket, key, exc)
        return RestoreCell(key, "unknown")
    except CosClientError as exc:
        log.info("restore state of %s/%s unavailable: %s", bucket, key, exc)
        return RestoreCell(key, "unknown")
    detail = detail_from_headers(bucket, key, headers)
    if detail.storage_class not in ARCHIVE_CLASSES:
        return RestoreCell(key, "readable")  # changed class since the listing
    if detail.restore_ongoing:
        return RestoreCell(
            key, "restoring", tier=detail.restore_tier, storage_class=detail.storage_class
        )
    if detail.is_restored:
        return RestoreCell(key, "restored", expiry=detail.restore_expiry)
    return RestoreCell(key, "archived")


def restore_cells(*, bucket: str, keys: Iterable[str]) -> list[RestoreCell]:
    """HEAD each key, a bounded number at once; one failure shows as "unknown", not an error."""
    wanted = list(keys)[: settings.CONSOLE_RESTORE_STATE_BATCH]
    if not wanted:
        return []
    threads = min(settings.CONSOLE_RESTORE_STATE_THREADS, len(wanted))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda key: _restore_cell(bucket, key), wanted))
