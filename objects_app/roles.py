"""Roles are Django groups. Each role includes the ones below it; superusers hold every role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

VIEWER = "viewer"
OPERATOR = "operator"
ADMIN = "admin"
ORDER = (VIEWER, OPERATOR, ADMIN)
ROLE_NAMES = {
    VIEWER: gettext_lazy("viewer"),
    OPERATOR: gettext_lazy("operator"),
    ADMIN: gettext_lazy("admin"),
}


def user_role(user: Any) -> str | None:
    """The highest role `user` holds. Looked up once per user object: a page asks several
    times (the view's check, the toolbars), and each request loads its own user, so a changed
    role counts from the next request on (Django caches permissions on the user the same way).
    """
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    try:
        return user._console_role  # type: ignore[no-any-return]
    except AttributeError:
        pass
    names = set(user.groups.values_list("name", flat=True))
    held = [role for role in ORDER if role in names]
    user._console_role = held[-1] if held else None
    return user._console_role  # type: ignore[no-any-return]


def has_role(user: Any, role: str) -> bool:
    held = user_role(user)
    return held is not None and ORDER.index(held) >= ORDER.index(role)


def role_required(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Enforced on the server for every request, whatever the page shows."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not has_role(request.user, role):
                raise PermissionDenied(
                    _("This action needs the %(role)s role.") % {"role": ROLE_NAMES[role]}
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
