"""Reads for restore campaigns: the campaign page (counts per state from the campaign row, one
page of objects by key order after a line number), its CSV export, and notifications.

Every read here costs the same for a campaign of ten objects or of a million: counts are
columns, pages are index range scans (`seq` after the last one shown), never OFFSET or COUNT.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app.jobs.kinds.restore.notify import campaign_words
from objects_app.restore_models import (
    Notification,
    RestoreCampaign,
    RestoreState,
    RestoreTarget,
)
from objects_app.selectors.jobs import FORMULA_START, job_get_for
from objects_app.services.restore_plan import verdict_words

PAGE = 100
CSV_CHUNK = 2000


def campaign_get_for(user: Any, job_id: int) -> Any:
    job = job_get_for(user, job_id)
    if job.kind != "restore":
        raise Http404("not a restore campaign")
    return job


@dataclass(frozen=True)
class StateFilter:
    value: str
    label: str
    count: int | None  # None: "all" (the total is the job's)
    selected: bool


@dataclass(frozen=True)
class TargetRow:
    target: RestoreTarget
    words: str  # the plan's verdict, or why it failed, in the reader's language
    expired: bool


@dataclass
class CampaignPage:
    job: Any
    campaign: RestoreCampaign
    state: str
    filters: list[StateFilter]
    rows: list[TargetRow]
    next_after: int | None  # the `after` of the next page; None on the last


def state_filters(campaign: RestoreCampaign, chosen: str) -> list[StateFilter]:
    filters = [StateFilter("", _("All"), None, chosen == "")]
    for state in RestoreState:
        filters.append(
            StateFilter(state.value, str(state.label), campaign.count(state.value), chosen == state)
        )
    return filters


def _targets(job: Any, state: str) -> QuerySet[RestoreTarget]:
    rows = RestoreTarget.objects.filter(job=job)
    return rows.filter(state=state) if state else rows


def campaign_page(job: Any, *, state: str = "", after: int = 0) -> CampaignPage:
    campaign = RestoreCampaign.objects.filter(pk=job.pk).first() or RestoreCampaign(job=job)
    found = list(_targets(job, state).filter(seq__gt=after).order_by("seq")[: PAGE + 1])
    now = timezone.now()
    rows = [TargetRow(t, target_words(t), _expired(t, now)) for t in found[:PAGE]]
    next_after = found[PAGE - 1].seq if len(found) > PAGE else None
    return CampaignPage(job, campaign, state, state_filters(campaign, state), rows, next_after)


def _expired(target: RestoreTarget, now: datetime) -> bool:
    return target.expiry is not None and target.expiry <= now


def target_words(target: RestoreTarget) -> str:
    if target.state == RestoreState.SKIPPED:
        return verdict_words(target.verdict, target.detail, target.key)
    if target.state == RestoreState.FAILED:
        return failure_words(target.error_code)
    if target.error_code == "ExpiredUnseen":
        return _("Its readable copy had already expired when the campaign looked.")
    if target.state == RestoreState.READY and target.error_code == "RestoreNonArchiveObject":
        return _("No longer archived: readable as it is.")
    return ""


def failure_words(code: str) -> str:
    if code == "NoSuchKey":
        return _("The object is gone (deleted since the plan).")
    return _("COS refused: %(code)s.") % {"code": code}


# --- CSV export -----------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


CSV_HEADER = ["key", "line", "storage_class", "size", "state", "expiry", "note", "error",
              "copy", "copy_key", "copy_error"]  # fmt: skip


def campaign_csv(job: Any, state: str = "") -> Iterator[str]:
    """Every object as a CSV line (its key first, so a column can be uploaded again), read in
    chunks by line number: flat memory whatever the campaign's size."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    after = 0
    while True:
        chunk = list(_targets(job, state).filter(seq__gt=after).order_by("seq")[:CSV_CHUNK])
        for t in chunk:
            expiry = t.expiry.strftime("%Y-%m-%d %H:%M:%S") if t.expiry else ""
            values = [t.key, str(t.seq), t.storage_class, str(t.size), t.state, expiry,
                      target_words(t), t.error_code, t.copy_state, t.copy_key,
                      t.copy_error]  # fmt: skip
            yield writer.writerow([_cell(v) for v in values])
        if len(chunk) < CSV_CHUNK:
            return
        after = chunk[-1].seq


# --- notifications --------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationRow:
    notification: Notification
    text: str


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def notification_rows(user: Any, limit: int = 50) -> list[NotificationRow]:
    rows = Notification.objects.filter(user=user).select_related("job")[:limit]
    return [NotificationRow(n, campaign_words(n.job) if n.job else "") for n in rows]
