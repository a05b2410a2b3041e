"""Celery tasks: ids in, load the row through a service, own the retry policy. No business rules.

Every job task is `acks_late` and idempotent: the service claims the job row by conditional
UPDATE, so a redelivered message, a retry or a sweep re-enqueue never double-counts work.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from celery import shared_task

from objects_app.cos import CosClientError, CosServiceError

log = logging.getLogger(__name__)

MAX_RETRIES = 5


def backoff_seconds(retries: int) -> float:
    # Exponential with full jitter, capped, so many retrying workers do not stampede COS.
    return random.uniform(0, min(60.0, 2.0**retries))


# Codes that mean "try again later" even inside a 200 (a Complete or Copy that failed midway).
TRANSIENT_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown"})


def _transient(exc: Exception) -> bool:
    """Connection failures and COS 5xx are worth another try; 4xx answers are final."""
    if isinstance(exc, CosServiceError):
        return exc.get_status_code() >= 500 or exc.get_error_code() in TRANSIENT_CODES
    return isinstance(exc, CosClientError)


def _run_job(task: Any, run: Callable[..., None], job_id: int) -> None:
    """Call the job's service; on a transient COS error, hand the job back and retry later."""
    from objects_app.models import JobState
    from objects_app.services import jobs as services

    try:
        run(job_id=job_id)
    except (CosClientError, CosServiceError) as exc:
        if not _transient(exc) or task.request.retries >= task.max_retries:
            log.warning("job %s failed: %s", job_id, exc)
            services.job_finish(job_id, state=JobState.FAILED, error_message=str(exc)[:2000])
            return
        services.job_release(job_id)
        raise task.retry(exc=exc, countdown=backoff_seconds(task.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)  # type: ignore[untyped-decorator]
def prefix_summary_task(self, *, job_id: int) -> None:  # type: ignore[no-untyped-def]
    from objects_app.services import jobs as services

    _run_job(self, services.prefix_summary_run, job_id)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)  # type: ignore[untyped-decorator]
def delete_run_task(self, *, job_id: int) -> None:  # type: ignore[no-untyped-def]
    from objects_app.services import deletes as services

    _run_job(self, services.delete_run, job_id)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)  # type: ignore[untyped-decorator]
def upload_run_task(self, *, job_id: int) -> None:  # type: ignore[no-untyped-def]
    from objects_app.services import uploads as services

    _run_job(self, services.upload_run, job_id)


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def jobs_sweep_task() -> int:
    """Periodic (celery beat): re-enqueue jobs whose message was lost or whose worker died."""
    from objects_app.services import jobs as services
    from objects_app.services import uploads

    for housekeeping in (uploads.uploads_sweep, services.job_items_prune):
        try:
            housekeeping()
        except Exception:  # never let housekeeping stop the rescue of stuck jobs
            log.exception("%s failed", housekeeping.__name__)
    return services.jobs_sweep()
