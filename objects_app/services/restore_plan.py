"""A restore campaign's plan: what it would do with each key it is given, and why.

Pure logic, no COS and no database: the campaign's dry run hands it the keys (a selection, a
folder listing or an uploaded CSV) and each key's HEAD answer, and stores the verdicts. Nothing is
ever requested for a line whose verdict is not one of `ACTIONABLE`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from objects_app import keys
from objects_app.archive import ARCHIVE_CLASSES
from objects_app.cos import CosClientError, CosServiceError
from objects_app.cos.errors import is_retryable
from objects_app.errors import ObjectsError
from objects_app.selectors.objects import detail_from_headers

HEADER_NAMES = frozenset({"key", "Key", "KEY"})  # a first line naming the column (our exports)


class Verdict(StrEnum):
    REQUEST = "request"  # archived, no readable copy: a restore will be requested
    IN_PROGRESS = "in_progress"  # COS is restoring it already: followed, not requested again
    RESTORED = "restored"  # a readable copy exists: followed (ready), not requested
    NOT_ARCHIVED = "not_archived"  # readable as it is: nothing to restore
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"  # the same key on an earlier line
    INVALID = "invalid"  # not a key COS could hold
    IGNORED = "ignored"  # a blank line, or the column title
    UNCHECKED = "unchecked"  # COS would not say (access refused, or it failed)


# The verdicts a campaign follows; every other line is reported and left alone.
ACTIONABLE = frozenset({Verdict.REQUEST, Verdict.IN_PROGRESS, Verdict.RESTORED})


@dataclass
class Line:
    """One key given to a campaign: its line in the CSV (or place in the selection)."""

    number: int
    key: str
    verdict: str = ""  # decided before any HEAD for duplicates, invalid keys, ignored lines
    detail: str = ""  # data for the verdict's words (the earlier line of a duplicate)


@dataclass(frozen=True)
class Judged:
    """A HEAD's answer about one key, as the plan needs it."""

    verdict: str
    storage_class: str = ""
    size: int = 0
    expiry: datetime | None = None
    detail: str = ""  # the class of a non-archived object, the error code of an unchecked one


# --- reading what the user gave --------------------------------------------------------------


