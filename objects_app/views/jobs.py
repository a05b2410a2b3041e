"""Thin views: parse input, check the role, call one selector or service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from objects_app.forms import PrefixForm
from objects_app.rendering import render_page_or_partial
from objects_app.roles import VIEWER, role_required
from objects_app.selectors import jobs as selectors
from objects_app.services import jobs as services


@require_POST
@role_required(VIEWER)  # counting only reads, so viewers (auditors) may start it
def prefix_summary(request: HttpRequest, bucket: str) -> HttpResponse:
    form = PrefixForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    job = services.prefix_summary_start(
        user=request.user, bucket=bucket, prefix=form.cleaned_data["prefix"]
    )
    return render(request, "objects_app/job_detail.html#job-progress", {"job": job})


@require_GET
@never_cache
@role_required(VIEWER)
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get_for(request.user, job_id)
    return render_page_or_partial(
        request,
        "objects_app/job_detail.html",
        {"job": job},
        partials={},
        default_partial="job-progress",
    )
