"""The append-only audit trail of every mutating action."""

from __future__ import annotations

from typing import Any

from objects_app.models import AuditEvent


def audit_record(
    *,
    user: Any,
    action: str,
    bucket: str = "",
    key: str = "",
    version_id: str = "",
    outcome: str = AuditEvent.Outcome.OK,
    request_id: str = "",
    detail: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        username=getattr(user, "username", "") or "system",
        action=action,
        bucket=bucket,
        key=key,
        version_id=version_id,
        outcome=outcome,
        request_id=request_id,
        detail=detail[:2000],
    )
