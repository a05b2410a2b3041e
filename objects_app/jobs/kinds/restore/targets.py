"""A campaign's objects and their counters: every change of state is saved together with the
campaign's counter for each state (and the job's done / failed), in one transaction, so the
counts on the campaign page are one row's columns, always equal to the rows they count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from objects_app.archive import Tier, tier_of
from objects_app.models import Job
from objects_app.restore_models import (
    TRACKED_STATES,
    CopyState,
    RestoreCampaign,
    RestoreState,
    RestoreTarget,
)

STATE_FIELDS = [state.value for state in RestoreState]
COPY_FIELDS = {CopyState.PENDING: "copy_pending", CopyState.DONE: "copied",
               CopyState.FAILED: "copy_failed"}  # fmt: skip
# Settled in the job's own counters: "done" is every object that became readable.
DONE_STATES = (RestoreState.READY, RestoreState.EXPIRED)


@dataclass
class Change:
    """A target about to be saved, with the state (and copy state) it had when loaded."""

    target: RestoreTarget
    was: str
    copy_was: str

    @classmethod
    def of(cls, target: RestoreTarget) -> Change:
        return cls(target, target.state, target.copy_state)


def deltas(changes: Iterable[Change]) -> dict[str, int]:
    """Counter moves for the campaign row: +1 for each new state, -1 for each old one."""
    moved: Counter[str] = Counter()
    for change in changes:
        target = change.target
        if change.was != target.state:
            moved[change.was] -= 1
            moved[target.state] += 1
        if change.copy_was != target.copy_state:
            moved[COPY_FIELDS.get(CopyState(change.copy_was), "")] -= 1
            moved[COPY_FIELDS.get(CopyState(target.copy_state), "")] += 1
    moved.pop("", None)
    return {name: n for name, n in moved.items() if n}


def job_deltas(moved: dict[str, int]) -> dict[str, Any]:
    """The job's own counters (done / failed) follow the campaign's."""
    done = sum(moved.get(state, 0) for state in DONE_STATES)
    failed = moved.get(RestoreState.FAILED, 0)
    fields: dict[str, Any] = {}
    if done:
        fields["done"] = F("done") + done
    if failed:
        fields["failed"] = F("failed") + failed
    return fields


def move_counters(job_id: int, moved: dict[str, int]) -> None:
    if moved:
        RestoreCampaign.objects.filter(pk=job_id).update(
            **{name: F(name) + n for name, n in moved.items()}
        )


# Above this many distinct sets of values, one bulk UPDATE (CASE per row) beats one per set.
MAX_GROUPS = 8


def save(changes: list[Change], fields: list[str]) -> dict[str, int]:
    """Save the targets and move the counters (inside the caller's transaction)."""
    if not changes:
        return {}
    _write([c.target for c in changes], fields)
    moved = deltas(changes)
    move_counters(changes[0].target.job_id, moved)
    return moved


def _write(targets: list[RestoreTarget], fields: list[str]) -> None:
    """Most windows end alike (a thousand requests accepted in the same second): targets with
    the same new values are written by one UPDATE ... WHERE id IN (...), which costs a fraction
    of Django's bulk_update (a CASE per row and field)."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for target in targets:
        groups.setdefault(tuple(getattr(target, f) for f in fields), []).append(target.pk)
    if len(groups) > MAX_GROUPS:
        RestoreTarget.objects.bulk_update(targets, fields, batch_size=500)
        return
    for values, ids in groups.items():
        for start in range(0, len(ids), 900):  # under SQLite's 999 variables per statement
            RestoreTarget.objects.filter(pk__in=ids[start : start + 900]).update(
                **dict(zip(fields, values, strict=True))
            )


def reset_counters(job_id: int) -> None:
    """Count the campaign's targets once (after the plan stored them): its counters start here."""
    rows = RestoreTarget.objects.filter(job_id=job_id)
    states = dict(rows.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    copies = dict(
        rows.exclude(copy_state="")
        .values_list("copy_state")
        .annotate(n=Count("id"))
        .values_list("copy_state", "n")
    )
    values = {name: states.get(name, 0) for name in STATE_FIELDS}
    values.update({field: copies.get(state.value, 0) for state, field in COPY_FIELDS.items()})
    RestoreCampaign.objects.update_or_create(job_id=job_id, defaults=values)


# --- time: COS's documented durations, the polling interval ------------------------------------


def cos_seconds(seconds: float) -> float:
    """A time COS documents, as it passes here (divided by CONSOLE_RESTORE_TIME_SCALE)."""
    return seconds / settings.CONSOLE_RESTORE_TIME_SCALE


def tier_for(params: Any, storage_class: str) -> Tier | None:
    name = params.tier_deep_archive if storage_class == "DEEP_ARCHIVE" else params.tier_archive
    return tier_of(storage_class, name)


def first_check(tier: Tier | None, now: datetime) -> datetime:
    """The first HEAD after a request: when COS says the data may be readable, at the earliest,
    and never sooner than one polling interval."""
    soonest = cos_seconds(tier.soonest) if tier else 0
    return now + timedelta(seconds=max(settings.CONSOLE_RESTORE_POLL_SECONDS, soonest))


def next_check(checks: int, now: datetime) -> datetime:
    """The next HEAD of an object still restoring: the interval doubles with each look, up to
    CONSOLE_RESTORE_POLL_MAX_SECONDS, never less than one polling interval."""
    poll = settings.CONSOLE_RESTORE_POLL_SECONDS
    wait = min(settings.CONSOLE_RESTORE_POLL_MAX_SECONDS, poll * 2 ** min(checks, 20))
    return now + timedelta(seconds=max(poll, wait))


def expected_by(tier: Tier | None, requested: datetime) -> datetime:
    latest = cos_seconds(tier.latest) if tier else 0
    return requested + timedelta(seconds=latest)


def note_expected(job_id: int, when: datetime | None) -> None:
    """Keep the campaign's expected end at the latest expected time seen."""
    if when is None:
        return
    campaign = RestoreCampaign.objects.filter(pk=job_id)
    campaign.filter(expected_by__lt=when).update(expected_by=when)
    campaign.filter(expected_by=None).update(expected_by=when)


def refresh_next_check(job_id: int) -> datetime | None:
    """The earliest next HEAD of a followed object, kept on the campaign row."""
    earliest = RestoreTarget.objects.filter(job_id=job_id, state__in=TRACKED_STATES).aggregate(
        at=Min("next_check_at")
    )["at"]
    RestoreCampaign.objects.filter(pk=job_id).update(next_check_at=earliest)
    return earliest


# --- expiry ---------------------------------------------------------------------------------------


def expire_due(job_id: int | None = None, *, limit: int = 1000) -> int:
    """Ready objects whose readable copy has expired become "expired" (by their expiry date)."""
    now = timezone.now()
    due = RestoreTarget.objects.filter(state=RestoreState.READY, expiry__lte=now)
    if job_id is not None:
        due = due.filter(job_id=job_id)
    count = 0
    with transaction.atomic():
        targets = list(due.select_for_update().order_by("job_id", "seq")[:limit])
        by_job: dict[int, list[Change]] = {}
        for target in targets:
            change = Change.of(target)
            target.state = RestoreState.EXPIRED
            if target.copy_state == CopyState.PENDING:  # too late to copy: it is archived again
                target.copy_state, target.copy_error = CopyState.FAILED, "ExpiredBeforeCopy"
            by_job.setdefault(target.job_id, []).append(change)
        for job, changes in by_job.items():
            moved = save(changes, ["state", "copy_state", "copy_error"])
            Job.objects.filter(pk=job).update(**job_deltas(moved))
            count += len(changes)
    return count
