"""The listing's restore column: the rows render without waiting for any HEAD; a lazy request
per batch of archived rows fills each cell with its restore state in words."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from tests.restores.conftest import HOUR, restore, seed_objects

HTMX = {"HTTP_HX_REQUEST": "true"}


def cells(body: str) -> dict[str, str]:
    spans = re.findall(
        r'<span id="(rs-[\d-]+)" class="restore-cell [^"]*" hx-swap-oob="true">(.*?)</span>', body
    )
    return dict(spans)


@pytest.fixture
def states_bucket(restore_cos, archive_client, archive_bucket) -> str:  # type: ignore[no-untyped-def]
    seed_objects(
        restore_cos, archive_bucket,
        [("a/archived", "ARCHIVE", 1), ("a/deep-restoring", "DEEP_ARCHIVE", 1),
         ("a/restored", "ARCHIVE", 1), ("a/plain", "STANDARD", 1), ("a/ia", "STANDARD_IA", 1)],
    )  # fmt: skip
    restore(archive_client, archive_bucket, "a/restored", tier="Expedited", days=2)
    restore_cos.advance_clock(HOUR)  # Expedited takes at most 5 minutes: readable now
    restore(archive_client, archive_bucket, "a/deep-restoring", tier="Bulk")  # 24-48 hours
    return archive_bucket


def test_first_paint_sends_no_head_and_marks_archived_rows(
    client, bob, states_bucket, count_requests, settings
):
    settings.CONSOLE_RESTORE_STATE_BATCH = 2
    client.force_login(bob)
    heads = count_requests("HEAD")
    body = client.get(reverse("objects:object-list", args=[states_bucket]), {"prefix": "a/"})
    body = body.content.decode()
    assert heads.stop() == 0
    # Three archived rows get a placeholder cell; the others get none.
    assert re.findall(r'<span id="(rs-0-\d+)" class="restore-cell muted">', body) == [
        "rs-0-1",
        "rs-0-2",
        "rs-0-5",
    ]  # key order: archived, deep-restoring, ia, plain, restored
    loaders = re.findall(r'<form hx-post="([^"]*)" hx-trigger="load"', body)
    assert loaders == [reverse("objects:restore-states", args=[states_bucket])] * 2  # batches of 2
    assert body.count('name="key" value="a/') == 3


def test_restore_states_in_words(client, bob, states_bucket, count_requests):
    client.force_login(bob)
    heads = count_requests("HEAD")
    url = reverse("objects:restore-states", args=[states_bucket])
    rows = {"rs-0-1": "a/archived", "rs-0-2": "a/deep-restoring", "rs-0-3": "a/restored",
            "rs-0-4": "a/plain", "rs-0-5": "a/missing"}  # fmt: skip
    response = client.post(url, {"cell": list(rows), "key": list(rows.values())}, **HTMX)
    assert response.status_code == 200
    found = cells(response.content.decode())
    assert heads.stop() == 5  # one HEAD per row
    assert found["rs-0-1"] == "Archived"
    assert found["rs-0-2"] == "Restoring (Bulk)"
    assert re.fullmatch(r"Readable until \d{4}-\d\d-\d\d \d\d:\d\d UTC", found["rs-0-3"])
    assert found["rs-0-4"] == "Readable"  # no longer archived since the listing
    assert found["rs-0-5"] == "No longer there"


def test_restore_states_follow_the_restore_clock(client, bob, states_bucket, restore_cos):
    client.force_login(bob)
    url = reverse("objects:restore-states", args=[states_bucket])
    restore_cos.advance_clock(49 * HOUR)  # Bulk from DEEP_ARCHIVE: at most 48 hours
    body = client.post(
        url, {"cell": ["rs-0-1", "rs-0-2"], "key": ["a/deep-restoring", "a/restored"]}
    ).content.decode()
    found = cells(body)
    assert found["rs-0-1"].startswith("Readable until")
    assert found["rs-0-2"] == "Archived"  # its two days are over: archived again


def test_heads_run_concurrently(client, bob, restore_cos, archive_bucket, settings):
    settings.CONSOLE_RESTORE_STATE_THREADS = 8
    seed_objects(restore_cos, archive_bucket, [(f"k{n}", "ARCHIVE", 0) for n in range(8)])
    client.force_login(bob)
    url = reverse("objects:restore-states", args=[archive_bucket])
    restore_cos.set_faults(mode="delay", delay=0.5, fraction=1.0, method="HEAD")
    try:
        started = time.monotonic()
        body = client.post(
            url, {"cell": [f"rs-0-{n}" for n in range(8)], "key": [f"k{n}" for n in range(8)]}
        )
        took = time.monotonic() - started
    finally:
        restore_cos.clear_faults()
    assert list(cells(body.content.decode()).values()) == ["Archived"] * 8
    assert took < 2.0, f"8 HEADs of 0.5 s took {took:.1f} s: not concurrent"


@pytest.mark.parametrize(
    "data, reason",
    [
        ({"cell": ["rs-0-1", "rs-0-2"], "key": ["a"]}, "Each row needs one cell and one key."),
        ({"cell": ["row-1"], "key": ["a"]}, "This is not a row of the listing."),
        ({"cell": ["rs-0-1"], "key": ["/bad"]}, ""),
        (
            {"cell": [f"rs-0-{n}" for n in range(101)], "key": [f"k{n}" for n in range(101)]},
            "At most 100 rows at once.",
        ),
    ],
)
def test_bad_batches_are_refused_before_any_head(
    client, bob, restore_cos, archive_bucket, count_requests, data, reason
):
    client.force_login(bob)
    heads = count_requests("HEAD")
    response = client.post(reverse("objects:restore-states", args=[archive_bucket]), data)
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert heads.stop() == 0


def test_restore_states_need_a_role(client, charlie, restore_cos, archive_bucket):
    client.force_login(charlie)
    response = client.post(
        reverse("objects:restore-states", args=[archive_bucket]), {"cell": ["rs-0-1"], "key": ["a"]}
    )
    assert response.status_code == 403
