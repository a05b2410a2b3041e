"""Thin views for jobs: the list, one job's panel and report, cancel, confirm, retry, notices."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from objects_app.errors import require_valid
from objects_app.forms import PrefixForm
from objects_app.jobs import actions
from objects_app.jobs.kinds.delete import services as delete_services
from objects_app.jobs.kinds.summary import start_prefix_summary
from objects_app.models import ItemOutcome, JobState
from objects_app.rendering import render_page_or_partial
from objects_app.roles import OPERATOR, VIEWER, role_required
from objects_app.selectors import jobs as selectors

DETAIL = "objects_app/job_detail.html"
PROGRESS = f"{DETAIL}#job-progress"
STARTED = "cos-job-started"  # wakes the browser's job-notices poller


class JobFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=[("", ""), ("active", ""), ("ended", ""),
                                                       *JobState.choices])  # fmt: skip
    kind = forms.CharField(required=False, max_length=32)
    owner = forms.CharField(required=False, max_length=150)
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)


class ReportForm(forms.Form):
    outcome = forms.ChoiceField(required=False, choices=[("", ""), *ItemOutcome.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)


@require_POST
@role_required(VIEWER)  # counting only reads, so viewers (auditors) may start it
def prefix_summary(request: HttpRequest, bucket: str) -> HttpResponse:
    prefix = require_valid(PrefixForm(request.POST)).cleaned_data["prefix"]
    job = start_prefix_summary(user=request.user, bucket=bucket, prefix=prefix)
    return trigger_client_event(render(request, PROGRESS, {"job": job}), STARTED)


@require_GET
@never_cache
@role_required(VIEWER)
def job_list(request: HttpRequest) -> HttpResponse:
    filters = require_valid(JobFilterForm(request.GET)).cleaned_data
    page, rows = selectors.job_rows(request.user, state=filters["state"], kind=filters["kind"],
                                    owner=filters["owner"], page=filters["page"] or 1)  # fmt: skip
    context = {"page": page, "rows": rows, "filters": filters,
               "any_active": any(row.job.is_active for row in rows),
               "choices": selectors.job_filter_choices(request.user)}  # fmt: skip
    return render_page_or_partial(
        request, "objects_app/job_list.html", context, partials={"job-table": "job-table"}
    )


@require_GET
@never_cache
@role_required(VIEWER)
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get_for(request.user, job_id)
    report = require_valid(ReportForm(request.GET)).cleaned_data
    items = selectors.job_items_page(job, report["outcome"], report["page"] or 1)
    context = {"job": job, "items": items, "outcome": report["outcome"], "is_detail": True,
               "report_filters": selectors.REPORT_FILTERS}  # fmt: skip
    return render_page_or_partial(
        request, DETAIL, context, partials={"job-report": "job-report"},
        default_partial="job-progress",
    )  # fmt: skip


@require_GET
@never_cache
@role_required(VIEWER)
def job_report(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = selectors.job_get_for(request.user, job_id)
    outcome = require_valid(ReportForm(request.GET)).cleaned_data["outcome"]
    response = StreamingHttpResponse(
        selectors.job_report_csv(job, outcome), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-report.csv"'
    return response


@require_POST
@role_required(VIEWER)  # one's own jobs only (the selector limits non-admins to theirs)
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = actions.job_cancel(user=request.user, job=selectors.job_get_for(request.user, job_id))
    return render(request, PROGRESS, {"job": job})


@require_POST
@role_required(OPERATOR)
def job_confirm(request: HttpRequest, job_id: int, kind: str | None = None) -> HttpResponse:
    """Confirm a dry run's plan; from a kind's own URL, only a job of that kind."""
    job = selectors.job_get_for(request.user, job_id)
    choice = request.POST.get("choice") or request.POST.get("mode") or ""
    job = actions.job_confirm(user=request.user, job=job, choice=choice, kind_name=kind)
    return trigger_client_event(render(request, PROGRESS, {"job": job}), STARTED)


@require_POST
@role_required(OPERATOR)
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    source = selectors.job_get_for(request.user, job_id)
    job = delete_services.delete_retry_failed(user=request.user, job=source)
    return trigger_client_event(render(request, PROGRESS, {"job": job}), STARTED)


@require_GET
@never_cache
@role_required(VIEWER)
def job_notices(request: HttpRequest, bucket: str) -> HttpResponse:
    since = selectors.parse_since(request.GET.get("since", ""))
    prefix = require_valid(PrefixForm(request.GET)).cleaned_data["prefix"]
    context = selectors.bucket_job_notices(request.user, bucket, since)
    return render(
        request,
        "objects_app/_job_toolbar.html#job-notices",
        {"bucket": bucket, "prefix": prefix, **context},
    )
