"""Django's error handlers (400/403/404/500, CSRF failure), answered by the one responder.

These run when no view could: an unknown URL, a request Django refused before any view (too many
fields, a stale CSRF token), or a crash. The page is the same styled page every refusal uses.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

from objects_app.responders import UserError, error_response, user_error_for


def _respond(
    request: HttpRequest, exception: BaseException | None, fallback: UserError
) -> HttpResponse:
    error = (user_error_for(exception) if exception is not None else None) or fallback
    return error_response(request, error)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    fallback = UserError(400, _("Bad request"), _("The request could not be understood."))
    return _respond(request, exception, fallback)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    fallback = UserError(403, _("Not allowed"), _("Your role does not allow this."))
    return _respond(request, exception, fallback)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    error = UserError(404, _("Not found"), _("There is nothing at this address."))
    return error_response(request, error)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _("The form was stale or your session changed. Reload the page and try again.")
    return error_response(request, UserError(403, _("Form expired"), message))


def server_error(request: HttpRequest) -> HttpResponse:
    """A crash: the plainest page that can still render (no context processors, no database)."""
    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=500)
