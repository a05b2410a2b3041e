"""Reads of the audit trail: filtered, newest first; CSV rows for export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from objects_app.models import AuditEvent

CSV_HEADER = [
    "at",
    "user",
    "action",
    "bucket",
    "key",
    "version_id",
    "outcome",
    "request_id",
    "detail",
]
# A cell starting with one of these is a formula to spreadsheet programs (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), dt.UTC)


def audit_events(
    *,
    user: str = "",
    action: str = "",
    bucket: str = "",
    outcome: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    **_: Any,
) -> QuerySet[AuditEvent]:
    """Events matching every given filter; dates are whole UTC days, both ends included."""
    events = AuditEvent.objects.all()
    if user:
        events = events.filter(username=user)
    if action:
        events = events.filter(action=action)
    if bucket:
        events = events.filter(bucket=bucket)
    if outcome:
        events = events.filter(outcome=outcome)
    if date_from:
        events = events.filter(at__gte=_day_start(date_from))
    if date_to:
        events = events.filter(at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return events.order_by("-at", "-id")


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def audit_csv_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """The header, then one row per event, read in chunks (flat memory for any trail size)."""
    yield CSV_HEADER
    for e in events.iterator(chunk_size=2000):
        values = [e.at.isoformat(), e.username, e.action, e.bucket, e.key, e.version_id]
        values += [e.outcome, e.request_id, e.detail]
        yield [_cell(v) for v in values]
