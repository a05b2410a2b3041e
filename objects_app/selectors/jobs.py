"""Reads of jobs, limited to what the user may see, as display data for the shared templates
(no template branches on a job's kind: the kind's ProgressView says what to show)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.jobs import display, registry
from objects_app.jobs.kind import Action, ProgressView
from objects_app.models import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    ItemOutcome,
    Job,
    JobItem,
    JobState,
)
from objects_app.roles import has_role

JOBS_PER_PAGE = 50
ITEMS_PER_PAGE = 50
# A cell starting with one of these is a formula to spreadsheet programs (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def job_list_for(user: Any) -> QuerySet[Job]:
    jobs = Job.objects.select_related("user")
    if user.is_superuser:
        return jobs
    return jobs.filter(user=user)


def job_get_for(user: Any, job_id: int) -> Job:
    return get_object_or_404(job_list_for(user), pk=job_id)


def upload_get_for(user: Any, job_id: int) -> Job:
    """Only the uploader may send chunks of an upload (admins included)."""
    return get_object_or_404(Job.objects.select_related("upload"), pk=job_id, kind="upload",
                             user=user)  # fmt: skip


# --- one job's panel ---


@dataclass(frozen=True)
class JobPanel:
    job: Job
    kind_label: str
    subject: str
    view: ProgressView
    actions: list[Action]
    has_report: bool

    @property
    def confirm_text(self) -> str:
        """The text to type before the actions that ask for one (one field per panel)."""
        return next((action.confirm_text for action in self.actions if action.confirm_text), "")


def job_panel(job: Job, user: Any) -> JobPanel:
    """What the job-progress partial shows: the kind's view plus the engine's own actions."""
    kind = registry.get(job.kind)
    view = kind.progress(job)
    actions = [a for a in view.actions if has_role(user, a.role)]
    if not job.is_terminal and (job.user_id == user.pk or user.is_superuser):
        url = reverse("objects:job-cancel", args=[job.pk])
        actions.append(Action(url, _("Cancel"), name="job-cancel", role="viewer"))
    has_report = (
        job.is_terminal
        and (job.failed or job.skipped or job.done)
        and (JobItem.objects.filter(job=job).exclude(outcome=ItemOutcome.PENDING).exists())
    ) or (
        # A dry run waiting for confirmation: its items are the plan, item by item.
        job.state == JobState.AWAITING_CONFIRM and JobItem.objects.filter(job=job).exists()
    )
    return JobPanel(job, str(kind.label), kind.subject(job), view, actions, bool(has_report))


# --- the jobs page ---


@dataclass(frozen=True)
class JobRow:
    job: Job
    kind_label: str
    subject: str
    status: str
    percent: int | None
    duration: str


def job_rows(user: Any, *, state: str = "", kind: str = "", owner: str = "",
             page: int = 1) -> tuple[Page[Job], list[JobRow]]:  # fmt: skip
    jobs = job_list_for(user).order_by("-created_at", "-id")
    if state == "active":
        jobs = jobs.filter(state__in=ACTIVE_STATES)
    elif state == "ended":
        jobs = jobs.filter(state__in=TERMINAL_STATES)
    elif state:
        jobs = jobs.filter(state=state)
    if kind:
        jobs = jobs.filter(kind=kind)
    if owner and user.is_superuser:
        jobs = jobs.filter(user__username=owner)
    current = Paginator(jobs, JOBS_PER_PAGE).get_page(page)
    return current, [_row(job) for job in current]


def _row(job: Job) -> JobRow:
    kind = registry.get(job.kind)
    view = kind.progress(job)
    return JobRow(job, str(kind.label), kind.subject(job), view.status, view.percent,
                  display.duration(job.duration_seconds))  # fmt: skip


def job_filter_choices(user: Any) -> dict[str, list[tuple[str, str]]]:
    """The filters' options: states, kinds, and (for admins) the owners that have jobs."""
    from objects_app.models import JobState

    states = [("active", _("Queued or running")), ("ended", _("Ended"))]
    states += [(value, str(label)) for value, label in JobState.choices]
    kinds = [(k.name, str(k.label)) for k in registry.all_kinds()]
    owners: list[tuple[str, str]] = []
    if user.is_superuser:
        names = Job.objects.exclude(user=None).values_list("user__username", flat=True)
        owners = [(n, n) for n in sorted(set(names))]
    return {"states": states, "kinds": kinds, "owners": owners}


# --- the per-item report ---


REPORT_FILTERS = [
    ("", gettext_lazy("All")),
    (ItemOutcome.DONE.value, gettext_lazy("Done")),
    (ItemOutcome.FAILED.value, gettext_lazy("Failed")),
    (ItemOutcome.SKIPPED.value, gettext_lazy("Skipped")),
]


def job_items(job: Job, outcome: str = "") -> QuerySet[JobItem]:
    items = JobItem.objects.filter(job=job)
    if job.state != JobState.AWAITING_CONFIRM:  # then pending items are the plan, shown
        items = items.exclude(outcome=ItemOutcome.PENDING)
    if outcome:
        items = items.filter(outcome=outcome)
    return items.order_by("seq")


def job_items_page(job: Job, outcome: str, page: int) -> Page[JobItem]:
    return Paginator(job_items(job, outcome), ITEMS_PER_PAGE).get_page(page)


def job_report_counts(job: Job) -> dict[str, int]:
    return {"done": job.done, "failed": job.failed, "skipped": job.skipped}


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def job_report_csv(job: Job, outcome: str = "") -> Iterator[str]:
    """The report as CSV lines, read in chunks (flat memory for any size)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(["seq", "key", "ref", "size", "outcome", "code", "reason"])
    for item in job_items(job, outcome).iterator(chunk_size=2000):
        values = [item.key, item.ref, str(item.size), item.outcome, item.reason_code, item.reason]
        yield writer.writerow([str(item.seq), *(_cell(v) for v in values)])


# --- notices in the object browser ---


def parse_since(value: str) -> datetime:
    """An epoch-seconds query value; anything else means 'from now on'."""
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return timezone.now()


def bucket_job_notices(user: Any, bucket: str, since: datetime) -> dict[str, Any]:
    """The user's jobs on `bucket` that ended after `since` (with their notice in words), and
    whether any is still going."""
    jobs = job_list_for(user).filter(bucket=bucket)
    finished = list(jobs.filter(state__in=TERMINAL_STATES, finished_at__gt=since)[:5])
    kinds = [registry.get(job.kind) for job in finished]
    notices = [
        (job, k.notice(job), k.changes_objects) for job, k in zip(finished, kinds, strict=True)
    ]
    active = jobs.filter(state__in=ACTIVE_STATES).exists()
    return {"notices": notices, "active": active, "since": since.timestamp()}
