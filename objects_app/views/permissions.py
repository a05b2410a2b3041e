"""Permissions: the object panel, the bucket page, "who can read this?", and admins' changes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from objects_app.access.acl import (
    BUCKET_CANNED,
    BUCKET_PERMISSIONS,
    OBJECT_CANNED,
    OBJECT_PERMISSIONS,
)
from objects_app.errors import require_valid
from objects_app.forms import ObjectForm
from objects_app.permission_forms import (
    AclChangeForm,
    ConfirmForm,
    ObjectAclChangeForm,
    PolicyForm,
    WhoForm,
)
from objects_app.rendering import render_page_or_partial
from objects_app.roles import ADMIN, VIEWER, has_role, role_required
from objects_app.selectors import permissions as selectors
from objects_app.services import permissions as services

PAGE = "objects_app/bucket_permissions.html"
PANEL = "objects_app/object_permissions.html"


def _bucket_url(bucket: str) -> str:
    return reverse("objects:bucket-permissions", args=[bucket])


def _object_url(bucket: str, key: str) -> str:
    return reverse("objects:object-detail", args=[bucket]) + "?" + urlencode({"key": key})


def _done(request: HttpRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _confirm(request: HttpRequest, partial: str, context: dict[str, Any]) -> HttpResponse:
    """The confirmation dialog; its form posts the same fields again, with `confirmed`."""
    fields = [
        (k, v) for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "confirmed")
    ]
    return render(request, f"{PANEL}#{partial}", {**context, "fields": fields})


@require_GET
@never_cache
@role_required(VIEWER)
def object_permissions(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(ObjectForm(request.GET)).cleaned_data
    perms = selectors.object_permissions(bucket=bucket, **data)
    can_edit = has_role(request.user, ADMIN) and not data["version_id"]
    context = {
        "bucket": bucket,
        "perms": perms,
        "version_id": data["version_id"],
        "acl_form_url": reverse("objects:object-acl-update", args=[bucket]) if can_edit else "",
        "key": perms.key,
        "canned_choices": OBJECT_CANNED,
        "object_permissions": OBJECT_PERMISSIONS,
    }
    return render_page_or_partial(
        request, PANEL, context, partials={}, default_partial="permissions-panel"
    )


@require_GET
@never_cache
@role_required(VIEWER)
def bucket_permissions(request: HttpRequest, bucket: str) -> HttpResponse:
    """The bucket page; with a question in the query string, also the answer (`who-result`)."""
    form = WhoForm(request.GET) if "principal" in request.GET else None
    answer = None
    if form is not None:
        data = require_valid(form).cleaned_data
        answer = selectors.who_can_read(
            bucket=bucket,
            target=data["target"],
            is_prefix=data["is_prefix"],
            who=data["who"],
            version_id=data["version_id"],
        )
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "who-result" and not htmx.history_restore_request:
        return render(request, f"{PAGE}#who-result", {"bucket": bucket, "answer": answer})
    page = selectors.bucket_permissions(bucket=bucket)
    can_edit = has_role(request.user, ADMIN)
    context = {
        "bucket": bucket,
        "page": page,
        "answer": answer,
        "question": request.GET,
        "acl_form_url": reverse("objects:bucket-acl-update", args=[bucket]) if can_edit else "",
        "canned_choices": BUCKET_CANNED,
        "bucket_permissions": BUCKET_PERMISSIONS,
        "policy_example": selectors.policy_example(bucket),
    }
    return render_page_or_partial(request, PAGE, context, partials={})


@require_POST
@role_required(ADMIN)
def object_acl_update(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(ObjectAclChangeForm(request.POST)).cleaned_data
    key = data["key"]
    outcome = services.object_acl_change(
        user=request.user,
        bucket=bucket,
        key=key,
        change=data["change"],
        confirmed=data["confirmed"],
    )
    if isinstance(outcome, services.ConfirmNeeded):
        url = reverse("objects:object-acl-update", args=[bucket])
        context = {"lines": outcome.lines, "action_url": url, "key": key, "bucket": bucket}
        return _confirm(request, "acl-confirm", context)
    return _done(
        request, _object_url(bucket, key), _("Permissions of %(key)s saved.") % {"key": key}
    )


@require_POST
@role_required(ADMIN)
def bucket_acl_update(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(AclChangeForm(request.POST)).cleaned_data
    outcome = services.bucket_acl_change(
        user=request.user, bucket=bucket, change=data["change"], confirmed=data["confirmed"]
    )
    if isinstance(outcome, services.ConfirmNeeded):
        url = reverse("objects:bucket-acl-update", args=[bucket])
        context = {"lines": outcome.lines, "action_url": url, "bucket": bucket}
        return _confirm(request, "acl-confirm", context)
    return _done(request, _bucket_url(bucket), _("The bucket ACL is saved."))


@require_POST
@role_required(ADMIN)
def bucket_policy_update(request: HttpRequest, bucket: str) -> HttpResponse:
    data = require_valid(PolicyForm(request.POST)).cleaned_data
    outcome = services.bucket_policy_put(
        user=request.user, bucket=bucket, text=data["policy"], confirmed=data["confirmed"]
    )
    if isinstance(outcome, services.ConfirmNeeded):
        url = reverse("objects:bucket-policy-update", args=[bucket])
        context = {"lines": outcome.lines, "action_url": url, "bucket": bucket}
        return _confirm(request, "acl-confirm", context)
    return _done(request, _bucket_url(bucket), _("The bucket policy is saved."))


@require_POST
@role_required(ADMIN)
def bucket_policy_delete(request: HttpRequest, bucket: str) -> HttpResponse:
    if not require_valid(ConfirmForm(request.POST)).cleaned_data["confirmed"]:
        return render(request, f"{PAGE}#policy-delete-confirm", {"bucket": bucket})
    services.bucket_policy_delete(user=request.user, bucket=bucket)
    return _done(request, _bucket_url(bucket), _("The bucket policy is deleted."))
