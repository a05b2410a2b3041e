"""Thin views for batch deletes: start the dry run (a prefix, or chosen keys and folders), then
confirm what to delete."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from objects_app.errors import require_valid
from objects_app.forms import PrefixForm
from objects_app.jobs.kinds.delete import services
from objects_app.keys import check_key, check_prefix
from objects_app.roles import OPERATOR, role_required
from objects_app.views.jobs import PROGRESS
from objects_app.views.jobs import job_confirm as _job_confirm

MAX_SELECTION = 100_000


class SelectionForm(forms.Form):
    """Checkboxes named `selected` (keys) and `selected_folders` (everything under them)."""

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        self.keys = [key for key in data.getlist("selected") if key]
        self.folders = [folder for folder in data.getlist("selected_folders") if folder]

    def clean(self) -> dict[str, Any]:
        if not self.keys and not self.folders:
            raise forms.ValidationError(_("Select at least one object or folder."))
        if len(self.keys) + len(self.folders) > MAX_SELECTION:
            raise forms.ValidationError(
                _("Select at most %(n)s objects at once.") % {"n": f"{MAX_SELECTION:,}"}
            )
        keys = [check_key(key) for key in dict.fromkeys(self.keys)]
        folders = [check_prefix(folder) for folder in dict.fromkeys(self.folders)]
        if any(not folder.endswith("/") for folder in folders):
            raise forms.ValidationError(_("A selected folder must end with /."))
        return {"selected": keys, "folders": folders}


@require_POST
@role_required(OPERATOR)
def delete_plan(request: HttpRequest, bucket: str) -> HttpResponse:
    prefix = require_valid(PrefixForm(request.POST)).cleaned_data["prefix"]
    job = services.delete_plan_start(user=request.user, bucket=bucket, prefix=prefix)
    return render(request, PROGRESS, {"job": job})


@require_POST
@role_required(OPERATOR)
def delete_selection(request: HttpRequest, bucket: str) -> HttpResponse:
    """Plan a batch delete of chosen keys and folders; confirm comes next."""
    data = require_valid(SelectionForm(request.POST)).cleaned_data
    job = services.delete_selection_start(
        user=request.user, bucket=bucket, items=[(key, "") for key in data["selected"]],
        folders=data["folders"],
    )  # fmt: skip
    return render(request, PROGRESS, {"job": job})


@require_POST
@role_required(OPERATOR)
def delete_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    """Confirm a batch delete's plan (a job of any other kind is refused)."""
    return _job_confirm(request, job_id, kind="delete")
