"""Template helpers of the console: object links with encoded keys, and role checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.translation import ngettext

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
def key_folder(key: str) -> str:
    """The folder part of a key ("a/b/c.txt" -> "a/b/"; "" at the top)."""
    return key[: key.rstrip("/").rfind("/") + 1]


@register.filter
def role_at_least(user: Any, role: str) -> bool:
    return has_role(user, role)


@register.filter
def duration_words(seconds: Any) -> str:
    """A link lifetime in words ("15 minutes", "1 hour", "7 days"), in the page's language."""
    seconds = int(seconds or 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return _DURATION[unit](n) % {"n": n}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


# ngettext needs literal strings for makemessages to find them.
_DURATION = {
    "day": lambda n: ngettext("%(n)d day", "%(n)d days", n),
    "hour": lambda n: ngettext("%(n)d hour", "%(n)d hours", n),
    "minute": lambda n: ngettext("%(n)d minute", "%(n)d minutes", n),
}
