"""Views of one object: detail, download, share, and the operator's write actions."""

from __future__ import annotations

import re
from typing import TypeVar
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    reswap,
    retarget,
    trigger_client_event,
)

from objects_app.disposition import content_disposition, filename_of
from objects_app.errors import require_valid
from objects_app.forms import (
    CopyForm,
    DeleteForm,
    FolderForm,
    MetadataForm,
    ObjectForm,
    RestoreForm,
    ShareForm,
    StorageClassForm,
    UploadForm,
)
from objects_app.rendering import render_page_or_partial
from objects_app.roles import OPERATOR, VIEWER, role_required
from objects_app.selectors import objects as selectors
from objects_app.selectors import versions as version_selectors
from objects_app.services import objects as services
from objects_app.streaming import streaming_response

# One satisfiable byte range (RFC 9110); anything else is ignored and the whole object is sent.
SINGLE_RANGE = re.compile(r"^bytes=(\d+-\d*|-\d+)$")
# Object bytes are never allowed to act as a page of ours, whatever their Content-Type.
DOWNLOAD_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
TEMPLATE = "objects_app/object_detail.html"
DETAIL_PARTIALS = {"object-meta": "object-meta", "restore-state": "restore-state"}


F = TypeVar("F", bound=forms.Form)


def _valid(form: F) -> F:
    """The form, validated; invalid input is a 422 with the reasons, next to the fields."""
    return require_valid(form)  # type: ignore[no-any-return]


def detail_url(bucket: str, key: str) -> str:
    return reverse("objects:object-detail", args=[bucket]) + "?" + urlencode({"key": key})


def folder_url(bucket: str, prefix: str) -> str:
    url = reverse("objects:object-list", args=[bucket])
    return url + "?" + urlencode({"prefix": prefix}) if prefix else url


def _done(request: HttpRequest, url: str, message: str) -> HttpResponse:
    """After a write that changes the page: a message, then the page to show (htmx or not)."""
    messages.success(request, message)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


