"""The one error path: every refusal becomes a `UserError`, and one responder sends it.

`user_error_for` maps exceptions once (COS refusals, domain errors, bad input, permissions,
Django's 400/403/404 exceptions). `error_response` chooses the form the caller can show:
JSON for scripts (upload.js asks with `Accept: application/json`), an htmx message swapped into
`#flash` (with per-field reasons sent as the `console:field-errors` event), or a full styled page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget, trigger_client_event

from objects_app.cos import CosClientError, CosServiceError
from objects_app.errors import ObjectsError

log = logging.getLogger(__name__)

NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchKey", "NoSuchResource", "NoSuchUpload", "NoSuchVersion"}
FLASH = "#flash"
FIELD_ERRORS_EVENT = "console:field-errors"


@dataclass(frozen=True)
class UserError:
    status: int
    title: str
    message: str
    request_id: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)


def _cos_message(code: str, exc: CosServiceError) -> str:
    """Words for the COS codes users meet; anything else shows COS's own code and message."""
    known = {
        "NoSuchBucket": _("The bucket does not exist, or this account cannot see it."),
        "NoSuchKey": _("The object does not exist (it may have been deleted meanwhile)."),
        # What a HEAD of a missing object gives (no body, so no code of COS's own).
        "NoSuchResource": _("The object does not exist (it may have been deleted meanwhile)."),
        "NoSuchVersion": _("That version of the object does not exist."),
        "NoSuchUpload": _("That multipart upload does not exist any more."),
        "AccessDenied": _("COS refused access with this account's credentials."),
        "InvalidObjectState": _("The object is archived: restore it before reading it."),
        "RestoreAlreadyInProgress": _("A restore of this object is already in progress."),
        "SlowDown": _("COS is throttling requests; try again in a moment."),
    }
    if code in known:
        return known[code]
    detail = exc.get_error_msg()
    return f"{code}: {detail}" if detail and detail != "Unknown" else code


def _from_service_error(exc: CosServiceError) -> UserError:
    status = int(exc.get_status_code() or 500)
    code = str(exc.get_error_code() or "")
    request_id = exc.get_request_id() if exc.get_request_id() != "Unknown" else ""
    message = _cos_message(code, exc)
    if code in NOT_FOUND_CODES or status == 404:
        return UserError(404, _("Not found"), message, request_id)
    if status == 403:
        return UserError(403, _("Access denied"), message, request_id)
    if status == 409:
        return UserError(409, _("Conflict"), message, request_id)
    if status == 412:
        return UserError(409, _("Conflict"), _("The object changed meanwhile; reload."), request_id)
    if status == 416:
        message = _("The requested byte range is outside the object.")
        return UserError(416, _("Range not satisfiable"), message, request_id)
    if status >= 500 or code in ("SlowDown", "InternalError", "ServiceUnavailable"):
        title, message = (
            _("COS error"),
            _("COS failed to answer (%(code)s); try again.") % {"code": code or status},
        )
        return UserError(502, title, message, request_id)
    return UserError(400, _("Refused by COS"), message, request_id)


def user_error_for(exc: BaseException) -> UserError | None:
    """The one mapping from an exception to what the user reads; None means a real bug (500)."""
    if isinstance(exc, CosServiceError):
        return _from_service_error(exc)
    if isinstance(exc, CosClientError):
        message = _("Could not reach COS; try again shortly.")
        return UserError(503, _("COS unreachable"), message)
    if isinstance(exc, ObjectsError):
        title = _("Check your input") if exc.status in (400, 422) else _("Not possible")
        if exc.status == 404:
            title = _("Not found")
        return UserError(exc.status, title, exc.message, fields=exc.fields)
    if isinstance(exc, PermissionDenied):
        message = str(exc) or _("Your role does not allow this.")
        return UserError(403, _("Not allowed"), message)
    if isinstance(exc, Http404):
        return UserError(404, _("Not found"), _("There is nothing at this address."))
    if isinstance(exc, SuspiciousOperation):
        return UserError(400, _("Bad request"), _bad_request_message(exc))
    return None


def _bad_request_message(exc: SuspiciousOperation) -> str:
    name = type(exc).__name__
    if name == "TooManyFieldsSent":
        return _("The request carried too many fields; select fewer items or use the job.")
    if name == "RequestDataTooBig":
        return _("The request was too large.")
    return _("The request could not be understood.")


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: HttpRequest, error: UserError) -> HttpResponse:
    """The refusal in the form the caller shows: JSON, an htmx message, or a full page."""
    if wants_json(request):
        payload = {"error": error.message, "title": error.title, "fields": error.fields}
        if error.request_id:
            payload["request_id"] = error.request_id
        return JsonResponse(payload, status=error.status)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(
            request, "objects_app/error.html#error-message", {"error": error}, status=error.status
        )
        response = retarget(reswap(response, "innerHTML"), FLASH)
        if error.fields:
            response = trigger_client_event(response, FIELD_ERRORS_EVENT, {"fields": error.fields})
        return response
    return render(request, "objects_app/error.html", {"error": error}, status=error.status)


def respond_to_exception(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    error = user_error_for(exc)
    if error is None:
        return None
    log.info("mapped %s to %s for %s", type(exc).__name__, error.status, request.path)
    return error_response(request, error)
