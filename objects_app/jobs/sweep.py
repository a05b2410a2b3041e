"""The sweep (celery beat, every CONSOLE_JOB_SWEEP_SECONDS): keep every job moving or ended.

- queue again the jobs whose message never reached the broker (it was down) or was lost;
- rescue running jobs whose run stopped beating (worker killed), failing a job whose runs keep
  dying after CONSOLE_JOB_MAX_RESCUES restarts;
- finish ending jobs nobody ended (cleanup and the audit entry), expire unconfirmed plans;
- prune per-item reports by the retention settings, and let each kind tidy up its own things.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app.jobs import registry
from objects_app.jobs.actions import job_expire
from objects_app.jobs.dispatch import enqueue
from objects_app.jobs.engine import job_end, job_finish, stale_before
from objects_app.models import TERMINAL_STATES, ItemOutcome, Job, JobItem, JobState

log = logging.getLogger(__name__)

BATCH = 500  # rows looked at per sweep and concern, so one sweep stays short


def jobs_sweep() -> int:
    """Everything above, each concern on its own (one failing never stops the others)."""
    sent = 0
    for concern in (_expire_plans, _end_unended, _prune_items, _kind_housekeeping):
        try:
            concern()
        except Exception:
            log.exception("sweep: %s failed", concern.__name__)
    sent += _resend_undelivered()
    sent += _rescue_stuck()
    return sent


def _resend_undelivered() -> int:
    """Jobs whose task could not be queued (broker down): send them now, whatever their state
    (a terminal one still needs its cleanup)."""
    count = 0
    for job in Job.objects.filter(dispatch_pending=True)[:BATCH]:
        if Job.objects.filter(pk=job.pk, dispatch_pending=True).update(dispatch_pending=False):
            enqueue(job)  # a failure sets dispatch_pending again, for the next sweep
            count += 1
    return count


def _rescue_stuck() -> int:
    """Queued jobs whose message was lost, and running jobs whose run died."""
    stale = stale_before()
    stuck = Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at=None, created_at__lt=stale)
    )
    count = 0
    for job in stuck[:BATCH]:
        if job.state == JobState.RUNNING and not _rescue_allowed(job):
            continue
        if job.state == JobState.QUEUED:
            # One re-send per stale period; a running job keeps its old heartbeat, which is
            # what lets the next run claim it.
            Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(heartbeat_at=timezone.now())
        log.warning("sweep: queueing %s again (heartbeat %s)", job, job.heartbeat_at)
        enqueue(job)
        count += 1
    return count


def _rescue_allowed(job: Job) -> bool:
    """Count restarts of a job whose run died; fail it once they pass the limit.

    A worker killed now and then is survivable, but a run that dies every time (a bug, a poison
    input) would otherwise be restarted forever. Queued jobs are not counted: waiting for a free
    worker is not a failure.
    """
    rescues = job.rescues + 1
    if rescues > settings.CONSOLE_JOB_MAX_RESCUES:
        message = _(
            "Stopped after %(n)s restarts: each run died before finishing (see the worker log)."
        ) % {"n": rescues - 1}
        if job_finish(job.pk, state=JobState.FAILED, error_message=message, run_token=""):
            log.error("sweep: giving up on %s after %d restarts", job, rescues - 1)
            enqueue(job)  # its task sees the failed state and cleans up
        return False
    Job.objects.filter(pk=job.pk).update(rescues=rescues)
    return True


def _expire_plans() -> None:
    due = Job.objects.filter(state=JobState.AWAITING_CONFIRM, plan_expires_at__lt=timezone.now())
    for job_id in due.values_list("pk", flat=True)[:BATCH]:
        job_expire(job_id)


def _end_unended() -> None:
    """Ended jobs whose end was never recorded: their run died after a cancel, or the web
    process that cancelled them could not reach the worker."""
    unended = Job.objects.filter(state__in=TERMINAL_STATES, outcome_recorded_at=None)
    unended = unended.filter(Q(run_token="") | Q(heartbeat_at__lt=stale_before()))
    for job in unended[:BATCH]:
        Job.objects.filter(pk=job.pk).update(run_token="")
        job.run_token = ""
        try:
            job_end(job)
        except Exception:
            log.exception("sweep: ending %s failed; tried again next sweep", job)


def _prune_items() -> int:
    """Retention: done items after CONSOLE_JOB_ITEMS_KEEP_HOURS (the report keeps failures and
    skips), and every item after CONSOLE_JOB_REPORT_KEEP_DAYS."""
    now = timezone.now()
    done_before = now - timedelta(hours=settings.CONSOLE_JOB_ITEMS_KEEP_HOURS)
    report_before = now - timedelta(days=settings.CONSOLE_JOB_REPORT_KEEP_DAYS)
    ended = JobItem.objects.filter(job__state__in=TERMINAL_STATES)
    old = ended.filter(
        # done, or never acted on (a cancelled run, an expired plan)
        Q(job__finished_at__lt=done_before, outcome__in=[ItemOutcome.DONE, ItemOutcome.PENDING])
        | Q(job__finished_at__lt=report_before)
    )
    ids = list(old.values_list("pk", flat=True)[:10_000])
    return JobItem.objects.filter(pk__in=ids).delete()[0] if ids else 0


def _kind_housekeeping() -> None:
    for kind in registry.all_kinds():
        try:
            kind.housekeeping()
        except Exception:
            log.exception("sweep: %s housekeeping failed", kind.name)
