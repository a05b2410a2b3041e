"""Two versions of one key side by side: their metadata, and a line diff when both are text."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.selectors.objects import ObjectDetail, detail_from_headers, object_download
from objects_app.selectors.versions import head_version

# Only text objects below this size get a line diff: both bodies are read whole into memory.
DIFF_MAX_BYTES = 1024 * 1024
# A diff longer than this is cut (the page stays usable); the metadata above says the rest.
DIFF_MAX_LINES = 5000
FIELDS = (
    ("version_id", gettext_lazy("Version id")),
    ("size", gettext_lazy("Size (bytes)")),
    ("last_modified", gettext_lazy("Last modified (UTC)")),
    ("etag", "ETag"),
    ("crc64", "CRC64"),
    ("storage_class", gettext_lazy("Storage class")),
)


@dataclass(frozen=True)
class MetaRow:
    label: str
    a: str
    b: str
    is_name: bool = False  # the label is a header or metadata name (data, not translated)

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "hunk", "ctx" (CSS classes of the diff's lines)
    text: str


@dataclass
class Comparison:
    bucket: str
    key: str
    a: ObjectDetail
    b: ObjectDetail
    meta: list[MetaRow] = field(default_factory=list)
    diff: list[DiffLine] = field(default_factory=list)
    diff_cut: bool = False
    no_diff_reason: str = ""  # why there is no line diff ("" when there is one)
    same_content: bool = False


def _value(detail: ObjectDetail, name: str) -> str:
    if name == "last_modified":
        return detail.last_modified.strftime("%Y-%m-%d %H:%M:%S") if detail.last_modified else ""
    return str(getattr(detail, name) or "")


def _meta_rows(a: ObjectDetail, b: ObjectDetail) -> list[MetaRow]:
    rows = [MetaRow(str(label), _value(a, n), _value(b, n)) for n, label in FIELDS]
    for name in sorted(set(a.content_headers) | set(b.content_headers)):
        rows.append(
            MetaRow(name, a.content_headers.get(name, ""), b.content_headers.get(name, ""), True)
        )
    for name in sorted(set(a.metadata) | set(b.metadata)):
        rows.append(MetaRow(name, a.metadata.get(name, ""), b.metadata.get(name, ""), True))
    return rows


def _why_no_diff(a: ObjectDetail, b: ObjectDetail) -> str:
    if a.preview != "text" or b.preview != "text":
        return _("No line diff: only text objects are compared line by line.")
    if max(a.size, b.size) >= DIFF_MAX_BYTES:
        return _("No line diff: both versions must be smaller than 1 MiB.")
    return ""


def _text(bucket: str, key: str, version_id: str) -> str:
    download = object_download(bucket=bucket, key=key, version_id=version_id)
    try:
        data = download.body.read(DIFF_MAX_BYTES + 1)
    finally:
        download.close()
    return data.decode("utf-8", errors="replace")


def _kind(line: str) -> str:
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "ctx")


def _line_diff(comparison: Comparison) -> None:
    bucket, key = comparison.bucket, comparison.key
    old = _text(bucket, key, comparison.a.version_id).splitlines()
    new = _text(bucket, key, comparison.b.version_id).splitlines()
    if old == new:
        comparison.same_content = True
        return
    lines = difflib.unified_diff(old, new, lineterm="", n=3)
    for n, line in enumerate(lines):
        if n < 2:
            continue  # the ---/+++ header: the table above names both versions
        if len(comparison.diff) >= DIFF_MAX_LINES:
            comparison.diff_cut = True
            break
        comparison.diff.append(DiffLine(_kind(line), line))


def _detail(bucket: str, key: str, version_id: str) -> ObjectDetail:
    headers = head_version(bucket=bucket, key=key, version_id=version_id)
    # COS sends no x-cos-version-id for the "null" version: keep the id that was asked for.
    return replace(detail_from_headers(bucket, key, headers), version_id=version_id)


def version_compare(*, bucket: str, key: str, a: str, b: str) -> Comparison:
    """Metadata of versions `a` and `b` side by side, plus a line diff for small text objects."""
    detail_a, detail_b = _detail(bucket, key, a), _detail(bucket, key, b)
    comparison = Comparison(bucket, key, detail_a, detail_b, meta=_meta_rows(detail_a, detail_b))
    comparison.no_diff_reason = _why_no_diff(detail_a, detail_b)
    if not comparison.no_diff_reason:
        _line_diff(comparison)
    return comparison
