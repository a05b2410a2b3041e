"""The job lifecycle, the same for every kind: create, claim, step, hand back, finish, cancel,
confirm, and the audit entries at the start and at the end.

A job is held by one run at a time: the claim writes a fresh `run_token`, and every heartbeat,
commit and hand-back of that run is a conditional UPDATE on it. A run whose worker died stops
beating; once its heartbeat is older than CONSOLE_JOB_STALE_SECONDS another run may claim the
job (the sweep queues one), and the dead run's later writes, if it was only slow, change nothing.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app.errors import ObjectsError
from objects_app.jobs import registry
from objects_app.jobs.dispatch import enqueue
from objects_app.jobs.failures import user_message
from objects_app.jobs.kind import (
    AwaitInput,
    Continue,
    Finished,
    JobParams,
    Kind,
    NextPhase,
    PlanReady,
    StepResult,
    Stopped,
)
from objects_app.jobs.pulse import Pulse
from objects_app.models import TERMINAL_STATES, Job, JobState
from objects_app.services.audit import audit_record
from objects_app.storage import get_cos_client

log = logging.getLogger(__name__)

RATE_LIMIT_DELAY = 5.0  # seconds before a job held back by its kind's max_running tries again


def stale_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.CONSOLE_JOB_STALE_SECONDS)


# --- creating jobs ---


def job_create(
    *,
    kind: Kind,
    user: Any,
    bucket: str,
    params: JobParams,
    state: str = JobState.QUEUED,
    dedupe_key: str = "",
    detail: str = "",
    phase: str = "",
    **fields: Any,
) -> Job:
    """Create a job in its kind's first phase (or `phase`: a kind may start some jobs past
    their plan, as a restore campaign of one object already requested does), audit its start,
    queue it if it is queued.

    With `dedupe_key`, a live job of the same kind and key is returned instead of a new one
    (the database's conditional unique constraint decides when two requests race).
    """
    _check_live_limit(kind, user)
    phase = phase or kind.phases[0].name
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind.name, user=user, bucket=bucket, params=params.to_json(), state=state,
                phase=phase, dedupe_key=dedupe_key, **fields,
            )  # fmt: skip
    except IntegrityError:
        existing = _live_duplicate(kind, dedupe_key)
        if existing is None:
            raise
        return existing
    action = "plan" if kind.confirm and phase == kind.phases[0].name else "start"
    audit_record(user=user, action=f"job.{kind.name}.{action}", bucket=bucket,
                 key=kind.subject(job), detail=detail or _describe_params(params))  # fmt: skip
    if state == JobState.QUEUED:
        enqueue(job)
    return job


def job_find_live(*, kind: Kind, dedupe_key: str) -> Job | None:
    return _live_duplicate(kind, dedupe_key)


def _live_duplicate(kind: Kind, dedupe_key: str) -> Job | None:
    if not dedupe_key:
        return None
    live = Job.objects.filter(kind=kind.name, dedupe_key=dedupe_key)
    return live.exclude(state__in=TERMINAL_STATES).first()


def _check_live_limit(kind: Kind, user: Any) -> None:
    if kind.max_live_per_user is None or user is None:
        return
    live = Job.objects.filter(kind=kind.name, user=user).exclude(state__in=TERMINAL_STATES)
    if live.count() >= kind.max_live_per_user:
        raise ObjectsError(
            _("You already have %(n)d unfinished jobs of this kind; wait for one to end.")
            % {"n": kind.max_live_per_user},
            status=429,
        )


def _describe_params(params: JobParams) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.to_json().items() if v not in ("", None, []))


# --- a run ---


@dataclass
class JobRun:
    """One claimed run of a job: what a kind's step works with (per-run state lives here)."""

    job: Job
    kind: Kind
    token: str
    deadline: float  # time.monotonic() after which the slice should end

    @cached_property
    def client(self) -> Any:
        """One client for the run: its connection pool is reused by every request (and thread)
        of the run, where a client per request opened a connection per request."""
        return get_cos_client()

    def sliced(self) -> bool:
        return time.monotonic() > self.deadline

    def mine(self) -> Any:
        """The job's row, as long as this run holds it (for conditional UPDATEs)."""
        return Job.objects.filter(pk=self.job.pk, run_token=self.token)

    def beat(self, **fields: Any) -> bool:
        """Record liveness (and progress fields); False once the job is no longer running here."""
        updated = self.mine().filter(state=JobState.RUNNING)
        return updated.update(heartbeat_at=timezone.now(), **fields) == 1

    def alive(self) -> bool:
        return self.mine().filter(state=JobState.RUNNING).exists()

    def refresh(self) -> Job:
        self.job.refresh_from_db()
        return self.job


def job_claim(job_id: int, kind: Kind | None = None) -> str | None:
    """Take a queued job, or a running one whose run stopped beating; the new run's token."""
    now, token = timezone.now(), uuid.uuid4().hex
    stale = Q(state=JobState.RUNNING) & (Q(heartbeat_at__lt=stale_before()) | Q(heartbeat_at=None))
    rows = Job.objects.filter(pk=job_id).filter(Q(state=JobState.QUEUED) | stale)
    if kind is not None and kind.max_running is not None:
        rows = rows.alias(busy=_running_count(kind, job_id)).filter(busy__lt=kind.max_running)
    claimed = rows.update(
        state=JobState.RUNNING,
        run_token=token,
        started_at=Coalesce(F("started_at"), Value(now)),
        heartbeat_at=now,
        dispatch_pending=False,
    )
    return token if claimed == 1 else None


def _running_count(kind: Kind, job_id: int) -> Any:
    running = Job.objects.filter(kind=kind.name, state=JobState.RUNNING)
    running = running.filter(heartbeat_at__gte=stale_before()).exclude(pk=job_id)
    counted = running.values("kind").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), Value(0))