def read_csv(upload: IO[bytes], *, size: int, max_bytes: int, max_lines: int) -> list[Line]:
    """The lines of an uploaded CSV (key in the first column), or a refusal that says why.

    Refused whole, before anything is looked up: above `max_bytes`, with more than `max_lines`
    lines, or not UTF-8 text. Everything else is read, and each line judged on its own.
    """
    check_csv_size(size, max_bytes)
    data = upload.read(max_bytes + 1)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if lines > max_lines:
        raise ObjectsError(
            ngettext(
                "The file has %(lines)s line; a campaign takes at most %(limit)s. Split it.",
                "The file has %(lines)s lines; a campaign takes at most %(limit)s. Split it.",
                lines,
            )
            % {"lines": f"{lines:,}", "limit": f"{max_lines:,}"},
            status=413,
            fields={"csv_file": [_("At most %(limit)s lines.") % {"limit": f"{max_lines:,}"}]},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ObjectsError(
            _("The file is not UTF-8 text (byte %(at)s). Save it as UTF-8 CSV.")
            % {"at": f"{exc.start:,}"},
            fields={"csv_file": [_("Not UTF-8 text.")]},
        ) from None
    if not text.strip():
        raise ObjectsError(
            _("The file has no keys."), fields={"csv_file": [_("The file has no keys.")]}
        )
    return prejudge(_csv_lines(text))


def check_csv_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ObjectsError(
            _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            status=413,
            fields={"csv_file": [_("At most %(limit)s.") % {"limit": filesizeformat(max_bytes)}]},
        )


def _csv_lines(text: str) -> Iterable[Line]:
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    previous_end = 0
    for row in reader:
        number = previous_end + 1  # where the record starts (a quoted key may span lines)
        previous_end = reader.line_num
        key = row[0] if row else ""
        if first and key in HEADER_NAMES:
            yield Line(number, key, Verdict.IGNORED, "header")
        elif not any(cell.strip() for cell in row):
            yield Line(number, key, Verdict.IGNORED, "blank")
        else:
            yield Line(number, key)
        first = False


def lines_from_keys(selected: Iterable[str]) -> list[Line]:
    """Keys chosen in the browser, numbered in order, judged like CSV lines."""
    return prejudge(Line(n, key) for n, key in enumerate(selected, start=1))


def prejudge(lines: Iterable[Line]) -> list[Line]:
    """Verdicts that need no COS: keys COS could not hold, and repeats of an earlier line."""
    seen: dict[str, int] = {}
    out: list[Line] = []
    for line in lines:
        if not line.verdict:
            try:
                keys.check_key(line.key)
            except keys.NameRuleError:
                line.verdict = Verdict.INVALID
        if not line.verdict:
            if line.key in seen:
                line.verdict, line.detail = Verdict.DUPLICATE, str(seen[line.key])
            else:
                seen[line.key] = line.number
        out.append(line)
    return out


# --- judging each key by its HEAD -----------------------------------------------------------


def judge_head(bucket: str, key: str, headers: Mapping[str, str]) -> Judged:
    """The verdict for a key COS answered about."""
    detail = detail_from_headers(bucket, key, headers)
    cls, size = detail.storage_class, detail.size
    if cls not in ARCHIVE_CLASSES:
        return Judged(Verdict.NOT_ARCHIVED, cls, size, detail=cls)
    if detail.restore_ongoing:
        return Judged(Verdict.IN_PROGRESS, cls, size)
    if detail.is_restored:
        return Judged(Verdict.RESTORED, cls, size, expiry=detail.restore_expiry)
    return Judged(Verdict.REQUEST, cls, size)


def judge_error(exc: CosServiceError | CosClientError) -> Judged:
    """The verdict for a key COS would not answer about (a 404 is "not found", not a failure)."""
    if isinstance(exc, CosServiceError) and exc.get_status_code() == 404:
        return Judged(Verdict.NOT_FOUND)
    code = exc.get_error_code() if isinstance(exc, CosServiceError) else "ConnectionError"
    if code in ("", "Unknown") and isinstance(exc, CosServiceError):
        code = str(exc.get_status_code())
    return Judged(Verdict.UNCHECKED, detail=code)


def head_and_judge(client: Any, bucket: str, key: str) -> Judged:
    """HEAD the key and judge the answer. A transient failure (COS's 5xx, SlowDown, a reset
    connection) is raised, not judged: the dry run is retried rather than the line given up."""
    try:
        return judge_head(bucket, key, client.head_object(Bucket=bucket, Key=key))
    except (CosServiceError, CosClientError) as exc:
        if is_retryable(exc):
            raise
        return judge_error(exc)


# --- words --------------------------------------------------------------------------------------


def verdict_words(verdict: str, detail: str = "", key: str = "") -> str:
    """What the plan says about a line, in the reader's language (computed when shown)."""
    if verdict == Verdict.REQUEST:
        return _("Archived: a restore will be requested.")
    if verdict == Verdict.IN_PROGRESS:
        return _("Already being restored: followed until readable, not requested again.")
    if verdict == Verdict.RESTORED:
        return _("Already readable: not requested again.")
    if verdict == Verdict.NOT_ARCHIVED:
        return _("Not archived (%(cls)s): readable as it is, nothing to restore.") % {"cls": detail}
    if verdict == Verdict.NOT_FOUND:
        return _("No such object in this bucket.")
    if verdict == Verdict.DUPLICATE:
        return _("Same key as line %(line)s: restored once.") % {"line": detail}
    if verdict == Verdict.INVALID:
        return _invalid_words(key)
    if verdict == Verdict.IGNORED:
        return _("Column title: skipped.") if detail == "header" else _("Blank line: skipped.")
    if verdict == Verdict.UNCHECKED:
        return _("COS would not say (%(code)s): nothing requested.") % {"code": detail}
    return verdict


def _invalid_words(key: str) -> str:
    try:
        keys.check_key(key)
    except keys.NameRuleError as exc:
        return _("Not a valid key: %(reason)s") % {"reason": str(exc)}
    return _("Not a valid key.")
