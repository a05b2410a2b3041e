"""Archive restore lifecycle, derived lazily from timestamps (no background threads).

A restore record is {"requested": t0, "ready": t0 + restore_seconds, "expires": ready + days *
day_seconds, "tier": ...}. The state at time t is ongoing before "ready", done until "expires",
and gone afterwards (the object is archived again).
"""

from __future__ import annotations

import json
import time
from typing import Any

from coslocal.config import Config
from coslocal.errors import CosError
from coslocal.http import http_date

ARCHIVE_CLASSES = {"ARCHIVE", "DEEP_ARCHIVE"}
_clock_offset = 0.0  # test hook: POST /_coslocal/clock moves restore time forward


def now() -> float:
    """The restore clock: wall time plus any offset a test asked for."""
    return time.time() + _clock_offset


def advance_clock(seconds: float) -> float:
    global _clock_offset
    if seconds < 0:
        raise ValueError("the restore clock only moves forward")
    _clock_offset += seconds
    return _clock_offset


TIERS = {
    "ARCHIVE": {"Expedited", "Standard", "Bulk"},
    "DEEP_ARCHIVE": {"Standard", "Bulk"},
}


def state(restore: dict[str, Any] | None, at: float | None = None) -> str:
    """'none' | 'ongoing' | 'done' | 'expired'."""
    if not restore:
        return "none"
    t = now() if at is None else at
    if t < restore["ready"]:
        return "ongoing"
    if t < restore["expires"]:
        return "done"
    return "expired"


def readable(storage_class: str, restore: dict[str, Any] | None) -> bool:
    return storage_class not in ARCHIVE_CLASSES or state(restore) == "done"


def head_headers(storage_class: str, restore: dict[str, Any] | None) -> list[tuple[str, str]]:
    if storage_class not in ARCHIVE_CLASSES:
        return []
    current = state(restore)
    if current == "ongoing":
        assert restore is not None
        return [
            ("x-cos-restore", 'ongoing-request="true"'),
            (
                "x-cos-restore-status",
                f'tier="{restore["tier"].lower()}"; '
                f'request-date="{http_date(restore["requested"])}"',
            ),
        ]
    if current == "done":
        assert restore is not None
        expiry = http_date(restore["expires"])
        return [("x-cos-restore", f'ongoing-request="false", expiry-date="{expiry}"')]
    return []


def listing_restore_status(config: Config, storage_class: str, raw: str | None) -> str | None:
    if storage_class not in ARCHIVE_CLASSES or not raw:
        return None
    current = state(json.loads(raw))
    return {"ongoing": "ONGOING", "done": "DONE"}.get(current)


def request_restore(
    config: Config, storage_class: str, restore: dict[str, Any] | None, days: int, tier: str
) -> tuple[int, dict[str, Any]]:
    """Return (status, new record): 202 for a new restore, 200 to extend a finished one."""
    if storage_class not in ARCHIVE_CLASSES:
        raise CosError(405, "RestoreNonArchiveObject", "Only archived objects can be restored.")
    if tier not in TIERS[storage_class]:
        raise CosError(400, "InvalidArgument", f"Tier {tier} is not allowed for {storage_class}.")
    if days < 1:
        raise CosError(400, "InvalidArgument", "Days must be a positive integer.")
    t = now()
    current = state(restore, t)
    if current == "ongoing":
        raise CosError(409, "RestoreAlreadyInProgress", "Object restore is already in progress.")
    if current == "done":
        assert restore is not None
        return 200, {**restore, "expires": t + days * config.day_seconds}
    ready = t + config.restore_seconds
    record = {
        "requested": t,
        "ready": ready,
        "expires": ready + days * config.day_seconds,
        "tier": tier,
        "days": days,
    }
    return 202, record
