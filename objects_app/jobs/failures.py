"""Why a job failed, in one user-facing message; and the one rule for "try again later"."""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from objects_app.cos import CosClientError, CosServiceError

log = logging.getLogger(__name__)


class JobFailure(Exception):
    """An expected failure a kind raises; its message is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetryLater(Exception):
    """A transient failure (the cause is chained): the task backs off and tries again."""


def is_retryable(exc: BaseException) -> bool:
    """The COS client's rule (connection failures, 5xx, and the transient codes COS puts
    inside a 200), applied to what a job step raised."""
    from objects_app.cos import errors

    rule = getattr(errors, "is_retryable", None)
    if rule is not None:
        return bool(rule(exc))
    return _fallback_is_retryable(exc)  # until the client exports its rule


def _fallback_is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, CosServiceError):
        return exc.get_status_code() >= 500 or exc.get_error_code() in {
            "InternalError",
            "ServiceUnavailable",
            "SlowDown",
        }
    return isinstance(exc, CosClientError)


def cos_message(exc: CosServiceError) -> str:
    request_id = exc.get_request_id()
    return _("%(code)s: %(message)s (request id %(request_id)s)") % {
        "code": exc.get_error_code(),
        "message": exc.get_error_msg(),
        "request_id": request_id,
    }


def user_message(exc: BaseException, job_id: int) -> str:
    """The one message a failed job shows, whatever the exception."""
    if isinstance(exc, RetryLater) and exc.__cause__ is not None:
        exc = exc.__cause__
        prefix = _("COS kept failing, so the job stopped after several tries. ")
    else:
        prefix = ""
    if isinstance(exc, JobFailure):
        return exc.message
    if isinstance(exc, CosServiceError):
        return prefix + cos_message(exc)
    if isinstance(exc, CosClientError):
        return prefix + _("Could not reach COS: %(error)s") % {"error": exc}
    if isinstance(exc, SoftTimeLimitExceeded):
        return _("A step of this job took longer than the task time limit.")
    log.error("job %s failed with an unexpected error", job_id, exc_info=exc)
    return _("An unexpected error stopped job #%(id)s; the worker log has the details.") % {
        "id": job_id
    }
