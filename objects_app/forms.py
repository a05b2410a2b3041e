from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app import archive, keys

STORAGE_CLASSES = [
    "STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ARCHIVE", "DEEP_ARCHIVE",
    "MAZ_STANDARD", "MAZ_STANDARD_IA",
]  # fmt: skip
# x-cos-meta-<name>: header-token characters only; values are printable ASCII (HTTP headers).
META_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")
SHARE_CHOICES = [
    (60 * 15, gettext_lazy("15 minutes")),
    (3600, gettext_lazy("1 hour")),
    (86400, gettext_lazy("1 day")),
    (7 * 86400, gettext_lazy("7 days")),
]


def _rule(check: Callable[[str, str | None], str], value: str, what: str | None = None) -> str:
    """Apply one of COS's naming rules (objects_app.keys) as a form validation."""
    try:
        return check(value, what)
    except keys.NameRuleError as exc:
        raise forms.ValidationError(str(exc)) from None


def _key_like(value: str, what: str | None = None) -> str:
    return _rule(keys.check_prefix, value, what)


def _object_key(value: str, what: str | None = None) -> str:
    return _rule(keys.check_key, value, what)


def _new_key(value: str, what: str | None = None) -> str:
    return _rule(keys.check_new_key, value, what)


def version_id_field(value: str) -> str:
    """An optional version id ("" = none). Malformed ones are a bad address (400), not a 422."""
    if not value:
        return value
    try:
        return keys.check_version_id(value)
    except keys.NameRuleError as exc:
        raise forms.ValidationError(str(exc), code="bad_version_id") from None


class ListingForm(forms.Form):
    """The object browser's query string: folder, filter, marker, jump target and page size.

    `prefix` is the folder (empty or ending in "/"). A prefix that does not end in "/" (an old
    link, a hand-typed URL) is split: its folder part is the folder, the rest becomes the filter.
    """

    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    q = forms.CharField(required=False, strip=False)
    marker = forms.CharField(required=False, strip=False)
    jump = forms.CharField(required=False, strip=False)
    shown = forms.IntegerField(required=False, min_value=0, max_value=10**9)
    page_size = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(n, n) for n in settings.CONSOLE_PAGE_SIZES],
        empty_value=settings.CONSOLE_DEFAULT_PAGE_SIZE,  # type: ignore[arg-type]
    )
    # Storage-class filter (issue 14): repeated `storage_class=` values; `scanned` carries the
    # entries the pages above already scanned, as `shown` carries their rows.
    storage_class = forms.MultipleChoiceField(
        required=False, choices=[(c, c) for c in STORAGE_CLASSES]
    )
    scanned = forms.IntegerField(required=False, min_value=0, max_value=10**12)

    # Listing options (issue 12): every version and delete marker, or deleted keys too.
    versions = forms.BooleanField(required=False)
    deleted = forms.BooleanField(required=False)
    # With `versions`: the version-id marker that goes with `marker` (the key marker).
    version_marker = forms.CharField(required=False, max_length=128)

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], _("folder"))

    def clean_q(self) -> str:
        return _key_like(self.cleaned_data["q"], _("filter"))

    def clean_marker(self) -> str:
        return _key_like(self.cleaned_data["marker"], _("marker"))

    def clean_version_marker(self) -> str:
        return version_id_field(self.cleaned_data["version_marker"])

    def clean_jump(self) -> str:
        return _key_like(self.cleaned_data["jump"], _("jump target"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        prefix = str(data.get("prefix") or "")
        if prefix and not prefix.endswith("/"):
            folder = prefix[: prefix.rfind("/") + 1]
            data["prefix"], data["q"] = folder, prefix[len(folder) :] + str(data.get("q") or "")
        data["shown"] = data.get("shown") or 0
        data["scanned"] = data.get("scanned") or 0
        # In the classes' canonical order, so equal filters make equal links.
        chosen = set(data.pop("storage_class", None) or ())
        data["storage_classes"] = tuple(c for c in STORAGE_CLASSES if c in chosen)
        if chosen and (data.get("versions") or data.get("deleted")):
            # The filter scans the plain listing only: refused rather than silently not applied.
            self.add_error(
                None,
                _(
                    "The storage-class filter works on the plain listing only. Turn off "
                    "“Show versions” and “Show deleted” to filter by storage class."
                ),
            )
        return data


class PrefixForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"])


class ObjectForm(forms.Form):
    """One object, named in the query string or the POST body (never in the URL path)."""

    key = forms.CharField(strip=False)
    version_id = forms.CharField(required=False, max_length=128)

    def clean_key(self) -> str:
        return _object_key(self.cleaned_data["key"])

    def clean_version_id(self) -> str:
        return version_id_field(self.cleaned_data["version_id"])


class ShareForm(ObjectForm):
    expires = forms.TypedChoiceField(coerce=int, choices=SHARE_CHOICES)

    def clean_expires(self) -> int:
        # The cap is applied here, so a hand-edited POST cannot ask for more.
        return min(int(self.cleaned_data["expires"]), settings.CONSOLE_MAX_SHARE_SECONDS)


class DeleteForm(ObjectForm):
    confirmed = forms.BooleanField(required=False)


class UploadForm(forms.Form):
    """One file per request (so the browser can show progress per file)."""

    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    relpath = forms.CharField(strip=False)
    file = forms.FileField(allow_empty_file=True)

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], _("folder"))

    def clean_relpath(self) -> str:
        parts = self.cleaned_data["relpath"].replace("\\", "/").split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise forms.ValidationError(_("The file path has an empty, “.” or “..” segment."))
        return "/".join(parts)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if "prefix" in data and "relpath" in data:
            try:
                data["key"] = _new_key(str(data["prefix"]) + str(data["relpath"]))
            except forms.ValidationError as exc:
                self.add_error("relpath", exc)
        upload = data.get("file")
        limit = settings.CONSOLE_DIRECT_UPLOAD_MAX_BYTES
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                _("%(name)s is larger than %(limit)s bytes; use the large-upload job.")
                % {"name": upload.name, "limit": limit}
            )
        return data


class FolderForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    name = forms.CharField(max_length=255, strip=False)

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], _("folder"))

    def clean_name(self) -> str:
        return _rule(keys.check_name_segment, self.cleaned_data["name"], _("folder name"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if "prefix" in data and "name" in data:
            try:
                _new_key(str(data["prefix"]) + str(data["name"]) + "/", _("folder"))
            except forms.ValidationError as exc:
                self.add_error("name", exc)
        return data


class SelectionForm(forms.Form):
    """Django admin's action shape: checked keys and folders, or "everything that matches"."""

    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    q = forms.CharField(required=False, strip=False)
    select_across = forms.BooleanField(required=False)
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.keys = [k for k in self.data.getlist("selected")]  # type: ignore[attr-defined]
        self.folders = [k for k in self.data.getlist("selected_folders")]  # type: ignore[attr-defined]

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], _("folder"))

    def clean_q(self) -> str:
        return _key_like(self.cleaned_data["q"], _("filter"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("select_across"):
            data["selected"], data["selected_folders"] = [], []
            return data
        data["selected"] = list(dict.fromkeys(_object_key(k) for k in self.keys))
        folders = [_object_key(f, _("folder")) for f in self.folders]
        if any(not f.endswith("/") for f in folders):
            raise forms.ValidationError(_("A selected folder name must end with “/”."))
        data["selected_folders"] = list(dict.fromkeys(folders))
        if not data["selected"] and not data["selected_folders"]:
            raise forms.ValidationError(_("Select at least one object or folder."))
        return data


class CopyForm(ObjectForm):
    ACTIONS = [
        ("copy", gettext_lazy("Copy")),
        ("move", gettext_lazy("Move")),
        ("rename", gettext_lazy("Rename")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    dest_bucket = forms.CharField(required=False, max_length=63)
    dest_key = forms.CharField(strip=False)
    overwrite = forms.BooleanField(required=False)

    def clean_dest_bucket(self) -> str:
        value = self.cleaned_data["dest_bucket"]
        return _rule(lambda v, _w: keys.check_bucket(v), value) if value else value

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        key, dest = str(data.get("key", "")), str(data.get("dest_key", ""))
        check = keys.check_name_segment if data.get("action") == "rename" else keys.check_new_key
        try:
            _rule(
                check, dest, _("new name") if check is keys.check_name_segment else _("destination")
            )
        except forms.ValidationError as exc:
            self.add_error("dest_key", exc)
            return data
        if data.get("action") == "rename" and key:
            # A rename keeps the folder: the new name is one segment.
            data["dest_key"] = key[: key.rfind("/") + 1] + dest
            data["dest_bucket"] = ""
        return data


class MetadataForm(ObjectForm):
    content_type = forms.CharField(required=False, max_length=255)
    cache_control = forms.CharField(required=False, max_length=255)
    content_disposition = forms.CharField(required=False, max_length=1024)
    content_encoding = forms.CharField(required=False, max_length=255)
    content_language = forms.CharField(required=False, max_length=255)
    expires = forms.CharField(required=False, max_length=255)
    metadata = forms.CharField(required=False, widget=forms.Textarea, strip=False)

    HEADER_FIELDS = {
        "content_type": "ContentType",
        "cache_control": "CacheControl",
        "content_disposition": "ContentDisposition",
        "content_encoding": "ContentEncoding",
        "content_language": "ContentLanguage",
        "expires": "Expires",
    }

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("version_id"):
            raise forms.ValidationError(
                _("This is an old version: its metadata cannot be edited. Make it current first.")
            )
        for field in self.HEADER_FIELDS:
            if not PRINTABLE_ASCII.match(str(data.get(field, ""))):
                self.add_error(field, _("Only printable ASCII is allowed in HTTP headers."))
        return data

    def clean_metadata(self) -> dict[str, str]:
        """One `name: value` per line -> {"x-cos-meta-name": value}."""
        meta: dict[str, str] = {}
        for line in self.cleaned_data["metadata"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            name = name.removeprefix("x-cos-meta-")
            if not sep or not META_NAME.match(name) or not PRINTABLE_ASCII.match(value):
                raise forms.ValidationError(
                    _("Bad metadata line %(line)s: use “name: value”, ASCII only.")
                    % {"line": repr(line)}
                )
            meta[f"x-cos-meta-{name}"] = value
        return meta

    def headers(self) -> dict[str, str]:
        return {
            sdk: self.cleaned_data[field]
            for field, sdk in self.HEADER_FIELDS.items()
            if self.cleaned_data.get(field)
        }


class StorageClassForm(ObjectForm):
    storage_class = forms.ChoiceField(choices=[(c, c) for c in STORAGE_CLASSES])


class RestoreForm(ObjectForm):
    days = forms.IntegerField(min_value=archive.MIN_DAYS, max_value=archive.MAX_DAYS, initial=1)
    tier = forms.ChoiceField(choices=[(t, t) for t in ("Expedited", "Standard", "Bulk")])


# Dates the audit log can hold; a date outside this range is a typo, not a query.
AUDIT_DATE_MIN, AUDIT_DATE_MAX = date(2000, 1, 1), date(9000, 12, 31)


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150)
    action = forms.CharField(required=False, max_length=64)
    bucket = forms.CharField(required=False, max_length=64)
    outcome = forms.ChoiceField(
        required=False,
        choices=[
            ("", gettext_lazy("any")),
            ("ok", gettext_lazy("OK")),
            ("error", gettext_lazy("Error")),
        ],
    )
    date_from = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(AUDIT_DATE_MIN), MaxValueValidator(AUDIT_DATE_MAX)],
    )
    date_to = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(AUDIT_DATE_MIN), MaxValueValidator(AUDIT_DATE_MAX)],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)
