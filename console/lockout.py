"""The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): what happened, for how
long, and who can lift it, in the user's language."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else 0,
    }
    # 429: the same answer whether the password was right or not, so it tells an attacker nothing.
    return render(request, "registration/locked_out.html", context, status=429)
