"""Notifications a user has seen."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from objects_app.restore_models import Notification


def notifications_mark_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())
