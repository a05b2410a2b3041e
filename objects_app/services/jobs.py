"""Job lifecycle: claim, heartbeat, release and finish by conditional UPDATE; cancel; the sweep
that re-enqueues jobs whose worker died; and the prefix-summary job.

A job row is owned by whichever task last claimed it. Claiming succeeds for a queued job, or for
a running job whose heartbeat is older than CONSOLE_JOB_STALE_SECONDS (its worker is presumed
dead), so a redelivered or re-enqueued message never runs alongside a live one for long.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from objects_app.cos import CosServiceError
from objects_app.errors import ObjectsError
from objects_app.models import TERMINAL_STATES, Job, JobItem, JobKind, JobState
from objects_app.services.audit import audit_record
from objects_app.storage import get_cos_client
from objects_app.tasks import delete_run_task as delete_run_task_
from objects_app.tasks import prefix_summary_task as prefix_summary_task_
from objects_app.tasks import upload_run_task as upload_run_task_

log = logging.getLogger(__name__)

# Progress is written every this many objects: frequent enough for a live bar, cheap on the DB.
PROGRESS_EVERY = 1000
UNCONFIRMED_PLAN_DAYS = 7  # a batch-delete dry run nobody confirms is cancelled after this


def _stale_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.CONSOLE_JOB_STALE_SECONDS)


def job_dispatch(job: Job) -> None:
    """Queue the task that drives `job` (after the surrounding transaction commits)."""
    task = {
        JobKind.PREFIX_SUMMARY: prefix_summary_task_,
        JobKind.DELETE: delete_run_task_,
        JobKind.UPLOAD: upload_run_task_,
    }[JobKind(job.kind)]
    task.delay_on_commit(job_id=job.pk)


def job_claim(job_id: int) -> bool:
    """Take ownership of a queued job, or of a running one whose worker stopped beating."""
    now = timezone.now()
    stale = Q(state=JobState.RUNNING) & (Q(heartbeat_at__lt=_stale_before()) | Q(heartbeat_at=None))
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(Q(state=JobState.QUEUED) | stale)
        .update(
            state=JobState.RUNNING,
            started_at=Coalesce(F("started_at"), Value(now)),
            heartbeat_at=now,
        )
    )
    return claimed == 1


def job_heartbeat(job_id: int, **fields: Any) -> bool:
    """Record liveness (and progress fields); False when the job is no longer running here."""
    updated = Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        heartbeat_at=timezone.now(), **fields
    )
    return updated == 1


def job_release(job_id: int) -> bool:
    """Hand a running job back to the queue (a retry or the next slice will claim it)."""
    updated = Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        state=JobState.QUEUED, heartbeat_at=timezone.now()
    )
    return updated == 1


def job_finish(job_id: int, *, state: str, **fields: Any) -> bool:
    """Set a terminal state once; later calls change nothing (conditional UPDATE)."""
    return (
        Job.objects.filter(pk=job_id)
        .exclude(state__in=TERMINAL_STATES)
        .update(state=state, finished_at=timezone.now(), **fields)
        == 1
    )


def job_params_merge(job_id: int, *, live_only: bool = False, **values: Any) -> bool:
    """Merge `values` into the job's params (read fresh); with live_only, not once it ended."""
    params = Job.objects.values_list("params", flat=True).get(pk=job_id)
    rows = Job.objects.filter(pk=job_id)
    if live_only:
        rows = rows.exclude(state__in=TERMINAL_STATES)
    return rows.update(params={**params, **values}) == 1


def job_state(job_id: int) -> str | None:
    return Job.objects.filter(pk=job_id).values_list("state", flat=True).first()


@transaction.atomic
def job_cancel(*, user: Any, job: Job) -> Job:
    """Stop a job: running work notices at its next chunk; uploads are aborted on COS."""
    if not job_finish(job.pk, state=JobState.CANCELLED, error_message="Cancelled by the user."):
        raise ObjectsError("This job has already finished.", status=409)
    audit_record(user=user, action=f"job.{job.kind}.cancel", bucket=job.bucket, key=job.prefix)
    if job.kind == JobKind.UPLOAD:
        job_dispatch(job)  # the task sees the cancelled state and aborts and cleans up
    job.refresh_from_db()
    return job


