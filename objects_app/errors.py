"""Domain errors the service and view layers raise for things the user can fix.

Both travel through the one responder (`objects_app.responders`), which turns them into JSON, an
htmx message or a full page; nothing else builds error responses.
"""

from __future__ import annotations

from typing import Any


class ObjectsError(Exception):
    """A rule violation (bad name, protected prefix, wrong job kind, ...) shown to the user as is.

    `status` is the HTTP status the responder sends (422 by default: the request was understood
    but cannot be done as asked; 404/409 where they say more).
    """

    def __init__(
        self, message: str, *, status: int = 422, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fields = fields or {}


# Validation codes for identifiers the console itself writes into links (a version id): when
# only those are wrong, the address is malformed rather than a form filled in badly, so 400.
BAD_ADDRESS_CODES = frozenset({"bad_version_id"})


class InvalidInput(ObjectsError):
    """Input that fails validation: 422 with the reasons, each next to its form field (400 when
    only a malformed identifier from a link is wrong)."""

    @classmethod
    def from_form(cls, form: Any) -> InvalidInput:
        fields: dict[str, list[str]] = {}
        general: list[str] = []
        for name, errors in form.errors.items():
            texts = [str(e) for e in errors]
            if name == "__all__":
                general.extend(texts)
            else:
                fields[name] = texts
        message = " ".join(general + [t for texts in fields.values() for t in texts])
        codes = {e.code for errors in form.errors.as_data().values() for e in errors}
        status = 400 if codes and codes <= BAD_ADDRESS_CODES else 422
        return cls(message, status=status, fields=fields)


def require_valid(form: Any) -> Any:
    """The form, validated; otherwise `InvalidInput` with its reasons (never a 500 or a 503)."""
    if not form.is_valid():
        raise InvalidInput.from_form(form)
    return form
