"""The version jobs' planners (issue 12): rewind decisions and noncurrent selection, fed the
way a listing feeds them (newest first, pages ending inside a key, carried across pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from objects_app.history import (
    COPY,
    MARKER,
    NOTHING,
    NoncurrentPlanner,
    RewindPlanner,
    cutoff_for,
)
from objects_app.selectors.versions import VersionRow

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def v(key: str, vid: str, minute: int, *, latest: bool = False, dm: bool = False) -> VersionRow:
    return VersionRow(key, vid, latest, dm, 0 if dm else 10, at(minute), "e", "STANDARD")


HISTORY = [
    # a: v1 at 1, v2 at 5, v3 at 9 (current)
    v("a", "a3", 9, latest=True), v("a", "a2", 5), v("a", "a1", 1),
    # b: created at 6 (after T=5): did not exist at T
    v("b", "b1", 6, latest=True),
    # c: v1 at 1, deleted at 3, current is that marker
    v("c", "c-dm", 3, latest=True, dm=True), v("c", "c1", 1),
    # d: v1 at 2, deleted at 4, written again at 7
    v("d", "d2", 7, latest=True), v("d", "d-dm", 4, dm=True), v("d", "d1", 2),
    # e: unchanged since 2
    v("e", "e1", 2, latest=True),
    # f: created at 8 and deleted at 9: nothing to do (it is gone now, as at T)
    v("f", "f-dm", 9, latest=True, dm=True), v("f", "f1", 8),
]  # fmt: skip


def plan(rows: list[VersionRow], when: datetime, page: int) -> list[tuple[str, str, str]]:
    """Feed `rows` in pages of `page`, a fresh planner per page (as after a restart)."""
    steps, carry = [], None
    for start in range(0, len(rows), page):
        planner = RewindPlanner(when, carry)
        steps += planner.feed(rows[start : start + page])
        carry = planner.carry()
    steps += RewindPlanner(when, carry).finish()
    return [(s.key, s.action, s.version_id) for s in steps]


@pytest.mark.parametrize("page", [1, 2, 3, 100])
def test_rewind_decides_each_key_whatever_the_page_size(page: int) -> None:
    assert plan(HISTORY, at(5), page) == [
        ("a", COPY, "a2"),
        ("b", MARKER, ""),
        ("c", NOTHING, ""),
        ("d", MARKER, ""),
        ("e", NOTHING, ""),
        ("f", NOTHING, ""),
    ]


def test_rewind_remembers_what_was_current_when_it_looked() -> None:
    steps = RewindPlanner(at(5)).feed(HISTORY)
    assert (steps[0].seen_id, steps[0].seen_deleted, steps[0].size) == ("a3", False, 10)


def test_rewind_to_now_changes_nothing_and_before_everything_deletes_everything() -> None:
    assert {action for _, action, _ in plan(HISTORY, at(60), 4)} == {NOTHING}
    assert plan(HISTORY, at(0), 4) == [
        ("a", MARKER, ""), ("b", MARKER, ""), ("c", NOTHING, ""), ("d", MARKER, ""),
        ("e", MARKER, ""), ("f", NOTHING, ""),
    ]  # fmt: skip


def test_rewind_of_a_key_written_again_after_a_delete_copies_the_old_version() -> None:
    assert plan(HISTORY, at(3), 2)[3] == ("d", COPY, "d1")


def doomed(keep: int | None, days: int | None, page: int, rows: list[VersionRow]) -> list[str]:
    now = at(60 * 24 * 30)
    out, carry = [], None
    for start in range(0, len(rows), page):
        planner = NoncurrentPlanner(keep, cutoff_for(days, now), carry)
        out += [d.version_id for d in planner.feed(rows[start : start + page])]
        carry = planner.carry()
    return out


DAY = 60 * 24
LONG = [
    v("k", "k5", 20 * DAY, latest=True),
    v("k", "k4", 15 * DAY),  # noncurrent since day 20
    v("k", "k-dm", 10 * DAY, dm=True),  # a noncurrent delete marker: never counted or deleted
    v("k", "k3", 5 * DAY),  # noncurrent since day 10
    v("k", "k2", 2 * DAY),  # since day 5
    v("k", "k1", 1 * DAY),  # since day 2
    v("m", "m-dm", 25 * DAY, latest=True, dm=True),  # deleted key: its latest is a marker
    v("m", "m1", 3 * DAY),  # since day 25
]


@pytest.mark.parametrize("page", [1, 3, 100])
def test_noncurrent_keep_newest(page: int) -> None:
    assert doomed(1, None, page, LONG) == ["k3", "k2", "k1"]
    assert doomed(0, None, page, LONG) == ["k4", "k3", "k2", "k1", "m1"]


@pytest.mark.parametrize("page", [1, 3, 100])
def test_noncurrent_older_than_counts_from_when_it_stopped_being_current(page: int) -> None:
    # "now" is day 30: more than 21 days noncurrent means noncurrent since before day 9.
    assert doomed(None, 21, page, LONG) == ["k2", "k1"]
    assert doomed(None, 15, page, LONG) == ["k3", "k2", "k1"]


def test_noncurrent_with_both_rules_needs_both() -> None:
    assert doomed(2, 15, 2, LONG) == ["k2", "k1"]


def test_noncurrent_never_picks_the_current_version_and_counts_kept_ones() -> None:
    planner = NoncurrentPlanner(1, None)
    picked = planner.feed(LONG)
    assert {d.version_id for d in picked}.isdisjoint({"k5", "m-dm"})
    assert planner.carry()["kept"] == 2  # k4 and m1 (the newest noncurrent of each key)
    assert [d.key_deleted for d in picked] == [False, False, False]
    assert NoncurrentPlanner(0, None).feed(LONG)[-1].key_deleted


def test_noncurrent_needs_a_rule() -> None:
    with pytest.raises(ValueError):
        NoncurrentPlanner(None, None)
