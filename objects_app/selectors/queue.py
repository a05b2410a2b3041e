"""Whether the job queue (Redis, Celery's broker) is reachable, for the "jobs paused" banner.

Browsing, object pages and downloads never need the queue; only jobs do. Job pages ask here so
they can say why nothing moves instead of looking stuck.
"""

from __future__ import annotations

import threading
import time

import redis
from django.conf import settings

CHECK_EVERY = 2.0  # seconds between real checks, per process (job pages poll every second)
TIMEOUT = 0.3  # a queue that does not answer this fast counts as down

_lock = threading.Lock()
_last: tuple[float, bool] = (0.0, True)


def _ping() -> bool:
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def queue_available() -> bool:
    global _last
    with _lock:
        checked_at, up = _last
        if time.monotonic() - checked_at < CHECK_EVERY:
            return up
        up = _ping()
        _last = (time.monotonic(), up)
        return up


def queue_forget() -> None:
    """Drop the cached answer (tests, and a page that must know right now)."""
    global _last
    with _lock:
        _last = (0.0, True)
