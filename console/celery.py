"""Celery app: settings namespace CELERY, autodiscovered tasks, DjangoTask for delay_on_commit."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _fresh_cos_client(**_kwargs: object) -> None:
    # A pooled HTTP session must not cross a fork: each worker child builds its own client.
    from objects_app.storage import get_cos_client

    get_cos_client.cache_clear()
