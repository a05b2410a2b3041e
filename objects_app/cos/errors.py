"""Exceptions raised by the COS client, and the one rule that says which are worth a retry.

``CosClientError`` and ``CosServiceError`` mirror ``qcloud_cos.cos_exception`` (same getters).
Every class is picklable, so errors cross the Celery boundary intact (``__reduce__`` rebuilds
them from plain values).
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from typing import Any

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

UNKNOWN = "Unknown"

# COS codes that mean "try again later", whatever the status (a 200 whose body is an <Error>
# carries them too, when Complete or Copy fails midway: protocol notes §3.7, §3.15).
RETRYABLE_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown"})

# Transport failures that escape as raw exceptions (e.g. while reading a streamed body).
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    http.client.IncompleteRead,
    ConnectionError,
    TimeoutError,
)


def is_retryable(exc: BaseException) -> bool:
    """True if repeating the failed call may succeed; False if the failure is final.

    Retryable: transport failures (``CosConnectionError``, or a raw connection/timeout error
    from ``requests``/``urllib3``/the socket), COS 5xx, and the codes in ``RETRYABLE_CODES``
    even inside a 200. Not retryable: every 4xx, and local problems (bad arguments, a CRC-64
    mismatch, a changed local file), which are plain ``CosClientError``s.
    """
    if isinstance(exc, CosServiceError):
        return exc.status_code >= 500 or exc.code in RETRYABLE_CODES
    if isinstance(exc, CosClientError):
        return exc.retryable
    return isinstance(exc, _TRANSPORT_ERRORS)


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
    """Client-side failure: bad arguments (raised before any request), local checks, transport.

    ``retryable`` says whether repeating the call may help (see ``is_retryable``): False for
    local problems, True for ``CosConnectionError`` and for a managed transfer whose parts
    failed for a retryable reason (calling it again resumes).
    """

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._message, self.retryable))


class CosConnectionError(CosClientError):
    """The request got no complete answer: refused, reset, timed out, or the body broke off."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message, retryable)


class CosCrcMismatchError(CosClientError):
    """The CRC-64 COS reports differs from the one computed locally (never retryable as is).

    Attributes: ``bucket``, ``key``, ``local_crc``, ``remote_crc`` (None when COS reported
    none), ``part_number`` (for one part), ``completed_here`` (this call completed the
    multipart upload, so the damaged object is its own) and ``version_id`` (the version it
    created, when the bucket is versioned).
    """

    def __init__(
        self,
        bucket: str,
        key: str,
        local_crc: int,
        remote_crc: int | None,
        *,
        part_number: int | None = None,
        completed_here: bool = False,
        version_id: str | None = None,
    ) -> None:
        self.bucket, self.key = bucket, key
        self.local_crc, self.remote_crc = local_crc, remote_crc
        self.part_number = part_number
        self.completed_here, self.version_id = completed_here, version_id
        what = f"{bucket}/{key}" + (f" part {part_number}" if part_number else "")
        remote = "none reported" if remote_crc is None else str(remote_crc)
        super().__init__(f"CRC64 mismatch for {what}: local {local_crc}, COS {remote}")

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "part_number": self.part_number,
            "completed_here": self.completed_here,
            "version_id": self.version_id,
        }
        args = (self.bucket, self.key, self.local_crc, self.remote_crc)
        return (_rebuild_crc_error, (type(self), args, kwargs))


class CosServiceError(CosException):
    """COS answered with an error (status >= 400, or a 200 whose body is an ``<Error>``).

    Attributes: ``method``, ``status_code``, ``code``, ``message``, ``resource``, ``request_id``,
    ``trace_id``; ``headers`` (the response headers, kept when the answer had no XML body). The
    SDK getters (``get_error_code()`` ...) return the same values. Unlike the SDK, a bodiless
    error still gets a code from its status (403 AccessDenied ...) instead of 'Unknown'.
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
        headers: Mapping[str, str] | None = None,
    ) -> None:
        origin = "" if isinstance(message, Mapping) else message
        self.method = method
        self.status_code = status_code
        self.code = code or UNKNOWN
        self.message = error_message or UNKNOWN
        self.resource = resource or UNKNOWN
        self.request_id = request_id or UNKNOWN
        self.trace_id = trace_id or UNKNOWN
        self.headers = dict(headers) if headers is not None else None
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
            "headers": self.headers,
        }
        return (_rebuild_service_error, (self.method, self._origin_msg, self.status_code, kwargs))

    # SDK-compatible getters -------------------------------------------------------------
    def get_origin_msg(self) -> str:
        """The raw XML error body ('' when the response had none)."""
        return self._origin_msg

    def get_digest_msg(self) -> Mapping[str, str]:
        """The error digest, shaped as the SDK's.

        An XML error body gives a dict with keys code, message, resource, requestid, traceid.
        A bodiless HEAD 404 gives the SDK's dict (code NoSuchResource, message, resource, and
        requestid/traceid when COS sent them). Any other bodiless error gives the response
        headers (a case-insensitive dict, ``x-cos-request-id`` included).
        """
        if not self._origin_msg and self.headers is not None:
            if self.method == "HEAD" and self.status_code == 404:
                return self._head_404_digest()
            return CaseInsensitiveDict(self.headers)
        return {
            "code": self.code,
            "message": self.message,
            "resource": self.resource,
            "requestid": self.request_id,
            "traceid": self.trace_id,
        }

    def _head_404_digest(self) -> dict[str, str]:
        digest = {"code": self.code, "message": self.message, "resource": self.resource}
        found = CaseInsensitiveDict(self.headers or {})
        for name, header in (("requestid", "x-cos-request-id"), ("traceid", "x-cos-trace-id")):
            if header in found:
                digest[name] = found[header]
        return digest

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
    method: str, origin: str, status_code: int, kwargs: dict[str, Any]
) -> CosServiceError:
    return CosServiceError(method, origin, status_code, **kwargs)


def _rebuild_crc_error(
    cls: type[CosCrcMismatchError], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> CosCrcMismatchError:
    return cls(*args, **kwargs)
