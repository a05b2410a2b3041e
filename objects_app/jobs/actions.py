"""What users (and other jobs) do to a job: cancel it, confirm its plan; and plan expiry."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app.errors import ObjectsError
from objects_app.jobs import registry
from objects_app.jobs.dispatch import enqueue
from objects_app.jobs.engine import job_end, job_finish, record_outcome
from objects_app.models import Job, JobState
from objects_app.services.audit import audit_record


def job_cancel(*, user: Any, job: Job) -> Job:
    """Stop a job: a running step notices at its next commit; cleanup follows (uploads abort)."""
    if not job_finish(job.pk, state=JobState.CANCELLED):
        raise ObjectsError(_("This job has already finished."), status=409)
    kind = registry.get(job.kind)
    audit_record(user=user, action=f"job.{job.kind}.cancel", bucket=job.bucket,
                 key=kind.subject(job))  # fmt: skip
    _after_cancel(job)
    job.refresh_from_db()
    return job


def job_cancel_by_system(job_id: int, *, reason: str) -> bool:
    """Cancel a job for a reason the console gives (not a user's click)."""
    if not job_finish(job_id, state=JobState.CANCELLED, error_message=reason):
        return False
    _after_cancel(Job.objects.get(pk=job_id))
    return True


def _after_cancel(job: Job) -> None:
    job.refresh_from_db()
    if not job.run_token:
        record_outcome(job.pk)  # nothing holds it (queued, waiting); otherwise its run will
    enqueue(job)  # its task sees the terminal state and runs the kind's cleanup (in the worker)


def job_confirm(*, user: Any, job: Job, choice: str, kind_name: str | None = None) -> Job:
    """Start the run the user confirmed, from the plan their dry run made.

    With `kind_name`, a job of any other kind is refused (an action belongs to its kind).
    """
    kind = registry.get(job.kind)
    if kind_name is not None and job.kind != kind_name:
        raise ObjectsError(
            _("Job #%(id)s is a %(kind)s job, not a %(expected)s job.") % {
                "id": job.pk, "kind": kind.label, "expected": registry.get(kind_name).label
            },
            status=409,
        )  # fmt: skip
    if not kind.confirm:
        raise ObjectsError(_("This job has nothing to confirm."), status=409)
    expires = job.plan_expires_at
    if job.state == JobState.AWAITING_CONFIRM and expires and expires <= timezone.now():
        job_expire(job.pk)
        raise ObjectsError(_("This dry run expired; run it again."), status=409)
    if job.state != JobState.AWAITING_CONFIRM:
        raise ObjectsError(_("This job was already started or cancelled."), status=409)
    with transaction.atomic():
        _start_confirmed(kind, job, choice)
    audit_record(
        user=user, action=f"job.{kind.name}.start", bucket=job.bucket, key=kind.subject(job),
        detail=f"{job.total} items, {job.bytes_total} bytes, option {choice}",
    )  # fmt: skip
    enqueue(job)
    return job


def _start_confirmed(kind: Any, job: Job, choice: str) -> None:
    fields = {
        "state": JobState.QUEUED, "phase": kind.run_phase, "checkpoint": -1, "done": 0,
        "failed": 0, "skipped": 0, "bytes_done": 0, "heartbeat_at": timezone.now(),
        **kind.confirm_plan(job, choice),
    }  # fmt: skip
    if Job.objects.filter(pk=job.pk, state=JobState.AWAITING_CONFIRM).update(**fields) != 1:
        raise ObjectsError(_("This job was already started or cancelled."), status=409)
    job.refresh_from_db()


def job_expire(job_id: int) -> bool:
    """An unconfirmed plan past its time: nothing was done, and nothing will be."""
    expired = Job.objects.filter(pk=job_id, state=JobState.AWAITING_CONFIRM).update(
        state=JobState.EXPIRED, finished_at=timezone.now()
    )
    if expired:
        job_end(Job.objects.get(pk=job_id))
    return bool(expired)
