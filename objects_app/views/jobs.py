"""Thin views for jobs: the list, one job's progress, cancel, retry, and browser notices."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from objects_app.forms import PrefixForm
from objects_app.rendering import render_page_or_partial
from objects_app.roles import OPERATOR, VIEWER, role_required
from objects_app.selectors import jobs as selectors
from objects_app.selectors.queue import queue_available
from objects_app.services import deletes as delete_services
from objects_app.services import jobs as services

PROGRESS = "objects_app/job_detail.html#job-progress"
STARTED = "cos-job-started"  # wakes the browser's job-notices poller


@require_POST
@role_required(VIEWER)  # counting only reads, so viewers (auditors) may start it
def prefix_summary(request: HttpRequest, bucket: str) -> HttpResponse:
    form = PrefixForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    job = services.prefix_summary_start(
        user=request.user, bucket=bucket, prefix=form.cleaned_data["prefix"]
    )
    return trigger_client_event(render(request, PROGRESS, {"job": job}), STARTED)


@require_GET
@never_cache
@role_required(VIEWER)
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = selectors.job_list_for(request.user)[:100]
    context = {"jobs": jobs, "queue_down": not queue_available()}
    return render_page_or_partial(
        request, "objects_app/job_list.html", context, partials={"job-table": "job-table"}
    )


@require_GET
@never_cache
@role_required(VIEWER)
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get_for(request.user, job_id)
    return render_page_or_partial(
        request,
        "objects_app/job_detail.html",
        {"job": job, "queue_down": not job.is_terminal and not queue_available()},
        partials={},
        default_partial="job-progress",
    )


@require_POST
@role_required(VIEWER)  # one's own jobs only (the selector limits non-admins to theirs)
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = services.job_cancel(user=request.user, job=selectors.job_get_for(request.user, job_id))
    return render(request, PROGRESS, {"job": job})


@require_POST
@role_required(OPERATOR)
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    source = selectors.job_get_for(request.user, job_id)
    job = delete_services.delete_retry_failed(user=request.user, job=source)
    return render(request, PROGRESS, {"job": job})


@require_GET
@never_cache
@role_required(VIEWER)
def job_notices(request: HttpRequest, bucket: str) -> HttpResponse:
    since = selectors.parse_since(request.GET.get("since", ""))
    context = selectors.bucket_job_notices(request.user, bucket, since)
    return render(
        request, "objects_app/_job_toolbar.html#job-notices", {"bucket": bucket, **context}
    )
