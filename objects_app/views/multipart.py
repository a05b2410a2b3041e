"""Thin views for a bucket's unfinished multipart uploads: the paged list, parts on demand,
abort one (confirmed in a dialog), and abort jobs (a selection, or everything older than N days)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from objects_app import keys
from objects_app.errors import require_valid
from objects_app.jobs.kinds.abort_uploads import services
from objects_app.rendering import render_page_or_partial
from objects_app.roles import OPERATOR, VIEWER, has_role, role_required
from objects_app.selectors import multipart as selectors
from objects_app.views.jobs import PROGRESS, STARTED

PAGE = "objects_app/unfinished_list.html"
UPLOAD_ID = re.compile(r"^[A-Za-z0-9._~=+-]{1,256}$")
CHANGED = "uploads-changed"  # the table reloads itself on this event


def _key_field(value: str, check: Any) -> str:
    try:
        return str(check(value))
    except keys.NameRuleError as exc:
        raise forms.ValidationError(str(exc)) from None


def _upload_id(value: str) -> str:
    if not UPLOAD_ID.match(value):
        raise forms.ValidationError(_("That is not a multipart upload id."))
    return value


class ListForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    key_marker = forms.CharField(required=False, strip=False)
    upload_id_marker = forms.CharField(required=False)

    def clean_prefix(self) -> str:
        return _key_field(self.cleaned_data["prefix"], keys.check_prefix)

    def clean_key_marker(self) -> str:
        return _key_field(self.cleaned_data["key_marker"], keys.check_prefix)

    def clean_upload_id_marker(self) -> str:
        value = self.cleaned_data["upload_id_marker"]
        return _upload_id(value) if value else ""


class UploadForm(forms.Form):
    key = forms.CharField(strip=False)
    upload_id = forms.CharField()
    force = forms.BooleanField(required=False)
    confirmed = forms.BooleanField(required=False)

    def clean_key(self) -> str:
        return _key_field(self.cleaned_data["key"], keys.check_key)

    def clean_upload_id(self) -> str:
        return _upload_id(self.cleaned_data["upload_id"])


class SelectedForm(forms.Form):
    """Checkboxes named `selected`, each `<upload id>/<key>`."""

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        self.values = [v for v in data.getlist("selected") if v]

    def clean(self) -> dict[str, Any]:
        if not self.values:
            raise forms.ValidationError(_("Select at least one upload."))
        pairs = []
        for value in dict.fromkeys(self.values):
            upload_id, _sep, key = value.partition("/")
            pairs.append((_key_field(key, keys.check_key), _upload_id(upload_id)))
        return {"uploads": pairs}


class OlderForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    days = forms.IntegerField(min_value=0, max_value=services.MAX_DAYS)

    def clean_prefix(self) -> str:
        return _key_field(self.cleaned_data["prefix"], keys.check_prefix)


@require_GET
@never_cache
@role_required(VIEWER)
def unfinished_list(request: HttpRequest, bucket: str) -> HttpResponse:
    filters = require_valid(ListForm(request.GET)).cleaned_data
    page = selectors.unfinished_page(bucket=bucket, **filters)
    context = {"bucket": bucket, "page": page, "can_write": has_role(request.user, OPERATOR)}
    return render_page_or_partial(
        request, PAGE, context,
        partials={"upload-table": "upload-table", "load-more-uploads": "upload-rows"},
    )  # fmt: skip


@require_GET
@never_cache
@role_required(VIEWER)
def unfinished_parts(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(UploadForm(request.GET)).cleaned_data
    parts = selectors.unfinished_parts(bucket=bucket, key=data["key"], upload_id=data["upload_id"])
    return render(request, f"{PAGE}#parts-cell", {"parts": parts, "upload_id": data["upload_id"]})


@require_POST
@role_required(OPERATOR)
def unfinished_abort(request: HttpRequest, bucket: str) -> HttpResponse:
    """Without `confirmed`: the confirmation dialog; with it: abort the one upload."""
    data = require_valid(UploadForm(request.POST)).cleaned_data
    if not data["confirmed"]:
        in_use = services.upload_owner(data["upload_id"])
        context = {"bucket": bucket, "key": data["key"], "upload_id": data["upload_id"],
                   "in_use": in_use}  # fmt: skip
        return render(request, f"{PAGE}#abort-dialog", context)
    services.multipart_abort(user=request.user, bucket=bucket, key=data["key"],
                             upload_id=data["upload_id"], force=data["force"])  # fmt: skip
    response = render(request, f"{PAGE}#abort-done", {"key": data["key"]})
    return trigger_client_event(response, CHANGED)


@require_POST
@role_required(OPERATOR)
def unfinished_abort_selected(request: HttpRequest, bucket: str) -> HttpResponse:
    uploads = require_valid(SelectedForm(request.POST)).cleaned_data["uploads"]
    job = services.abort_selection_start(user=request.user, bucket=bucket, uploads=uploads)
    response = render(request, PROGRESS, {"job": job, "in_dialog": True})
    return trigger_client_event(response, STARTED)


@require_POST
@role_required(OPERATOR)
def unfinished_abort_older(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(OlderForm(request.POST)).cleaned_data
    job = services.abort_older_start(user=request.user, bucket=bucket, **data)
    return trigger_client_event(render(request, PROGRESS, {"job": job}), STARTED)


@require_GET
@never_cache
@role_required(VIEWER)
def unfinished_summary(request: HttpRequest, bucket: str) -> HttpResponse:
    summary = selectors.unfinished_summary(bucket=bucket)
    return render(request, f"{PAGE}#bucket-summary", {"bucket": bucket, "summary": summary})
