"""Domain errors the service layer raises for rule violations the user can fix."""

from __future__ import annotations


class ObjectsError(Exception):
    """A rule violation (bad name, protected prefix, ...) shown to the user as is."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
