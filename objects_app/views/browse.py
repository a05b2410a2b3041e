"""Thin views: parse input, check the role, call one selector or service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from objects_app.forms import ListingForm
from objects_app.rendering import render_page_or_partial
from objects_app.roles import VIEWER, role_required
from objects_app.selectors import browse as selectors


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
        {"page": page, "bucket": bucket, "page_sizes": ListingForm.base_fields["page_size"]},
        partials={"object-table": "object-table", "load-more": "object-rows"},
        default_partial="object-table",
    )
