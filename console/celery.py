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

    On connection loss kombu closes the channel and pushes unacked messages back over the
    connection that just died, and acks that finish after the reconnect still go to the dead
    channel. The AttributeError either raises is not a "connection error", so it escapes and stops
    the whole worker (celery/kombu#970, #582 show the same failure). Those messages stay in Redis's
    unacked hash (restored after visibility_timeout; a redelivered job task is a no-op), and the
    jobs sweep re-enqueues their jobs sooner, so giving up is safe; dying is not.
    """
    from kombu.transport import redis as kombu_redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    def guarded(original: Any) -> Any:
        if getattr(original, "_console_guard", False):
            return original

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return original(self, *args, **kwargs)
            except (AttributeError, RedisConnectionError) as exc:
                log = logging.getLogger(__name__)
                log.warning("broker connection gone during %s: %r", original.__name__, exc)
                return None

        method._console_guard = True  # type: ignore[attr-defined]
        return method

    for name in ("restore_unacked", "ack", "reject"):
        setattr(kombu_redis.QoS, name, guarded(getattr(kombu_redis.QoS, name)))


_survive_broker_restarts()


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _fresh_cos_client(**_kwargs: object) -> None:
    # A pooled HTTP session must not cross a fork: each worker child builds its own client.
    from objects_app.storage import get_cos_client

    get_cos_client.cache_clear()


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]
def _beat_schedule(sender: Celery, **_kwargs: object) -> None:
    # Jobs area (issue 6): the sweep re-enqueues jobs whose message was lost or whose worker
    # died. Run beat once per deployment (`worker --beat` under `make run`, or `celery beat`).
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.CONSOLE_JOB_SWEEP_SECONDS),
        sender.signature("objects_app.tasks.jobs_sweep_task"),
        name="jobs-sweep",
    )
