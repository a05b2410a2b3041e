"""One mapping from COS and domain errors to clear, in-place messages (no tracebacks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import reswap, retarget

from objects_app.cos import CosClientError, CosServiceError
from objects_app.errors import ObjectsError

log = logging.getLogger(__name__)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchKey", "NoSuchResource", "NoSuchUpload", "NoSuchVersion"}


@dataclass(frozen=True)
class UserError:
    status: int
    title: str
    message: str
    request_id: str = ""


def _from_service_error(exc: CosServiceError) -> UserError:
    status = int(exc.get_status_code() or 500)
    code = exc.get_error_code()
    request_id = exc.get_request_id() if exc.get_request_id() != "Unknown" else ""
    if code in NOT_FOUND_CODES or status == 404:
        return UserError(404, "Not found", f"COS says it does not exist ({code}).", request_id)
    if status == 403:
        return UserError(403, "Access denied", f"COS refused the request ({code}).", request_id)
    if status == 409:
        return UserError(409, "Conflict", f"{code}: {exc.get_error_msg()}", request_id)
    if status == 412:
        return UserError(409, "Conflict", "The object changed meanwhile; reload.", request_id)
    if status == 416:
        return UserError(
            416,
            "Range not satisfiable",
            "The requested byte range is outside the object.",
            request_id,
        )
    if status >= 500:
        return UserError(502, "COS error", "COS failed to answer; try again.", request_id)
    return UserError(400, "Request refused", f"{code}: {exc.get_error_msg()}", request_id)


def user_error_for(exc: Exception) -> UserError | None:
    if isinstance(exc, CosServiceError):
        return _from_service_error(exc)
    if isinstance(exc, CosClientError):
        return UserError(503, "COS unreachable", "Could not reach COS; try again shortly.")
    if isinstance(exc, ObjectsError):
        return UserError(exc.status, "Not possible", exc.message)
    if isinstance(exc, PermissionDenied):
        return UserError(403, "Not allowed", str(exc) or "Your role does not allow this.")
    return None


class ErrorMappingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        error = user_error_for(exc)
        if error is None:
            return None
        log.info("mapped %s to %s for %s", type(exc).__name__, error.status, request.path)
        htmx = getattr(request, "htmx", None)
        template = "objects_app/error.html" + ("#error-message" if htmx else "")
        response = render(request, template, {"error": error}, status=error.status)
        if htmx:
            response = retarget(reswap(response, "innerHTML"), "#flash")
        return response


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: CSP and a restrictive Permissions-Policy.

    Views that serve object bytes (downloads, previews) set a stricter CSP themselves; that one
    is kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", settings.CONSOLE_CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
