"""Celery app: settings namespace CELERY, autodiscovered tasks, DjangoTask for delay_on_commit."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _survive_broker_restarts() -> None:
    """Keep the worker alive when Redis restarts while it holds unacked (acks_late) messages.

    On connection loss kombu closes the channel and tries to push unacked messages back, over the
    connection that just died; the AttributeError that raises is not a "connection error", so it
    escapes and stops the whole worker (see celery/kombu#970, #582). The messages stay in Redis's
    unacked hash (restored after visibility_timeout) and the jobs sweep re-enqueues their jobs
    sooner, so giving up the restore is safe; dying is not.
    """
    from kombu.transport import redis as kombu_redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    original = kombu_redis.QoS.restore_unacked
    if getattr(original, "_console_guard", False):
        return

    def restore_unacked(self: Any, client: Any = None) -> Any:
        try:
            return original(self, client)
        except (AttributeError, RedisConnectionError) as exc:
            logging.getLogger(__name__).warning("broker gone, unacked messages left: %r", exc)
            return None

    restore_unacked._console_guard = True  # type: ignore[attr-defined]
    kombu_redis.QoS.restore_unacked = restore_unacked


_survive_broker_restarts()


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _fresh_cos_client(**_kwargs: object) -> None:
    # A pooled HTTP session must not cross a fork: each worker child builds its own client.
    from objects_app.storage import get_cos_client

    get_cos_client.cache_clear()


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]
def _beat_schedule(sender: Celery, **_kwargs: object) -> None:
    # Jobs area (issue 6): the sweep re-enqueues jobs whose message was lost or whose worker
    # died. Run beat once per deployment (`worker --beat` in the Procfile, or `celery beat`).
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.CONSOLE_JOB_SWEEP_SECONDS),
        sender.signature("objects_app.tasks.jobs_sweep_task"),
        name="jobs-sweep",
    )
