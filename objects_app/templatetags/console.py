"""Template helpers of the console: object links with encoded keys, and role checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from objects_app.roles import has_role

register = template.Library()


@register.simple_tag
def object_url(name: str, bucket: str, key: str = "", **params: Any) -> str:
    """`objects:<name>` for `bucket` with the key in the query string, fully encoded.

    urlencode quotes every reserved character (`/ ? # % + &` and spaces) and UTF-8, so any key
    survives the round trip; the tag's output is then HTML-escaped like any variable.
    """
    query = {"key": key} if key else {}
    query.update({k: v for k, v in params.items() if v not in (None, "")})
    url = reverse(f"objects:{name}", args=[bucket])
    return f"{url}?{urlencode(query)}" if query else url


@register.filter
def role_at_least(user: Any, role: str) -> bool:
    return has_role(user, role)
