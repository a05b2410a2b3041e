"""The append-only audit trail of every mutating action."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from objects_app.cos import CosClientError, CosServiceError
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


def audit_record_many(*, user: Any, action: str, bucket: str, rows: list[dict[str, str]]) -> None:
    """One event per key for bulk actions, in one INSERT (rows: key, outcome, detail...)."""
    username = getattr(user, "username", "") or "system"
    author = user if getattr(user, "is_authenticated", False) else None
    AuditEvent.objects.bulk_create(
        AuditEvent(
            user=author, username=username, action=action, bucket=bucket,
            key=row["key"], version_id=row.get("version_id", ""),
            outcome=row.get("outcome", AuditEvent.Outcome.OK),
            request_id=row.get("request_id", ""), detail=row.get("detail", "")[:2000],
        )
        for row in rows
    )  # fmt: skip


@dataclass
class AuditDraft:
    """What a service learns while acting; written as one AuditEvent when the block ends."""

    request_id: str = ""
    version_id: str = ""
    detail: str = ""

    def took(self, headers: Mapping[str, Any] | None) -> None:
        """Remember the COS request id and version id from a response's headers."""
        headers = headers or {}
        self.request_id = str(headers.get("x-cos-request-id") or self.request_id)
        self.version_id = str(headers.get("x-cos-version-id") or self.version_id)


@contextmanager
def audited(
    *, user: Any, action: str, bucket: str, key: str = "", version_id: str = "", detail: str = ""
) -> Iterator[AuditDraft]:
    """Record the action on success and on failure (the failure is re-raised unchanged).

    Not inside a transaction on purpose: a failed COS call must still leave its audit row.
    """
    draft = AuditDraft(version_id=version_id, detail=detail)
    outcome = AuditEvent.Outcome.OK
    try:
        yield draft
    except BaseException as exc:  # even an interrupted action must not be recorded as "ok"
        outcome = AuditEvent.Outcome.ERROR
        draft.request_id, draft.detail = _request_id_of(exc), _describe(exc, draft.detail)
        raise
    finally:
        audit_record(
            user=user, action=action, bucket=bucket, key=key, version_id=draft.version_id,
            outcome=outcome, request_id=draft.request_id, detail=draft.detail,
        )  # fmt: skip


def _request_id_of(exc: BaseException) -> str:
    if isinstance(exc, CosServiceError):
        request_id = exc.get_request_id()
        return "" if request_id in (None, "Unknown") else str(request_id)
    return ""


def _describe(exc: BaseException, detail: str) -> str:
    # Code and message only: never the signed URL or headers a client error might carry.
    if isinstance(exc, CosServiceError):
        text = f"{exc.get_status_code()} {exc.get_error_code()}: {exc.get_error_msg()}"
    elif isinstance(exc, CosClientError):
        text = "COS unreachable"
    else:
        text = str(getattr(exc, "message", "") or exc) or type(exc).__name__
    return f"{detail}; {text}" if detail else text
