"""Reads of Job rows, limited to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from objects_app.models import Job


def job_list_for(user: Any) -> QuerySet[Job]:
    jobs = Job.objects.select_related("user")
    if user.is_superuser:
        return jobs
    return jobs.filter(user=user)


def job_get_for(user: Any, job_id: int) -> Job:
    return get_object_or_404(job_list_for(user), pk=job_id)
