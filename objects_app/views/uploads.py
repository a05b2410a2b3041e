"""The large-upload API used by static/js/large-upload.js (JSON in and out).

Refusals go through the one responder, which answers JSON (`{"error": message}` with the
status) because the script asks with `Accept: application/json`.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from objects_app.errors import require_valid
from objects_app.jobs.kinds.upload import receive
from objects_app.jobs.kinds.upload.params import UploadParams
from objects_app.models import TERMINAL_STATES, Job
from objects_app.roles import OPERATOR, role_required
from objects_app.selectors import jobs as selectors

MAX_SIZE = 50 * 1024**4  # COS's largest object: 50 TiB


class UploadStartForm(forms.Form):
    key = forms.CharField(strip=False, max_length=4096)
    size = forms.IntegerField(min_value=0, max_value=MAX_SIZE)
    fingerprint = forms.CharField(max_length=512)


def _state(job: Job) -> JsonResponse:
    """Where the upload stands, read fresh in one query (the browser resumes from it)."""
    params = UploadParams.from_json(job.params)
    fresh = Job.objects.filter(pk=job.pk).values(
        "state", "bytes_done", "error_message", "upload__received"
    )[0]
    return JsonResponse(
        {
            "job_id": job.pk,
            "state": fresh["state"],
            "terminal": fresh["state"] in TERMINAL_STATES,
            "chunk_size": params.chunk_size,
            "ahead": receive.ahead_chunks(),
            "chunks": job.total,
            "received": fresh["upload__received"] or 0,
            "bytes_total": params.size,
            "bytes_done": fresh["bytes_done"],
            "error": fresh["error_message"],
            "url": job.get_absolute_url(),
        }
    )


@require_POST
@role_required(OPERATOR)
def upload_start(request: HttpRequest, bucket: str) -> JsonResponse:
    data = require_valid(UploadStartForm(request.POST)).cleaned_data
    return _state(receive.upload_start(user=request.user, bucket=bucket, **data))


@require_http_methods(["PUT"])
@role_required(OPERATOR)
def upload_chunk(request: HttpRequest, job_id: int, index: int) -> JsonResponse:
    job = selectors.upload_get_for(request.user, job_id)
    length = request.headers.get("Content-Length", "")
    # Served by console.asgi, the body is already in staging (StagedBody); otherwise it streams.
    body = getattr(request, "staged_body", None) or request
    job = receive.upload_chunk(
        job=job, index=index, length=int(length) if length.isdigit() else None, stream=body
    )
    return _state(job)


@require_GET
@never_cache
@role_required(OPERATOR)
def upload_status(request: HttpRequest, job_id: int) -> JsonResponse:
    return _state(selectors.upload_get_for(request.user, job_id))
