"""Archive restore lifecycle, derived lazily from timestamps (no background threads).

A restore record is {"requested": t0, "ready": t0 + duration(class, tier), "expires": ready +
days x day_seconds, "tier": ...}. The state at time t is ongoing before "ready", done until
"expires", and gone afterwards (the object is archived again: GET 403 InvalidObjectState, HEAD
without x-cos-restore).

Timing: COS documents a range per class and tier (protocol 3.17); coslocal takes its upper end
(the time by which COS says the data is readable), divided by --time-scale so tests and the demo
see "in progress" turn into "ready" in seconds. --restore-seconds replaces the whole table with
one flat duration; --restore-time CLASS:TIER=SECONDS overrides one entry.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from coslocal.errors import CosError
from coslocal.http import http_date

if TYPE_CHECKING:
    from coslocal.config import Config

ARCHIVE_CLASSES = {"ARCHIVE", "DEEP_ARCHIVE"}
HOUR = 3600.0
# (class, tier) -> COS seconds until readable: the upper end of each documented range.
RESTORE_TIMES: dict[tuple[str, str], float] = {
    ("ARCHIVE", "Expedited"): 5 * 60.0,  # 1-5 minutes
    ("ARCHIVE", "Standard"): 5 * HOUR,  # 3-5 hours
    ("ARCHIVE", "Bulk"): 12 * HOUR,  # 5-12 hours
    ("DEEP_ARCHIVE", "Standard"): 24 * HOUR,  # 12-24 hours
    ("DEEP_ARCHIVE", "Bulk"): 48 * HOUR,  # 24-48 hours
}
DAY = 86400.0
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


TIERS = {klass: {t for c, t in RESTORE_TIMES if c == klass} for klass in sorted(ARCHIVE_CLASSES)}


def duration(config: Config, storage_class: str, tier: str) -> float:
    """Real seconds from a restore request until the copy is readable."""
    if config.restore_seconds is not None:
        return config.restore_seconds
    cos_seconds = config.restore_times.get(
        (storage_class, tier), RESTORE_TIMES[(storage_class, tier)]
    )
    return cos_seconds / config.time_scale


def day_length(config: Config) -> float:
    """Real seconds in one restore day (the unit of RestoreRequest Days)."""
    return config.day_seconds if config.day_seconds is not None else DAY / config.time_scale


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
        # COS does not document a repeat on a restored copy; S3 answers 200 and moves the expiry
        # to Days from now (protocol 3.17), and so does coslocal.
        assert restore is not None
        return 200, {**restore, "expires": t + days * day_length(config), "days": days}
    ready = t + duration(config, storage_class, tier)
    record = {
        "requested": t,
        "ready": ready,
        "expires": ready + days * day_length(config),
        "tier": tier,
        "days": days,
    }
    return 202, record
