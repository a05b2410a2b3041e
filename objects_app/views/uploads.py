"""The large-upload API used by static/js/large-upload.js (JSON in and out).

Errors come back as JSON `{"error": message}` with the status, because the caller is a script
that shows the message, not an htmx swap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from objects_app.cos import CosServiceError
from objects_app.errors import ObjectsError
from objects_app.models import Job
from objects_app.roles import OPERATOR, role_required
from objects_app.selectors import jobs as selectors
from objects_app.services import uploads as services
from objects_app.services.jobs import cos_message


class UploadStartForm(forms.Form):
    key = forms.CharField(strip=False, max_length=4096)
    size = forms.IntegerField(min_value=0)
    fingerprint = forms.CharField(max_length=512)


def _json_errors(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)
        except ObjectsError as exc:
            return JsonResponse({"error": exc.message}, status=exc.status)
        except PermissionDenied as exc:
            return JsonResponse({"error": str(exc) or "Not allowed."}, status=403)
        except CosServiceError as exc:  # COS refused (403 on the bucket, 5xx): say what it said
            return JsonResponse({"error": cos_message(exc)}, status=exc.get_status_code())

    return wrapper


def _state(job: Job) -> JsonResponse:
    return JsonResponse(
        {
            "job_id": job.pk,
            "state": job.state,
            "terminal": job.is_terminal,
            "chunk_size": job.params.get("chunk_size"),
            "chunks": job.total,
            "received": job.done,
            "bytes_total": job.bytes_total,
            "bytes_done": job.bytes_done,
            "error": job.error_message,
            "url": job.get_absolute_url(),
        }
    )


@require_POST
@_json_errors
@role_required(OPERATOR)
def upload_start(request: HttpRequest, bucket: str) -> JsonResponse:
    form = UploadStartForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": form.errors.as_text()}, status=400)
    job = services.upload_start(user=request.user, bucket=bucket, **form.cleaned_data)
    return _state(job)


@require_http_methods(["PUT"])
@_json_errors
@role_required(OPERATOR)
def upload_chunk(request: HttpRequest, job_id: int, index: int) -> JsonResponse:
    job = selectors.upload_get_for(request.user, job_id)
    length = request.headers.get("Content-Length", "")
    job = services.upload_chunk(
        job=job, index=index, length=int(length) if length.isdigit() else None, stream=request
    )
    return _state(job)


@require_GET
@never_cache
@_json_errors
@role_required(OPERATOR)
def upload_status(request: HttpRequest, job_id: int) -> JsonResponse:
    return _state(selectors.upload_get_for(request.user, job_id))
