"""Queue a job's task after the surrounding transaction commits, surviving a broker outage.

When Redis is down, publishing fails; the web request must not. The job then stays queued with
`dispatch_pending` set, and the sweep (celery beat) sends it as soon as the broker is back.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

from objects_app.jobs import registry
from objects_app.models import Job

log = logging.getLogger(__name__)

# Two quick tries, not Celery's default of several: a request must not hang on a dead broker.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def enqueue(job: Job, *, countdown: float | None = None) -> None:
    """Queue the task that drives `job`, once the current transaction (if any) commits."""
    transaction.on_commit(partial(publish, job.pk, job.kind, countdown))


def publish(job_id: int, kind_name: str, countdown: float | None = None) -> bool:
    """Send the job's task message now; False (and the job marked for the sweep) on failure."""
    task = registry.get(kind_name).task
    try:
        task.apply_async(
            kwargs={"job_id": job_id},
            countdown=countdown,
            retry=True,
            retry_policy=PUBLISH_RETRY,
        )
    except Exception as exc:  # kombu/redis connection errors vary by transport: all mean "later"
        log.warning("job %s: could not queue its task (%s); the sweep will", job_id, exc)
        Job.objects.filter(pk=job_id).update(dispatch_pending=True)
        return False
    return True