def jobs_sweep() -> int:
    """Re-enqueue jobs that should be moving but are not (lost message, dead worker)."""
    stale_before = _stale_before()
    stuck = Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at=None, created_at__lt=stale_before)
    )
    count = 0
    for job in stuck:
        if job.state == JobState.RUNNING and not _rescue_allowed(job):
            continue
        if job.state == JobState.QUEUED:
            # One re-enqueue per stale period; a running job keeps its old heartbeat so the next
            # task can claim it.
            Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(heartbeat_at=timezone.now())
        log.warning("sweep: re-enqueueing %s (heartbeat %s)", job, job.heartbeat_at)
        job_dispatch(job)
        count += 1
    return count


def job_items_prune(*, batch: int = 10_000) -> int:
    """Housekeeping for batch deletes: keep the error report, drop what is no longer needed.

    Items of finished jobs are kept only where they failed (the report and "retry failed" use
    them); a dry run nobody confirmed within a week is cancelled, so its plan goes the same way.
    """
    now = timezone.now()
    Job.objects.filter(
        kind=JobKind.DELETE,
        state=JobState.PENDING,
        created_at__lt=now - timedelta(days=UNCONFIRMED_PLAN_DAYS),
    ).update(
        state=JobState.CANCELLED,
        finished_at=now,
        error_message="The dry run was never confirmed; run it again to delete.",
    )
    done_before = now - timedelta(hours=settings.CONSOLE_JOB_ITEMS_KEEP_HOURS)
    stale = JobItem.objects.filter(
        job__state__in=TERMINAL_STATES, job__finished_at__lt=done_before, error_code=""
    )
    ids = list(stale.values_list("pk", flat=True)[:batch])
    return JobItem.objects.filter(pk__in=ids).delete()[0] if ids else 0


def _rescue_allowed(job: Job) -> bool:
    """Count restarts of a job whose run died; fail it once they pass the limit.

    A worker killed now and then is survivable, but a run that dies every time (a bug, a poison
    input) would otherwise be restarted forever. Queued jobs are not counted: waiting for a free
    worker is not a failure.
    """
    rescues = int(job.params.get("rescues", 0)) + 1
    if rescues > settings.CONSOLE_JOB_MAX_RESCUES:
        message = (
            f"Stopped after {rescues - 1} restarts: each run died before finishing "
            "(see the worker log)."
        )
        if job_finish(job.pk, state=JobState.FAILED, error_message=message):
            log.error("sweep: giving up on %s after %d restarts", job, rescues - 1)
            if job.kind == JobKind.UPLOAD:
                job_dispatch(job)  # its task sees the failed state, aborts and cleans up
        return False
    job_params_merge(job.pk, rescues=rescues)
    return True


# --- the prefix-summary job ----------------------------------------------------------------------


@transaction.atomic
def prefix_summary_start(*, user: Any, bucket: str, prefix: str) -> Job:
    """Queue a job that counts the objects and bytes under a prefix."""
    job = Job.objects.create(kind=JobKind.PREFIX_SUMMARY, user=user, bucket=bucket, prefix=prefix)
    audit_record(user=user, action="job.prefix_summary", bucket=bucket, key=prefix)
    prefix_summary_task_.delay_on_commit(job_id=job.pk)
    return job


def prefix_summary_run(*, job_id: int) -> None:
    """Count every object under the job's prefix (all pages), recording progress as it goes.

    Counting is idempotent, so a redelivered task simply counts again from the start.
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_terminal or not job_claim(job_id):
        return  # deleted, finished, or a live worker has it
    count = size = 0
    try:
        for item in get_cos_client().iter_objects(Bucket=job.bucket, Prefix=job.prefix):
            count += 1
            size += int(item.get("Size") or 0)
            if count % PROGRESS_EVERY == 0 and not job_heartbeat(
                job_id, done=count, bytes_done=size
            ):
                return  # cancelled
    except CosServiceError as exc:
        if exc.get_status_code() >= 500:
            raise  # the task retries with backoff
        job_finish(job_id, state=JobState.FAILED, error_message=cos_message(exc))
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


def cos_message(exc: CosServiceError) -> str:
    return f"{exc.get_error_code()}: {exc.get_error_msg()} (request id {exc.get_request_id()})"
