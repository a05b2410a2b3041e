"""Reads of Job rows, limited to what the user may see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from objects_app.models import TERMINAL_STATES, Job, JobKind, JobState


def job_list_for(user: Any) -> QuerySet[Job]:
    jobs = Job.objects.select_related("user")
    if user.is_superuser:
        return jobs
    return jobs.filter(user=user)


def job_get_for(user: Any, job_id: int) -> Job:
    return get_object_or_404(job_list_for(user), pk=job_id)


def upload_get_for(user: Any, job_id: int) -> Job:
    """Only the uploader may send chunks of an upload (admins included)."""
    return get_object_or_404(Job, pk=job_id, kind=JobKind.UPLOAD, user=user)


def parse_since(value: str) -> datetime:
    """An epoch-seconds query value; anything else means 'from now on'."""
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return timezone.now()


def bucket_job_notices(user: Any, bucket: str, since: datetime) -> dict[str, Any]:
    """The user's jobs on `bucket` that ended after `since`, and whether any is still going."""
    jobs = job_list_for(user).filter(bucket=bucket)
    finished = list(jobs.filter(state__in=TERMINAL_STATES, finished_at__gt=since)[:5])
    active = jobs.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).exists()
    return {"finished": finished, "active": active, "since": since.timestamp()}
