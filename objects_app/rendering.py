"""The one place that decides between a full page and a named partial (django-htmx)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page_or_partial(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partials: dict[str, str],
    default_partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Full page for normal requests and history restores; for htmx, the partial its target needs.

    `partials` maps allowed `HX-Target` ids to partial names; unknown targets get
    `default_partial`, or the full page when there is none.
    """
    htmx = getattr(request, "htmx", None)
    name, partial = template, None
    if htmx and not htmx.history_restore_request:
        partial = partials.get(htmx.target or "", default_partial)
        if partial:
            name = f"{template}#{partial}"
    # Partials that replace a whole screen's content also send a <title> (htmx sets it); a
    # partial may also refresh a region outside itself (out of band) when rendered alone.
    context = {**context, "is_partial": name != template, "partial": partial}
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
