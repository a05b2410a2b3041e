"""Celery tasks: ids in, load the row through a service, own the retry policy. No business rules."""

from __future__ import annotations

import random

from celery import shared_task

from objects_app.cos import CosClientError

MAX_RETRIES = 5


def backoff_seconds(retries: int) -> float:
    # Exponential with full jitter, capped, so many retrying workers do not stampede COS.
    return random.uniform(0, min(60.0, 2.0**retries))


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)  # type: ignore[untyped-decorator]
def prefix_summary_task(self, *, job_id: int) -> None:  # type: ignore[no-untyped-def]
    from objects_app.models import JobState
    from objects_app.services import jobs as services

    try:
        services.prefix_summary_run(job_id=job_id)
    except CosClientError as exc:  # transport failures: COS unreachable or reset
        if self.request.retries >= self.max_retries:
            services.job_finish(job_id, state=JobState.FAILED, error_message=str(exc))
            return
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