def job_step(job_id: int) -> None:
    """The body of every job task: claim the job, run one step of its phase, apply the result."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    kind = registry.get(job.kind)
    if job.is_terminal:
        job_end(job)  # a cancel or failure queued this: clean up
        return
    token = job_claim(job_id, kind)
    if token is None:
        _defer_if_rate_limited(job_id, kind)
        return
    job.refresh_from_db()
    run = JobRun(job, kind, token, time.monotonic() + settings.CONSOLE_JOB_SLICE_SECONDS)
    try:
        with Pulse(job_id, token):
            result = kind.step(run)
    except Exception as exc:
        if _still_held(run):
            raise  # the task's retry, or its failure handler, takes it from here
        log.info("job %s: error after it was cancelled or taken over: %r", job_id, exc)
        result = Stopped()
    apply_result(run, result)


def _still_held(run: JobRun) -> bool:
    """After a step raised: hand a job this run still holds back to the queue (True)."""
    return bool(
        run.mine()
        .filter(state=JobState.RUNNING)
        .update(state=JobState.QUEUED, run_token="", heartbeat_at=timezone.now())
    )


def _defer_if_rate_limited(job_id: int, kind: Kind) -> None:
    if kind.max_running is None:
        return
    if Job.objects.filter(pk=job_id, state=JobState.QUEUED).exists():
        job = Job.objects.get(pk=job_id)
        enqueue(job, countdown=RATE_LIMIT_DELAY)


def apply_result(run: JobRun, result: StepResult) -> None:
    """Move the job on as the step says, each way a conditional UPDATE on the run's token."""
    mine = run.mine().filter(state=JobState.RUNNING)
    if isinstance(result, Continue):
        # A later wake-up shows as a heartbeat in the future: the sweep re-sends the job only
        # once that is stale too (its message was lost), not while it rightly waits.
        wake = timezone.now() + timedelta(seconds=result.after)
        if mine.update(state=JobState.QUEUED, run_token="", heartbeat_at=wake):
            # The next slice; the sweep covers a lost message.
            enqueue(run.job, countdown=result.after or None)
    elif isinstance(result, NextPhase):
        if mine.update(state=JobState.QUEUED, phase=result.phase, run_token="",
                       heartbeat_at=timezone.now()):  # fmt: skip
            enqueue(run.job)
    elif isinstance(result, PlanReady):
        expires = timezone.now() + timedelta(seconds=settings.CONSOLE_JOB_PLAN_TTL_SECONDS)
        mine.update(state=JobState.AWAITING_CONFIRM, plan=result.plan, run_token="",
                    plan_expires_at=expires, heartbeat_at=timezone.now())  # fmt: skip
    elif isinstance(result, AwaitInput):
        _await_input(run, result)
    elif isinstance(result, Finished):
        _finish_run(run, result)
    run.mine().update(run_token="")  # Stopped, or a transition that lost a race
    job = Job.objects.get(pk=run.job.pk)
    if job.is_terminal:
        job_end(job)


