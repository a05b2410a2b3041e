"""Thin views: parse input, check the role, call one selector or service, render."""

from __future__ import annotations

import functools
from functools import partial

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from objects_app.errors import require_valid
from objects_app.forms import ListingForm, SelectionForm
from objects_app.models import Job
from objects_app.rendering import render_page_or_partial
from objects_app.roles import OPERATOR, VIEWER, has_role, role_required
from objects_app.selectors import browse as selectors
from objects_app.selectors import versions as version_selectors
from objects_app.services import selection as services

LIST = "objects_app/object_list.html"
PROGRESS = "objects_app/job_detail.html#job-progress"


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
    form = require_valid(ListingForm(request.GET))
    page = version_selectors.folder_listing(bucket=bucket, **form.cleaned_data)
    return render_page_or_partial(
        request,
        LIST,
        {
            "page": page,
            "bucket": bucket,
            # Called by the template only where the header shows it (not for "load more").
            "bucket_versioning": functools.cache(partial(selectors.bucket_versioning, bucket)),
            "page_sizes": settings.CONSOLE_PAGE_SIZES,
            "can_write": has_role(request.user, OPERATOR),
            "max_upload_bytes": settings.CONSOLE_DIRECT_UPLOAD_MAX_BYTES,
            "inline_delete_max": services.INLINE_DELETE_MAX,
        },
        partials={
            "object-table": "object-table",
            "object-listing": "object-listing",
            "load-more": "object-rows",
            "versions-load-more": "folder-version-rows",
        },
        default_partial="object-table",
    )


@require_POST
@role_required(OPERATOR)
def objects_delete(request: HttpRequest, bucket: str) -> HttpResponse:
    """Delete the selection: confirm then delete inline, or plan a batch-delete job."""
    data = require_valid(SelectionForm(request.POST)).cleaned_data
    selection = services.Selection(
        bucket=bucket, prefix=data["prefix"], q=data["q"], keys=data["selected"],
        folders=data["selected_folders"], across=data["select_across"],
    )  # fmt: skip
    outcome = services.selection_delete(
        user=request.user, selection=selection, confirmed=data["confirmed"]
    )
    if isinstance(outcome, Job):
        response = render(request, PROGRESS, {"job": outcome, "in_dialog": True})
        return trigger_client_event(response, "cos-job-started")
    if isinstance(outcome, services.InlineConfirm):
        context = {"bucket": bucket, "keys": outcome.keys, "selection": selection}
        return render(request, f"{LIST}#confirm-dialog", context)
    response = render(request, f"{LIST}#bulk-result", {"result": outcome})
    return trigger_client_event(response, "objects-changed")
