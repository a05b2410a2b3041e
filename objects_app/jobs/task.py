"""The one Celery task shape every job kind uses: retries declared once, on the base class.

A kind declares its task with `job_task("name")`; the body claims the job and runs one step
(engine.job_step). A COS error the client's rule calls transient becomes RetryLater, which
`autoretry_for` retries with exponential backoff and jitter; after `max_retries`, or for any
other exception, `on_failure` fails the job with one user-facing message (failures.py).
Tasks are `acks_late` and idempotent: a redelivered message finds the job claimed, or done.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from objects_app.cos import CosClientError, CosServiceError
from objects_app.jobs.failures import JobFailure, RetryLater, is_retryable

log = logging.getLogger(__name__)

MAX_RETRIES = 5


class JobTask(DjangoTask):  # type: ignore[misc]
    autoretry_for = (RetryLater,)
    retry_backoff = 2  # 2, 4, 8 ... seconds, with full jitter
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = MAX_RETRIES
    acks_late = True
    ignore_result = True
    # Expected failures: logged as info, without a traceback.
    throws = (JobFailure, CosServiceError, CosClientError)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any):  # type: ignore[no-untyped-def]
        from objects_app.jobs import engine

        job_id = kwargs.get("job_id")
        if job_id is not None:
            engine.job_fail(int(job_id), exc)


def job_task(name: str, **options: Any) -> Any:
    """Declare a kind's task: `objects_app.jobs.<name>`, with the kind's own options (such as
    Celery's per-worker `rate_limit`)."""

    def run(self: Any, *, job_id: int) -> None:
        from objects_app.jobs import engine

        try:
            engine.job_step(job_id)
        except (CosClientError, CosServiceError) as exc:
            if is_retryable(exc):
                raise RetryLater(str(exc)) from exc
            raise

    run.__name__ = f"{name}_task"
    return shared_task(base=JobTask, bind=True, name=f"objects_app.jobs.{name}", **options)(run)
