"""The console's middleware: refusals to the one responder, bucket-name checks, security headers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from objects_app.keys import NameRuleError, check_bucket
from objects_app.responders import UserError, error_response, respond_to_exception

log = logging.getLogger(__name__)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class ErrorMappingMiddleware:
    """Every refusal a view raises goes through the one responder; bucket names are checked here,
    before any view can send an invalid name to COS (where it would look like an outage)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        return _login_redirect_for_htmx(request, response)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        bucket = kwargs.get("bucket")
        if bucket is None:
            return None
        try:
            check_bucket(bucket)
        except NameRuleError as exc:
            return error_response(request, UserError(404, _("No such bucket"), str(exc)))
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return respond_to_exception(request, exc)


def _login_redirect_for_htmx(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An expired session answers htmx with a full-page redirect to the login page, not with the
    login form swapped into whatever region asked."""
    htmx = getattr(request, "htmx", None)
    location = response.get("Location", "") if response.status_code == 302 else ""
    if htmx and location.startswith(resolve_url(settings.LOGIN_URL)):
        return HttpResponseClientRedirect(location)
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
