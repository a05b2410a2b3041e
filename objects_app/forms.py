from __future__ import annotations

from django import forms
from django.conf import settings

# COS keys are at most 850 bytes; a longer prefix or marker can never match anything.
MAX_KEY_BYTES = 850


class ListingForm(forms.Form):
    """The object browser's query string: folder prefix, marker and page size."""

    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    marker = forms.CharField(required=False, strip=False)
    page_size = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(n, n) for n in settings.CONSOLE_PAGE_SIZES],
        empty_value=settings.CONSOLE_DEFAULT_PAGE_SIZE,  # type: ignore[arg-type]
    )

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], "prefix")

    def clean_marker(self) -> str:
        return _key_like(self.cleaned_data["marker"], "marker")


def _key_like(value: str, name: str) -> str:
    if len(value.encode("utf-8")) > MAX_KEY_BYTES:
        raise forms.ValidationError(f"The {name} is longer than COS's {MAX_KEY_BYTES}-byte limit.")
    if "\x00" in value:
        raise forms.ValidationError(f"The {name} contains a NUL character.")
    return value


class PrefixForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], "prefix")
