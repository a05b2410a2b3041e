"""Celery tasks outside any one job kind. Each kind declares its own task next to its code
(objects_app/jobs/kinds/, via jobs.task.job_task); the engine's periodic sweep is here."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
def jobs_sweep_task() -> int:
    """Periodic (celery beat): keep every job moving or ended (objects_app/jobs/sweep.py)."""
    from objects_app.jobs.sweep import jobs_sweep

    return jobs_sweep()
