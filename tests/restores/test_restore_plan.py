"""The plan's verdict for every kind of line a user can give a restore campaign: read from a CSV
(or a selection), judged against real HEADs from coslocal. Nothing here requests a restore."""

from __future__ import annotations

import io

import pytest

from objects_app.errors import ObjectsError
from objects_app.services.restore_plan import (
    Verdict,
    head_and_judge,
    lines_from_keys,
    read_csv,
    verdict_words,
)
from tests.restores.conftest import HOUR, restore, seed_objects

MB = 1024 * 1024


def read(data: bytes, *, max_bytes: int = 16 * MB, max_lines: int = 100_000):  # type: ignore[no-untyped-def]
    return read_csv(io.BytesIO(data), size=len(data), max_bytes=max_bytes, max_lines=max_lines)


def verdicts(lines) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(line.number, line.key, str(line.verdict)) for line in lines]


# --- reading the file ----------------------------------------------------------------------------


def test_plain_keys_one_per_line():
    lines = read(b"a/1.bin\na/2.bin\n")
    assert verdicts(lines) == [(1, "a/1.bin", ""), (2, "a/2.bin", "")]


def test_duplicates_point_at_the_first_line():
    lines = read(b"a\nb\na\na\n")
    assert verdicts(lines) == [
        (1, "a", ""),
        (2, "b", ""),
        (3, "a", "duplicate"),
        (4, "a", "duplicate"),
    ]
    assert lines[2].detail == "1"
    assert verdict_words(lines[3].verdict, lines[3].detail) == "Same key as line 1: restored once."


def test_invalid_keys_say_why():
    lines = read(b"/leading-slash\n" + ("x" * 851).encode() + b"\nok\n")
    assert [str(line.verdict) for line in lines] == ["invalid", "invalid", ""]
    assert verdict_words("invalid", key="/leading-slash") == (
        "Not a valid key: The key must not start with / or \\."
    )
    assert "850 bytes" in verdict_words("invalid", key="x" * 851)


def test_blank_lines_and_a_column_title_are_skipped_with_a_verdict():
    lines = read(b"key,state\nphotos/a.jpg,ready\n\n   \nphotos/b.jpg\n")
    assert verdicts(lines) == [
        (1, "key", "ignored"), (2, "photos/a.jpg", ""), (3, "", "ignored"),
        (4, "   ", "ignored"), (5, "photos/b.jpg", ""),
    ]  # fmt: skip
    assert verdict_words("ignored", "header") == "Column title: skipped."
    assert verdict_words("ignored", "blank") == "Blank line: skipped."


def test_quoted_keys_with_commas_quotes_and_line_breaks_keep_their_line_numbers():
    lines = read(b'"a,b.txt"\n"say ""hi"".txt"\n"two\nlines"\nlast\n')
    assert verdicts(lines) == [
        (1, "a,b.txt", ""), (2, 'say "hi".txt', ""), (3, "two\nlines", ""), (5, "last", ""),
    ]  # fmt: skip


def test_utf8_with_a_byte_order_mark_and_crlf():
    lines = read("\ufeff照片/一.jpg\r\n照片/二.jpg\r\n".encode())
    assert verdicts(lines) == [(1, "照片/一.jpg", ""), (2, "照片/二.jpg", "")]


def test_a_file_above_the_size_limit_is_refused_before_reading():
    with pytest.raises(ObjectsError) as caught:
        read(b"a\n" * 600_000, max_bytes=1 * MB)
    assert caught.value.status == 413
    assert caught.value.message == (
        "The file is 1.1\xa0MB; the limit is 1.0\xa0MB. Split it into smaller files."
    )


def test_a_million_lines_are_refused_with_the_count():
    data = b"k\n" * 1_000_000  # 2 MB: under the size limit, over the line limit
    with pytest.raises(ObjectsError) as caught:
        read(data)
    assert caught.value.message == (
        "The file has 1,000,000 lines; a campaign takes at most 100,000. Split it."
    )
    assert caught.value.fields == {"csv_file": ["At most 100,000 lines."]}


def test_not_utf8_is_refused():
    with pytest.raises(ObjectsError) as caught:
        read("名字.txt\n".encode("gbk"))
    assert caught.value.message.startswith("The file is not UTF-8 text (byte 0)")


def test_an_empty_file_is_refused():
    with pytest.raises(ObjectsError, match="The file has no keys."):
        read(b"\n\n")


def test_a_selection_is_judged_like_a_file():
    lines = lines_from_keys(["a", "b", "a"])
    assert verdicts(lines) == [(1, "a", ""), (2, "b", ""), (3, "a", "duplicate")]


# --- judging each key by its HEAD ------------------------------------------------------------


@pytest.fixture
def judged_bucket(restore_cos, archive_client, archive_bucket) -> str:  # type: ignore[no-untyped-def]
    seed_objects(
        restore_cos, archive_bucket,
        [("cold", "ARCHIVE", 10), ("colder", "DEEP_ARCHIVE", 20), ("warm", "STANDARD_IA", 30),
         ("busy", "DEEP_ARCHIVE", 40), ("ready", "ARCHIVE", 50)],
    )  # fmt: skip
    restore(archive_client, archive_bucket, "ready", tier="Expedited", days=3)
    restore_cos.advance_clock(HOUR)
    restore(archive_client, archive_bucket, "busy", tier="Standard")
    return archive_bucket


def test_each_head_answer_has_its_verdict(archive_client, judged_bucket):
    def judge(key: str):  # type: ignore[no-untyped-def]
        return head_and_judge(archive_client, judged_bucket, key)

    assert (judge("cold").verdict, judge("cold").storage_class, judge("cold").size) == (
        Verdict.REQUEST, "ARCHIVE", 10,
    )  # fmt: skip
    assert judge("colder").verdict == Verdict.REQUEST
    assert (judge("warm").verdict, judge("warm").detail) == (Verdict.NOT_ARCHIVED, "STANDARD_IA")
    assert judge("busy").verdict == Verdict.IN_PROGRESS
    ready = judge("ready")
    assert ready.verdict == Verdict.RESTORED and ready.expiry is not None
    assert judge("nope").verdict == Verdict.NOT_FOUND
    assert verdict_words("not_archived", "STANDARD_IA") == (
        "Not archived (STANDARD_IA): readable as it is, nothing to restore."
    )


def test_a_head_cos_refuses_is_unchecked_not_a_failure(archive_client, judged_bucket, restore_cos):
    restore_cos.set_faults(mode="error", status=403, code="AccessDenied", method="HEAD", count=1)
    try:
        judged = head_and_judge(archive_client, judged_bucket, "cold")
    finally:
        restore_cos.clear_faults()
    assert (judged.verdict, judged.detail) == (Verdict.UNCHECKED, "AccessDenied")
    assert (
        verdict_words(judged.verdict, judged.detail)
        == "COS would not say (AccessDenied): nothing requested."
    )
