"""Thin views for batch deletes: start the dry run, then confirm what to delete."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from objects_app.forms import PrefixForm
from objects_app.roles import OPERATOR, role_required
from objects_app.selectors import jobs as selectors
from objects_app.services import deletes as services

PROGRESS = "objects_app/job_detail.html#job-progress"


@require_POST
@role_required(OPERATOR)
def delete_plan(request: HttpRequest, bucket: str) -> HttpResponse:
    form = PrefixForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    job = services.delete_plan_start(
        user=request.user, bucket=bucket, prefix=form.cleaned_data["prefix"]
    )
    return render(request, PROGRESS, {"job": job})


@require_POST
@role_required(OPERATOR)
def delete_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get_for(request.user, job_id)
    job = services.delete_confirm(user=request.user, job=job, mode=request.POST.get("mode", ""))
    return trigger_client_event(render(request, PROGRESS, {"job": job}), "cos-job-started")
