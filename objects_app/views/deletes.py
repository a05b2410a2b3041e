"""Thin views for batch deletes: start the dry run, then confirm what to delete."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from objects_app.forms import PrefixForm
from objects_app.roles import OPERATOR, role_required
from objects_app.selectors import jobs as selectors
from objects_app.services import deletes as services

PROGRESS = "objects_app/job_detail.html#job-progress"
MAX_SELECTION = 100_000


class SelectionForm(forms.Form):
    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        self.keys = [key for key in data.getlist("selected") if key]

    def clean(self) -> dict[str, Any]:
        if not self.keys:
            raise forms.ValidationError("Select at least one object.")
        if len(self.keys) > MAX_SELECTION:
            raise forms.ValidationError(f"Select at most {MAX_SELECTION:,} objects at once.")
        if any(len(key.encode("utf-8")) > 850 for key in self.keys):
            raise forms.ValidationError("A selected key is longer than COS's 850-byte limit.")
        return {"selected": list(dict.fromkeys(self.keys))}


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
def delete_selection(request: HttpRequest, bucket: str) -> HttpResponse:
    """Plan a batch delete of chosen keys (checkboxes named `selected`); confirm comes next."""
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    items = [(key, "") for key in form.cleaned_data["selected"]]
    job = services.delete_selection_start(user=request.user, bucket=bucket, items=items)
    return render(request, PROGRESS, {"job": job})


@require_POST
@role_required(OPERATOR)
def delete_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get_for(request.user, job_id)
    job = services.delete_confirm(user=request.user, job=job, mode=request.POST.get("mode", ""))
    return trigger_client_event(render(request, PROGRESS, {"job": job}), "cos-job-started")
