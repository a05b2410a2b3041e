"""Forms of the version-history screens (issue 12): every version id goes through one rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.forms import ObjectForm, _object_key, version_id_field

VERSIONING_CHOICES = [
    ("Enabled", gettext_lazy("Enable")),
    ("Suspended", gettext_lazy("Suspend")),
]


class VersionsForm(ObjectForm):
    """One key's versions, from the start or after `version_marker` (with `shown` above it)."""

    version_marker = forms.CharField(required=False, max_length=128)
    shown = forms.IntegerField(required=False, min_value=0, max_value=10**9)

    def clean_version_marker(self) -> str:
        return version_id_field(self.cleaned_data["version_marker"])

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        data["shown"] = data.get("shown") or 0
        return data


class VersionForm(ObjectForm):
    """One named version of one key: the version id is required."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["version_id"].required = True


class VersionDeleteForm(VersionForm):
    confirmed = forms.BooleanField(required=False)


class CompareForm(forms.Form):
    key = forms.CharField(strip=False)
    a = forms.CharField(max_length=128)
    b = forms.CharField(max_length=128)

    def clean_key(self) -> str:
        return _object_key(self.cleaned_data["key"])

    def clean_a(self) -> str:
        return version_id_field(self.cleaned_data["a"])

    def clean_b(self) -> str:
        return version_id_field(self.cleaned_data["b"])

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("a") and data.get("a") == data.get("b"):
            raise forms.ValidationError(_("Choose two different versions to compare."))
        return data


class UndeleteForm(forms.Form):
    """Keys to bring back: one row's button or the checked rows of "Show deleted"."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.keys = list(self.data.getlist("selected"))  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.data.get("select_across"):
            raise forms.ValidationError(
                _("Undelete works on the rows you checked, not on everything in the folder.")
            )
        data["keys"] = list(dict.fromkeys(_object_key(k) for k in self.keys))
        if not data["keys"]:
            raise forms.ValidationError(_("Select at least one deleted object to undelete."))
        return data


class BucketVersioningForm(forms.Form):
    status = forms.ChoiceField(choices=VERSIONING_CHOICES)
    confirmed = forms.BooleanField(required=False)