@require_GET
@never_cache
@role_required(VIEWER)
def object_detail(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(ObjectForm(request.GET))
    page = selectors.object_detail_page(bucket=bucket, **form.cleaned_data)
    if _restore_finished_while_polling(request, page.detail):
        return HttpResponseClientRefresh()  # download and share become available: whole page
    context = {
        "bucket": bucket,
        "page": page,
        "obj": page.detail,
        "version_id": form.cleaned_data["version_id"],
        "versions": _versions_panel(request, bucket, page.detail.key),
        "share_form": ShareForm(initial={"expires": 3600}),
        "storage_classes": StorageClassForm.base_fields["storage_class"].choices,  # type: ignore[attr-defined]
    }
    return render_page_or_partial(
        request,
        TEMPLATE,
        context,
        partials=DETAIL_PARTIALS,
    )


def _versions_panel(
    request: HttpRequest, bucket: str, key: str
) -> version_selectors.VersionsPage | None:
    """The versions panel's first page; htmx refreshes of the page's parts (metadata, restore
    state) do not show it, so they do not list it."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request and htmx.target in DETAIL_PARTIALS:
        return None
    return version_selectors.key_versions_page(
        bucket=bucket, key=key, page_size=version_selectors.PANEL_PAGE_SIZE
    )


def _restore_finished_while_polling(request: HttpRequest, detail: selectors.ObjectDetail) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and htmx.target == "restore-state" and not detail.restore_ongoing)


@require_GET
@never_cache
@role_required(VIEWER)
def object_download(request: HttpRequest, bucket: str) -> HttpResponseBase:
    form = _valid(ObjectForm(request.GET))
    key, version_id = form.cleaned_data["key"], form.cleaned_data["version_id"]
    if settings.CONSOLE_DOWNLOAD_REDIRECT:
        return redirect(
            selectors.object_download_url(bucket=bucket, key=key, version_id=version_id)
        )
    wanted = request.headers.get("Range", "")
    download = selectors.object_download(
        bucket=bucket, key=key, version_id=version_id,
        byte_range=wanted if SINGLE_RANGE.match(wanted) else "",
    )  # fmt: skip
    inline = request.GET.get("inline") == "1"
    return _stream(request, download, filename=filename_of(key), inline=inline)


def _stream(
    request: HttpRequest, download: selectors.Download, *, filename: str, inline: bool
) -> HttpResponseBase:
    """COS's body as a streaming response; only images may show inline, always sandboxed."""
    response = streaming_response(request, download, close=download.close, status=download.status)
    for name, value in download.headers.items():
        response[name] = value
    inline = inline and download.headers.get("Content-Type", "").startswith("image/")
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    return response


@require_POST
@role_required(VIEWER)  # viewers may download, so they may hand out a time-limited link (audited)
def object_share(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(ShareForm(request.POST))
    url = services.object_share(user=request.user, bucket=bucket, **form.cleaned_data)
    context = {"share_url": url, "expires_seconds": form.cleaned_data["expires"]}
    return render(request, f"{TEMPLATE}#share-result", context)


@require_POST
@role_required(OPERATOR)
def object_upload(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(UploadForm(request.POST, request.FILES))
    upload = form.cleaned_data["file"]
    key = services.object_upload(
        user=request.user, bucket=bucket, key=form.cleaned_data["key"], body=upload,
        size=upload.size, content_type=upload.content_type or "",
    )  # fmt: skip
    return JsonResponse({"key": key, "size": upload.size}, status=201)


@require_POST
@role_required(OPERATOR)
def folder_create(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(FolderForm(request.POST))
    key = services.folder_create(user=request.user, bucket=bucket, **form.cleaned_data)
    message = _("Folder %(key)s created.") % {"key": key}
    response = render(request, "objects_app/error.html#ok-message", {"message": message})
    return trigger_client_event(
        retarget(reswap(response, "innerHTML"), "#flash"), "objects-changed"
    )


@require_POST
@role_required(OPERATOR)
def object_delete(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(DeleteForm(request.POST))
    key = form.cleaned_data["key"]
    if not form.cleaned_data["confirmed"]:
        return render(request, f"{TEMPLATE}#delete-confirm", {"bucket": bucket, "key": key})
    services.object_delete(user=request.user, bucket=bucket, key=key)
    folder = key[: key.rstrip("/").rfind("/") + 1]
    return _done(request, folder_url(bucket, folder), _("Deleted %(key)s.") % {"key": key})


@require_POST
@role_required(OPERATOR)
def object_copy(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(CopyForm(request.POST))
    data = form.cleaned_data
    action = data["action"]
    dest_bucket = data["dest_bucket"] or bucket
    services.object_copy(
        user=request.user, bucket=bucket, key=data["key"], dest_bucket=dest_bucket,
        dest_key=data["dest_key"], move=action != "copy", overwrite=data["overwrite"],
        action=action,
    )  # fmt: skip
    done = {
        "copy": _("Copied to %(key)s."), "move": _("Moved to %(key)s."),
        "rename": _("Renamed to %(key)s."),
    }[action]  # fmt: skip
    url = detail_url(dest_bucket, data["dest_key"])
    return _done(request, url, done % {"key": data["dest_key"]})


@require_POST
@role_required(OPERATOR)
def object_metadata(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(MetadataForm(request.POST))
    key = form.cleaned_data["key"]
    services.object_metadata_update(
        user=request.user, bucket=bucket, key=key, headers=form.headers(),
        metadata=form.cleaned_data["metadata"],
    )  # fmt: skip
    return _done(request, detail_url(bucket, key), _("Metadata saved."))


@require_POST
@role_required(OPERATOR)
def object_storage_class(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(StorageClassForm(request.POST))
    key, storage_class = form.cleaned_data["key"], form.cleaned_data["storage_class"]
    services.object_storage_class_change(
        user=request.user, bucket=bucket, key=key, storage_class=storage_class
    )
    message = _("Storage class is now %(cls)s.") % {"cls": storage_class}
    return _done(request, detail_url(bucket, key), message)


@require_POST
@role_required(OPERATOR)
def object_restore(request: HttpRequest, bucket: str) -> HttpResponse:
    form = _valid(RestoreForm(request.POST))
    key = form.cleaned_data["key"]
    campaign = services.object_restore(
        user=request.user, bucket=bucket, key=key, days=form.cleaned_data["days"],
        tier=form.cleaned_data["tier"],
    )  # fmt: skip
    message = _(
        "Restore requested. This page updates when the copy is readable; restore campaign "
        "#%(id)s follows it and tells you when it is ready."
    ) % {"id": campaign}
    return _done(request, detail_url(bucket, key), message)
