"""Thin views for the version-history jobs (issue 12): the start dialogs, the starts (dry
runs), their confirms, and a rewind's undo. Progress, cancel and the report are the engine's."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from objects_app.errors import require_valid
from objects_app.forms import PrefixForm
from objects_app.history_forms import NoncurrentForm, RewindForm
from objects_app.jobs.kinds.noncurrent.services import noncurrent_start
from objects_app.jobs.kinds.rewind.services import rewind_start, rewind_undo
from objects_app.roles import ADMIN, OPERATOR, role_required
from objects_app.selectors import jobs as job_selectors
from objects_app.views.jobs import PROGRESS, STARTED
from objects_app.views.jobs import job_confirm as _job_confirm

DIALOGS = "objects_app/_history_jobs.html"


def _started(request: HttpRequest, job: object) -> HttpResponse:
    response = render(request, PROGRESS, {"job": job, "in_dialog": True})
    return trigger_client_event(response, STARTED)


@require_GET
@role_required(OPERATOR)
def rewind_dialog(request: HttpRequest, bucket: str) -> HttpResponse:
    prefix = require_valid(PrefixForm(request.GET)).cleaned_data["prefix"]
    now = timezone.now().replace(microsecond=0)
    context = {"bucket": bucket, "prefix": prefix, "now": now.strftime("%Y-%m-%dT%H:%M:%S")}
    return render(request, f"{DIALOGS}#rewind-dialog", context)


@require_POST
@role_required(OPERATOR)
def rewind_plan(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(RewindForm(request.POST)).cleaned_data
    job = rewind_start(user=request.user, bucket=bucket, prefix=data["prefix"], at=data["at"])
    return _started(request, job)


@require_POST
@role_required(OPERATOR)
def rewind_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    return _job_confirm(request, job_id, kind="rewind")


@require_POST
@role_required(OPERATOR)
def rewind_undo_plan(request: HttpRequest, job_id: int) -> HttpResponse:
    source = job_selectors.job_get_for(request.user, job_id)
    job = rewind_undo(user=request.user, job=source)
    return trigger_client_event(render(request, PROGRESS, {"job": job}), STARTED)


@require_GET
@role_required(ADMIN)
def noncurrent_dialog(request: HttpRequest, bucket: str) -> HttpResponse:
    prefix = require_valid(PrefixForm(request.GET)).cleaned_data["prefix"]
    return render(request, f"{DIALOGS}#noncurrent-dialog", {"bucket": bucket, "prefix": prefix})


@require_POST
@role_required(ADMIN)
def noncurrent_plan(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(NoncurrentForm(request.POST)).cleaned_data
    job = noncurrent_start(user=request.user, bucket=bucket, prefix=data["prefix"],
                           keep=data["keep"], older_than_days=data["days"])  # fmt: skip
    return _started(request, job)


@require_POST
@role_required(ADMIN)
def noncurrent_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    return _job_confirm(request, job_id, kind="noncurrent")
