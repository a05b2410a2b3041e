"""Forms of the archive-restore screens (issue 14): the listing's restore column, and the
options of a restore campaign."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app import archive
from objects_app.forms import STORAGE_CLASSES, _key_like, _object_key
from objects_app.restore_models import RestoreState


class RestoreStatesForm(forms.Form):
    """A batch of archived rows of one listing page: parallel `cell` ids and `key`s."""

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.cells = list(data.getlist("cell"))
        self.keys = list(data.getlist("key"))

    def clean(self) -> dict[str, Any]:
        if len(self.cells) != len(self.keys):
            raise forms.ValidationError(_("Each row needs one cell and one key."))
        if len(self.keys) > settings.CONSOLE_RESTORE_STATE_BATCH:
            raise forms.ValidationError(
                _("At most %(n)s rows at once.") % {"n": settings.CONSOLE_RESTORE_STATE_BATCH}
            )
        for cell in self.cells:
            if not cell.startswith("rs-") or not cell[3:].replace("-", "").isdigit():
                raise forms.ValidationError(_("This is not a row of the listing."))
        return {"rows": list(zip(self.cells, [_object_key(k) for k in self.keys], strict=True))}


COPY_CLASSES = ("STANDARD", "STANDARD_IA")


def tier_choices(storage_class: str) -> list[tuple[str, str]]:
    """(tier, "Standard — about 3–5 hours") for the tiers COS accepts for the class."""
    return [(t.name, f"{t.label} — {t.duration}") for t in archive.tiers_for(storage_class)]


class RestoreOptionsForm(forms.Form):
    """How a campaign restores: days, a tier per archived class, the request rate, and an
    optional copy to a readable class once each object is ready. Checked before anything is
    sent: days within COS's limits, only tiers COS accepts for each class."""

    days = forms.IntegerField(
        min_value=archive.MIN_DAYS,
        max_value=archive.MAX_DAYS,
        initial=1,
        label=gettext_lazy("Days readable"),
    )
    tier_archive = forms.CharField(initial=archive.DEFAULT_TIER["ARCHIVE"])
    tier_deep_archive = forms.CharField(initial=archive.DEFAULT_TIER["DEEP_ARCHIVE"])
    # COS serves at most 100 restore requests a second (protocol 3.17): capped by a setting.
    rate = forms.IntegerField(min_value=1)
    copy_to = forms.ChoiceField(required=False, choices=[("", ""), *((c, c) for c in COPY_CLASSES)])
    copy_prefix = forms.CharField(required=False, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rate = self.fields["rate"]
        rate.initial = settings.CONSOLE_RESTORE_RATE
        rate.max_value = settings.CONSOLE_RESTORE_MAX_RATE  # type: ignore[attr-defined]
        rate.validators.append(MaxValueValidator(settings.CONSOLE_RESTORE_MAX_RATE))

    def _tier(self, field: str, storage_class: str) -> str:
        tier = self.cleaned_data[field]
        refusal = archive.tier_refusal(storage_class, tier)
        if refusal:
            raise forms.ValidationError(refusal)
        return str(tier)

    def clean_tier_archive(self) -> str:
        return self._tier("tier_archive", "ARCHIVE")

    def clean_tier_deep_archive(self) -> str:
        return self._tier("tier_deep_archive", "DEEP_ARCHIVE")

    def clean_copy_prefix(self) -> str:
        value = _key_like(self.cleaned_data["copy_prefix"], _("target prefix"))
        if value and not value.endswith("/"):
            raise forms.ValidationError(_("A target prefix ends with “/” (a folder)."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("copy_prefix") and not data.get("copy_to"):
            self.add_error(
                "copy_to", _("Choose the class to copy into, or leave the prefix empty.")
            )
        return data

    @property
    def tiers(self) -> dict[str, str]:
        return {
            "ARCHIVE": self.cleaned_data["tier_archive"],
            "DEEP_ARCHIVE": self.cleaned_data["tier_deep_archive"],
        }


SOURCES = ("selection", "folder", "csv")


class RestoreSourceForm(forms.Form):
    """What a campaign restores: the rows chosen in the browser, everything under the folder
    shown (within its storage-class filter), or a CSV of keys (uploaded with the options)."""

    source = forms.ChoiceField(choices=[(s, s) for s in SOURCES])
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    q = forms.CharField(required=False, strip=False)
    storage_class = forms.MultipleChoiceField(
        required=False, choices=[(c, c) for c in STORAGE_CLASSES]
    )
    select_across = forms.BooleanField(required=False)  # "everything that matches" in the browser

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.keys = list(data.getlist("selected"))
        self.folders = list(data.getlist("selected_folders"))

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], _("folder"))

    def clean_q(self) -> str:
        return _key_like(self.cleaned_data["q"], _("filter"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = set(data.get("storage_class") or ())
        wanted = [c for c in STORAGE_CLASSES if c in archive.ARCHIVE_CLASSES]
        if chosen:
            wanted = [c for c in wanted if c in chosen]
            if not wanted:
                raise forms.ValidationError(
                    _(
                        "The storage-class filter shows no archived class: nothing there needs "
                        "restoring."
                    )
                )
        data["classes"] = wanted
        if data.get("source") == "selection" and data.get("select_across"):
            data["source"] = "folder"  # every archived object that matches, across pages
        if data.get("source") == "selection":
            data.update(self._selection())
        return data

    def _selection(self) -> dict[str, Any]:
        selected = list(dict.fromkeys(_object_key(k) for k in self.keys))
        folders = list(dict.fromkeys(_object_key(f, _("folder")) for f in self.folders))
        if any(not f.endswith("/") for f in folders):
            raise forms.ValidationError(_("A selected folder name must end with “/”."))
        if not selected and not folders:
            raise forms.ValidationError(_("Select at least one object or folder."))
        limit = settings.CONSOLE_RESTORE_CSV_MAX_LINES
        if len(selected) > limit:
            raise forms.ValidationError(
                _("Select at most %(limit)s objects at once, or restore the whole folder.")
                % {"limit": f"{limit:,}"}
            )
        return {"selected": selected, "selected_folders": folders}


class CampaignPageForm(forms.Form):
    """The campaign page's query string: a state to show, and the line after which to start."""

    state = forms.ChoiceField(
        required=False, choices=[("", ""), *((s.value, s.value) for s in RestoreState)]
    )
    after = forms.IntegerField(required=False, min_value=0, max_value=2**31)

    def clean_after(self) -> int:
        return self.cleaned_data["after"] or 0
