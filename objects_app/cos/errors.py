"""Exceptions raised by the COS client.

Both classes mirror ``qcloud_cos.cos_exception`` (same getters) and are picklable, so they can
cross the Celery boundary intact (``__reduce__`` rebuilds them from plain values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UNKNOWN = "Unknown"


class CosException(Exception):
    """Base class of every error raised by the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message

    def __str__(self) -> str:
        return str(self._message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._message,))


class CosClientError(CosException):
    """Client-side failure: bad arguments (raised before any request) or transport errors."""


class CosServiceError(CosException):
    """COS answered with an error (status >= 400, or a 200 whose body is an ``<Error>``).

    Attributes: ``method``, ``status_code``, ``code``, ``message``, ``resource``, ``request_id``,
    ``trace_id``. The SDK getters (``get_error_code()`` ...) return the same values.
    """

    def __init__(
        self,
        method: str,
        message: str | Mapping[str, Any],
        status_code: int,
        *,
        code: str | None = None,
        error_message: str | None = None,
        resource: str | None = None,
        request_id: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        origin = "" if isinstance(message, Mapping) else message
        self.method = method
        self.status_code = status_code
        self.code = code or UNKNOWN
        self.message = error_message or UNKNOWN
        self.resource = resource or UNKNOWN
        self.request_id = request_id or UNKNOWN
        self.trace_id = trace_id or UNKNOWN
        self._origin_msg = origin
        super().__init__(self._summary())

    def _summary(self) -> str:
        return (
            f"{self.method} {self.status_code} {self.code}: {self.message} "
            f"(resource={self.resource}, request_id={self.request_id}, trace_id={self.trace_id})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "code": self.code,
            "error_message": self.message,
            "resource": self.resource,
            "request_id": self.request_id,
            "trace_id": self.trace_id,
        }
        return (_rebuild_service_error, (self.method, self._origin_msg, self.status_code, kwargs))

    # SDK-compatible getters -------------------------------------------------------------
    def get_origin_msg(self) -> str:
        """The raw XML error body ('' when the response had none)."""
        return self._origin_msg

    def get_digest_msg(self) -> dict[str, str]:
        """The error as a dict with keys code, message, resource, requestid, traceid."""
        return {
            "code": self.code,
            "message": self.message,
            "resource": self.resource,
            "requestid": self.request_id,
            "traceid": self.trace_id,
        }

    def get_status_code(self) -> int:
        return self.status_code

    def get_error_code(self) -> str:
        return self.code

    def get_error_msg(self) -> str:
        return self.message

    def get_resource_location(self) -> str:
        return self.resource

    def get_trace_id(self) -> str:
        return self.trace_id

    def get_request_id(self) -> str:
        return self.request_id


def _rebuild_service_error(
    method: str, origin: str, status_code: int, kwargs: dict[str, str]
) -> CosServiceError:
    return CosServiceError(method, origin, status_code, **kwargs)
