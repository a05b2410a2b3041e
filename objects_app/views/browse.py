"""Thin views: parse input, check the role, call one selector or service, render."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from objects_app.forms import BulkDeleteForm, ListingForm
from objects_app.middleware import UserError
from objects_app.rendering import render_page_or_partial
from objects_app.roles import OPERATOR, VIEWER, has_role, role_required
from objects_app.selectors import browse as selectors
from objects_app.services import objects as services


@require_GET
@never_cache
@role_required(VIEWER)
def bucket_list(request: HttpRequest) -> HttpResponse:
    buckets = selectors.bucket_list()
    return render_page_or_partial(
        request,
        "objects_app/bucket_list.html",
        {"buckets": buckets},
        partials={"bucket-table": "bucket-table"},
    )


@require_GET
@never_cache
@role_required(VIEWER)
def object_list(request: HttpRequest, bucket: str) -> HttpResponse:
    form = ListingForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    page = selectors.object_page(bucket=bucket, **form.cleaned_data)
    return render_page_or_partial(
        request,
        "objects_app/object_list.html",
        {
            "page": page,
            "bucket": bucket,
            "page_sizes": settings.CONSOLE_PAGE_SIZES,
            "can_write": has_role(request.user, OPERATOR),
            "max_upload_bytes": settings.CONSOLE_DIRECT_UPLOAD_MAX_BYTES,
        },
        partials={"object-table": "object-table", "load-more": "object-rows"},
        default_partial="object-table",
    )


@require_POST
@role_required(OPERATOR)
def objects_delete(request: HttpRequest, bucket: str) -> HttpResponse:
    """Multi-select delete of up to one page: confirm (listing the keys), then one call."""
    form = BulkDeleteForm(request.POST)
    if not form.is_valid():
        response = render(
            request, "objects_app/error.html#error-message", {"error": _invalid(form)}
        )
        return retarget(reswap(response, "innerHTML"), "#flash")
    keys = form.cleaned_data["selected"]
    context = {"bucket": bucket, "keys": keys, "prefix": form.cleaned_data["prefix"]}
    if not form.cleaned_data["confirmed"]:
        return render(request, "objects_app/object_list.html#confirm-dialog", context)
    result = services.objects_delete(user=request.user, bucket=bucket, keys=keys)
    response = render(request, "objects_app/object_list.html#bulk-result", {"result": result})
    return trigger_client_event(response, "objects-changed")


def _invalid(form: BulkDeleteForm) -> UserError:
    text = " ".join(str(m) for errors in form.errors.values() for m in errors)
    return UserError(422, "Nothing deleted", text)
