"""Version history screens (issue 12): a key's versions, preview, compare, make current, delete a
version, undelete, and a bucket's versioning switch."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from objects_app.errors import require_valid
from objects_app.rendering import render_page_or_partial
from objects_app.roles import ADMIN, OPERATOR, VIEWER, role_required
from objects_app.selectors import objects as object_selectors
from objects_app.selectors import version_compare as compare_selectors
from objects_app.selectors import versions as selectors
from objects_app.services import versions as services
from objects_app.version_forms import (
    BucketVersioningForm,
    CompareForm,
    UndeleteForm,
    VersionDeleteForm,
    VersionForm,
    VersionsForm,
)
from objects_app.views.objects import _done, detail_url

VERSIONS = "objects_app/object_versions.html"
DIALOGS = "objects_app/_version_dialogs.html"


def versions_url(bucket: str, key: str) -> str:
    return reverse("objects:object-versions", args=[bucket]) + "?" + urlencode({"key": key})


@require_GET
@never_cache
@role_required(VIEWER)
def object_versions(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(VersionsForm(request.GET)).cleaned_data
    versions = selectors.key_versions_page(
        bucket=bucket, key=data["key"], version_marker=data["version_marker"],
        page_size=selectors.PANEL_PAGE_SIZE, shown=data["shown"],
    )  # fmt: skip
    context = {"bucket": bucket, "key": data["key"], "versions": versions}
    return render_page_or_partial(
        request, VERSIONS, context, partials={"versions-load-more": "version-rows-more"}
    )


@require_GET
@never_cache
@role_required(VIEWER)
def version_preview(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(VersionForm(request.GET)).cleaned_data
    page = object_selectors.object_detail_page(**data, bucket=bucket)
    context = {"bucket": bucket, "page": page, "obj": page.detail, "version_id": data["version_id"]}
    return render(request, f"{DIALOGS}#version-preview", context)


@require_GET
@never_cache
@role_required(VIEWER)
def version_compare(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(CompareForm(request.GET)).cleaned_data
    comparison = compare_selectors.version_compare(bucket=bucket, **data)
    context = {"bucket": bucket, "key": data["key"], "cmp": comparison}
    return render(request, "objects_app/version_compare.html", context)


@require_POST
@role_required(OPERATOR)
def version_make_current(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(VersionForm(request.POST)).cleaned_data
    new_id = services.version_make_current(user=request.user, bucket=bucket, **data)
    message = _("Version %(old)s is current again (as the new version %(new)s).") % {
        "old": data["version_id"],
        "new": new_id,
    }
    return _done(request, detail_url(bucket, data["key"]), message)


@require_POST
@role_required(ADMIN)
def version_delete(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(VersionDeleteForm(request.POST)).cleaned_data
    key, version_id = data["key"], data["version_id"]
    if not data["confirmed"]:
        context = {"bucket": bucket, "key": key, "version_id": version_id}
        return render(request, f"{DIALOGS}#version-delete-confirm", context)
    gone = services.version_delete(user=request.user, bucket=bucket, key=key, version_id=version_id)
    message = _("Version %(version)s of %(key)s was deleted permanently.") % {
        "version": version_id,
        "key": key,
    }
    url = detail_url(bucket, key) if gone.key_has_current else versions_url(bucket, key)
    return _done(request, url, message)


@require_POST
@role_required(OPERATOR)
def objects_undelete(request: HttpRequest, bucket: str) -> HttpResponse:
    keys = require_valid(UndeleteForm(request.POST)).cleaned_data["keys"]
    result = services.objects_undelete(user=request.user, bucket=bucket, keys=keys)
    response = render(request, f"{DIALOGS}#undelete-result", {"result": result})
    return trigger_client_event(response, "objects-changed")


@require_POST
@role_required(ADMIN)
def bucket_versioning(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(BucketVersioningForm(request.POST)).cleaned_data
    if not data["confirmed"]:
        context = {"bucket": bucket, "status": data["status"]}
        return render(request, f"{DIALOGS}#versioning-confirm", context)
    services.bucket_versioning_set(user=request.user, bucket=bucket, status=data["status"])
    if data["status"] == "Enabled":
        messages.success(request, _("Versioning is enabled for %(bucket)s.") % {"bucket": bucket})
    else:
        messages.success(request, _("Versioning is suspended for %(bucket)s.") % {"bucket": bucket})
    return HttpResponseClientRefresh()
