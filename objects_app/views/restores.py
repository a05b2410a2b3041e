"""Thin views for archive restores (issue 14): the listing's restore column, restore campaigns."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from objects_app.archive_forms import (
    COPY_CLASSES,
    CampaignPageForm,
    RestoreOptionsForm,
    RestoreSourceForm,
    RestoreStatesForm,
    tier_choices,
)
from objects_app.errors import require_valid
from objects_app.jobs.kinds.restore import services
from objects_app.rendering import render_page_or_partial
from objects_app.roles import OPERATOR, VIEWER, role_required
from objects_app.selectors import archived as selectors
from objects_app.selectors import restores as campaigns
from objects_app.services.notifications import notifications_mark_read
from objects_app.services.restore_plan import check_csv_size

CELLS = "objects_app/_restore_cells.html#restore-cells"
OPTIONS = "objects_app/restore_dialog.html#restore-options"
PROGRESS = "objects_app/job_detail.html#job-progress"
CAMPAIGN = "objects_app/restore_campaign.html"


@require_POST  # a read, but a batch of keys does not fit in a URL
@never_cache
@role_required(VIEWER)
def restore_states(request: HttpRequest, bucket: str) -> HttpResponse:
    rows = require_valid(RestoreStatesForm(request.POST)).cleaned_data["rows"]
    states = selectors.restore_cells(bucket=bucket, keys=[key for _, key in rows])
    cells = [(cell, state) for (cell, _), state in zip(rows, states, strict=True)]
    return render(request, CELLS, {"cells": cells})


def _options_context(bucket: str, source: dict[str, Any], options: Any) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "source": source,
        "options": options,
        "tiers": {cls: tier_choices(cls) for cls in ("ARCHIVE", "DEEP_ARCHIVE")},
        "copy_classes": COPY_CLASSES,
        "csv_max_lines": settings.CONSOLE_RESTORE_CSV_MAX_LINES,
        "csv_max_bytes": settings.CONSOLE_RESTORE_CSV_MAX_BYTES,
    }


@require_POST
@role_required(OPERATOR)
def restore_dialog(request: HttpRequest, bucket: str) -> HttpResponse:
    """The options dialog for a selection, a folder or a CSV; nothing is looked up yet."""
    source = require_valid(RestoreSourceForm(request.POST)).cleaned_data
    context = _options_context(bucket, source, RestoreOptionsForm())
    return render(request, OPTIONS, context)


@require_POST
@role_required(OPERATOR)
def restore_plan(request: HttpRequest, bucket: str) -> HttpResponse:
    """Check the options (nothing is sent if they break COS's rules), then start the dry run."""
    _refuse_huge_body(request)
    source = require_valid(RestoreSourceForm(request.POST)).cleaned_data
    options = require_valid(RestoreOptionsForm(request.POST))
    upload = request.FILES.get("csv_file")
    lines = services.campaign_lines(source=source, upload=upload)
    job = services.campaign_start(
        user=request.user, bucket=bucket, source=source, options=options.cleaned_data,
        tiers=options.tiers, lines=lines, upload=upload,
    )  # fmt: skip
    response = render(request, PROGRESS, {"job": job, "in_dialog": True})
    return trigger_client_event(response, "cos-job-started")


@require_GET
@never_cache
@role_required(VIEWER)
def restore_campaign(request: HttpRequest, job_id: int) -> HttpResponse:
    job = campaigns.campaign_get_for(request.user, job_id)
    query = require_valid(CampaignPageForm(request.GET)).cleaned_data
    page = campaigns.campaign_page(job, state=query["state"], after=query["after"])
    return render_page_or_partial(
        request, CAMPAIGN, {"job": job, "page": page, "is_detail": True},
        partials={"campaign-body": "campaign-body", "campaign-counts": "campaign-counts"},
    )  # fmt: skip


@require_GET
@never_cache
@role_required(VIEWER)
def restore_campaign_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = campaigns.campaign_get_for(request.user, job_id)
    state = require_valid(CampaignPageForm(request.GET)).cleaned_data["state"]
    response = StreamingHttpResponse(
        campaigns.campaign_csv(job, state), content_type="text/csv; charset=utf-8"
    )
    name = f"restore-{job.pk}{'-' + state if state else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@never_cache
@role_required(VIEWER)
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = campaigns.notification_rows(request.user)
    notifications_mark_read(user=request.user)
    return render(request, "objects_app/notifications.html", {"rows": rows})


@require_GET
@never_cache
@role_required(VIEWER)
def notification_badge(request: HttpRequest) -> HttpResponse:
    context = {"unread": campaigns.unread_count(request.user)}
    return render(request, "objects_app/notifications.html#notification-badge", context)


def _refuse_huge_body(request: HttpRequest) -> None:
    """Django does not cap file uploads: a body far above the CSV limit is refused from its
    Content-Length, before it is read (a file just above the limit gets the same message after)."""
    limit = settings.CONSOLE_RESTORE_CSV_MAX_BYTES
    value = str(request.META.get("CONTENT_LENGTH") or "0")
    length = int(value) if value.isdigit() else 0
    if length > 2 * limit + 1024 * 1024:
        check_csv_size(length, limit)
