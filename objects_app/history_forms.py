"""Forms of the version-history jobs (issue 12): rewind a folder, delete noncurrent versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.forms import PrefixForm

MOMENT_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


class RewindForm(PrefixForm):
    at = forms.CharField(max_length=40, error_messages={
        "required": gettext_lazy("Give the moment to rewind to."),
    })  # fmt: skip

    def clean_at(self) -> datetime:
        text = self.cleaned_data["at"].strip()
        for fmt in MOMENT_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        raise forms.ValidationError(
            _("“%(text)s” is not a moment: give a date and time as YYYY-MM-DD HH:MM:SS (UTC).")
            % {"text": text[:40]}
        )


def _count(minimum_message: Any) -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=0, error_messages={
        "invalid": gettext_lazy("Give a whole number."), "min_value": minimum_message,
    })  # fmt: skip


class NoncurrentForm(PrefixForm):
    keep = _count(gettext_lazy("The number of versions to keep cannot be negative."))
    days = _count(gettext_lazy("The number of days cannot be negative."))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not self.errors and data.get("keep") is None and data.get("days") is None:
            raise forms.ValidationError(
                _("Give a number of versions to keep, a number of days, or both.")
            )
        return data
