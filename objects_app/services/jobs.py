"""Job lifecycle (claim and finish by conditional UPDATE) and the prefix-summary job."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from objects_app.cos import CosServiceError
from objects_app.models import TERMINAL_STATES, Job, JobKind, JobState
from objects_app.services.audit import audit_record
from objects_app.storage import get_cos_client
from objects_app.tasks import prefix_summary_task as prefix_summary_task_

log = logging.getLogger(__name__)

# Progress is written every this many objects: frequent enough for a live bar, cheap on the DB.
PROGRESS_EVERY = 1000


@transaction.atomic
def prefix_summary_start(*, user: Any, bucket: str, prefix: str) -> Job:
    """Queue a job that counts the objects and bytes under a prefix."""
    job = Job.objects.create(kind=JobKind.PREFIX_SUMMARY, user=user, bucket=bucket, prefix=prefix)
    audit_record(user=user, action="job.prefix_summary", bucket=bucket, key=prefix)
    prefix_summary_task_.delay_on_commit(job_id=job.pk)
    return job


def job_claim(job_id: int) -> bool:
    """Move a queued job to running; False when another delivery already has it or it ended."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now
    )
    return claimed == 1


def job_finish(job_id: int, *, state: str, **fields: Any) -> bool:
    """Set a terminal state once; later calls change nothing (conditional UPDATE)."""
    return (
        Job.objects.filter(pk=job_id)
        .exclude(state__in=TERMINAL_STATES)
        .update(state=state, finished_at=timezone.now(), **fields)
        == 1
    )


def prefix_summary_run(*, job_id: int) -> None:
    """Count every object under the job's prefix (all pages), recording progress as it goes.

    Counting is idempotent, so a redelivered task simply counts again from the start.
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_terminal:
        return  # deleted, or a redelivery of finished work
    job_claim(job_id)
    count = size = 0
    try:
        for item in get_cos_client().iter_objects(Bucket=job.bucket, Prefix=job.prefix):
            count += 1
            size += int(item.get("Size") or 0)
            if count % PROGRESS_EVERY == 0:
                Job.objects.filter(pk=job_id).update(
                    done=count, bytes_done=size, heartbeat_at=timezone.now()
                )
    except CosServiceError as exc:
        job_finish(job_id, state=JobState.FAILED, error_message=_cos_message(exc))
        return
    job_finish(
        job_id,
        state=JobState.SUCCEEDED,
        total=count,
        done=count,
        bytes_total=size,
        bytes_done=size,
        result={"objects": count, "bytes": size},
    )


def _cos_message(exc: CosServiceError) -> str:
    return f"{exc.get_error_code()}: {exc.get_error_msg()} (request id {exc.get_request_id()})"
