"""The job kinds this process knows: each kind module registers itself when imported.

The built-in kinds are imported when the app is ready (apps.py), plus any module named in
CONSOLE_JOB_KINDS_EXTRA (a kind that lives outside objects_app, such as the tests' probe kind).
The engine finds a job's kind here by name, so it never imports a kind module itself.
"""

from __future__ import annotations

from importlib import import_module
from typing import TypeVar

from django.conf import settings

from objects_app.jobs.kind import Kind

BUILT_IN = (
    "objects_app.jobs.kinds.summary",
    "objects_app.jobs.kinds.delete",
    "objects_app.jobs.kinds.upload",
    "objects_app.jobs.kinds.abort_uploads",
    "objects_app.jobs.kinds.exposure_audit",
    "objects_app.jobs.kinds.make_private",
    "objects_app.jobs.kinds.rewind",
    "objects_app.jobs.kinds.noncurrent",
)

_kinds: dict[str, Kind] = {}
K = TypeVar("K", bound=type[Kind])


def register(cls: K) -> K:
    """Class decorator: make the kind known by its `name`."""
    existing = _kinds.get(cls.name)
    if existing is not None and type(existing) is not cls:
        raise RuntimeError(f"two job kinds are named {cls.name!r}")
    _kinds[cls.name] = cls()
    return cls


def load() -> None:
    for module in (*BUILT_IN, *settings.CONSOLE_JOB_KINDS_EXTRA):
        import_module(module)


def get(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no job kind named {name!r}") from None


def all_kinds() -> list[Kind]:
    return sorted(_kinds.values(), key=lambda kind: str(kind.label))
