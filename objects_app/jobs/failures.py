"""Why a job failed, in one user-facing message. Whether to try again is the COS client's one
rule, `objects_app.cos.errors.is_retryable` (re-exported here for the task class)."""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from objects_app.cos import CosClientError, CosServiceError
from objects_app.cos.errors import is_retryable

log = logging.getLogger(__name__)

__all__ = ["JobFailure", "RetryLater", "cos_message", "is_retryable", "user_message"]


class JobFailure(Exception):
    """An expected failure a kind raises; its message is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetryLater(Exception):
    """A transient failure (the cause is chained): the task backs off and tries again."""


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
