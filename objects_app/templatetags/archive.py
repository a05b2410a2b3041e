"""Template helpers for archive restores: the storage classes a filter offers, restore words."""

from __future__ import annotations

from django import template

from objects_app.archive import ARCHIVE_CLASSES
from objects_app.forms import STORAGE_CLASSES

register = template.Library()


@register.simple_tag
def storage_class_choices() -> list[str]:
    return list(STORAGE_CLASSES)


@register.simple_tag
def archived_classes() -> list[str]:
    return [c for c in STORAGE_CLASSES if c in ARCHIVE_CLASSES]