@transaction.atomic
def _await_input(run: JobRun, result: AwaitInput) -> None:
    if result.guard is not None and not result.guard():
        # Input arrived meanwhile: go on with another slice instead of waiting.
        if run.mine().filter(state=JobState.RUNNING).update(state=JobState.QUEUED, run_token=""):
            enqueue(run.job)
        return
    run.mine().filter(state=JobState.RUNNING).update(
        state=JobState.AWAITING_INPUT, run_token="", heartbeat_at=timezone.now()
    )


def _finish_run(run: JobRun, result: Finished) -> None:
    job = run.refresh()
    state = result.state or _state_by_counts(job)
    run.mine().exclude(state__in=TERMINAL_STATES).update(
        state=state, finished_at=timezone.now(), result=result.result,
        error_message=result.message, run_token="", **result.fields,
    )  # fmt: skip


def _state_by_counts(job: Job) -> str:
    if job.failed == 0:
        return JobState.SUCCEEDED
    if job.done == 0:
        return JobState.FAILED
    return JobState.PARTIALLY_FAILED


# --- ending ---


def job_finish(job_id: int, *, state: str, **fields: Any) -> bool:
    """Set a terminal state once; later calls change nothing (conditional UPDATE)."""
    rows = Job.objects.filter(pk=job_id).exclude(state__in=TERMINAL_STATES)
    return rows.update(state=state, finished_at=timezone.now(), **fields) == 1


def job_fail(job_id: int, exc: BaseException) -> None:
    """The task's failure handler: one message for the user, the outcome in the audit log."""
    if job_finish(job_id, state=JobState.FAILED, error_message=user_message(exc, job_id)):
        log.warning("job %s failed: %r", job_id, exc)
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.run_token:
        return
    try:
        job_end(job)
    except Exception:  # the sweep's housekeeping tries the cleanup again
        log.exception("job %s: cleanup after the failure failed", job_id)


def job_end(job: Job) -> None:
    """After a job ended: the kind's cleanup, then the outcome in the audit log (once).

    Only when no run holds the job any more: a cancelled job's run still commits the work it
    had in flight, and ends the job itself when it stops.
    """
    if job.run_token and job.heartbeat_at and job.heartbeat_at >= stale_before():
        return
    kind = registry.get(job.kind)
    try:
        kind.on_end(job)
    finally:
        record_outcome(job.pk)


def record_outcome(job_id: int) -> bool:
    """Write the job's end to the audit log: succeeded / failed / cancelled at N; once.

    The mark and the audit row commit together: whoever sees the end recorded sees its entry.
    """
    now = timezone.now()
    with transaction.atomic():
        ended = Job.objects.filter(pk=job_id, state__in=TERMINAL_STATES, outcome_recorded_at=None)
        if ended.update(outcome_recorded_at=now) != 1:
            return False
        job = Job.objects.get(pk=job_id)
        kind = registry.get(job.kind)
        ok = job.state == JobState.SUCCEEDED
        audit_record(
            user=job.user, action=f"job.{kind.name}.finish", bucket=job.bucket,
            key=kind.subject(job), outcome="ok" if ok else "error", detail=outcome_text(job),
        )  # fmt: skip
    return True


def outcome_text(job: Job) -> str:
    """The outcome in the audit log's words (stored text, so not translated)."""
    counts = f"{job.done} done, {job.failed} failed, {job.skipped} skipped"
    of = f" of {job.total}" if job.total is not None else ""
    if job.state == JobState.CANCELLED:
        return f"cancelled at {job.done + job.failed + job.skipped}{of} ({counts})"
    if job.state == JobState.EXPIRED:
        return "plan expired unconfirmed; nothing was done"
    detail = f"{job.state}: {counts}{of}"
    return f"{detail}; {job.error_message}" if job.error_message else detail
