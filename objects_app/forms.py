from __future__ import annotations

import re

from django import forms
from django.conf import settings

# COS keys are at most 850 bytes; a longer prefix or marker can never match anything.
MAX_KEY_BYTES = 850
STORAGE_CLASSES = [
    "STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ARCHIVE", "DEEP_ARCHIVE",
    "MAZ_STANDARD", "MAZ_STANDARD_IA",
]  # fmt: skip
# x-cos-meta-<name>: header-token characters only; values are printable ASCII (HTTP headers).
META_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")
SHARE_CHOICES = [(60 * 15, "15 minutes"), (3600, "1 hour"), (86400, "1 day"), (7 * 86400, "7 days")]


def _key_like(value: str, name: str) -> str:
    if len(value.encode("utf-8")) > MAX_KEY_BYTES:
        raise forms.ValidationError(f"The {name} is longer than COS's {MAX_KEY_BYTES}-byte limit.")
    if "\x00" in value:
        raise forms.ValidationError(f"The {name} contains a NUL character.")
    return value


def _object_key(value: str, name: str = "key") -> str:
    value = _key_like(value, name)
    if not value or value.startswith("/"):
        raise forms.ValidationError(f"The {name} must not be empty or start with '/'.")
    return value


class ListingForm(forms.Form):
    """The object browser's query string: folder prefix, marker, jump target and page size."""

    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    marker = forms.CharField(required=False, strip=False)
    jump = forms.CharField(required=False, strip=False)
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

    def clean_jump(self) -> str:
        return _key_like(self.cleaned_data["jump"], "jump target")


class PrefixForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], "prefix")


class ObjectForm(forms.Form):
    """One object, named in the query string or the POST body (never in the URL path)."""

    key = forms.CharField(strip=False)
    version_id = forms.CharField(required=False, max_length=128)

    def clean_key(self) -> str:
        return _object_key(self.cleaned_data["key"])


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
        return _key_like(self.cleaned_data["prefix"], "prefix")

    def clean_relpath(self) -> str:
        parts = self.cleaned_data["relpath"].replace("\\", "/").split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise forms.ValidationError("The file path has an empty, '.' or '..' segment.")
        return "/".join(parts)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if "prefix" in data and "relpath" in data:
            data["key"] = _object_key(str(data["prefix"]) + str(data["relpath"]))
        upload = data.get("file")
        limit = settings.CONSOLE_DIRECT_UPLOAD_MAX_BYTES
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                f"{upload.name} is larger than {limit} bytes; use the large-upload job."
            )
        return data


class FolderForm(forms.Form):
    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    name = forms.CharField(max_length=255)

    def clean_prefix(self) -> str:
        return _key_like(self.cleaned_data["prefix"], "prefix")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip("/")
        if not name or "/" in name or name in (".", ".."):
            raise forms.ValidationError("A folder name is one non-empty segment without '/'.")
        return name


class BulkDeleteForm(forms.Form):
    """Django admin's action shape: checked keys, then a confirmed second POST."""

    prefix = forms.CharField(required=False, strip=False)  # type: ignore[assignment]
    selected = forms.MultipleChoiceField(required=False)
    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Any submitted key is a valid choice; each is then checked like a key.
        self.fields["selected"].choices = [(k, k) for k in self.data.getlist("selected")]  # type: ignore[attr-defined]

    def clean_selected(self) -> list[str]:
        keys = [_object_key(k) for k in self.cleaned_data["selected"]]
        if not keys:
            raise forms.ValidationError("Select at least one object.")
        if len(keys) > max(settings.CONSOLE_PAGE_SIZES):
            raise forms.ValidationError("Select at most one page of objects.")
        return list(dict.fromkeys(keys))


class CopyForm(ObjectForm):
    ACTIONS = [("copy", "Copy"), ("move", "Move"), ("rename", "Rename")]
    action = forms.ChoiceField(choices=ACTIONS)
    dest_bucket = forms.SlugField(required=False, max_length=63)
    dest_key = forms.CharField(strip=False)
    overwrite = forms.BooleanField(required=False)

    def clean_dest_key(self) -> str:
        return _object_key(self.cleaned_data["dest_key"], "destination")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        key, dest = str(data.get("key", "")), str(data.get("dest_key", ""))
        if data.get("action") == "rename" and key and dest:
            # A rename keeps the folder: the new name is one segment.
            if "/" in dest:
                raise forms.ValidationError("A new name must not contain '/'.")
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
        for field in self.HEADER_FIELDS:
            if not PRINTABLE_ASCII.match(str(data.get(field, ""))):
                self.add_error(field, "Only printable ASCII is allowed in HTTP headers.")
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
                    f"Bad metadata line {line!r}: use 'name: value', ASCII only."
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
    days = forms.IntegerField(min_value=1, max_value=365, initial=1)
    tier = forms.ChoiceField(choices=[(t, t) for t in ("Expedited", "Standard", "Bulk")])


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150)
    action = forms.CharField(required=False, max_length=64)
    bucket = forms.CharField(required=False, max_length=64)
    outcome = forms.ChoiceField(
        required=False, choices=[("", "any"), ("ok", "OK"), ("error", "Error")]
    )
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(required=False, min_value=1)
