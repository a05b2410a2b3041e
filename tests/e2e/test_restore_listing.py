"""The storage-class filter and the restore column in Chromium (issue 14): archived rows of a
large folder found page by page, their restore state filled in after the first paint."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_axe_violations, assert_no_sideways_scroll, english_left
from tests.restores import conftest as restore_fixtures
from tests.restores.conftest import HOUR, restore, seed_objects

archive_server = restore_fixtures.archive_server
archive_client = restore_fixtures.archive_client
archive_bucket = restore_fixtures.archive_bucket
restore_cos = restore_fixtures.restore_cos

pytestmark = pytest.mark.e2e


@pytest.fixture
def cold_folder(restore_cos, archive_client, archive_bucket) -> str:  # type: ignore[no-untyped-def]
    """1,500 STANDARD keys in `logs/` with four archived ones, one restoring, one restored."""
    special = {3: "ARCHIVE", 700: "DEEP_ARCHIVE", 1200: "ARCHIVE", 1400: "DEEP_ARCHIVE"}
    rows = [(f"logs/day-{n:04d}.gz", special.get(n, "STANDARD"), 1024 * n) for n in range(1500)]
    seed_objects(restore_cos, archive_bucket, [*rows, ("logs/2019/", "STANDARD", 0)])
    seed_objects(restore_cos, archive_bucket, [("logs/2019/a.gz", "ARCHIVE", 1)])
    restore(archive_client, archive_bucket, "logs/day-0003.gz", tier="Expedited", days=5)
    restore_cos.advance_clock(HOUR)
    restore(archive_client, archive_bucket, "logs/day-0700.gz", tier="Bulk")
    return archive_bucket


def open_folder(page, live_server, bucket: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/b/{bucket}/?prefix=logs%2F&page_size=100")
    expect(page.locator(".object-row")).to_have_count(99)  # and the 2019/ folder


def test_only_archived_objects_page_by_page_with_their_restore_state(
    logged_in_page, restore_cos, live_server, cold_folder, settings
) -> None:
    settings.CONSOLE_CLASS_FILTER_SCAN_MAX = 1000
    page = logged_in_page
    open_folder(page, live_server, cold_folder)
    page.click("#class-filter summary")
    page.click("#only-archived")
    expect(page.locator(".object-row")).to_have_count(2)
    assert "storage_class=ARCHIVE" in page.url and "storage_class=DEEP_ARCHIVE" in page.url
    expect(page.locator("#class-filter-summary")).to_have_text("ARCHIVE, DEEP_ARCHIVE")
    expect(page.locator(".folder-row")).to_have_count(0)
    expect(page.locator("#scan-note")).to_have_text(
        "Scanned 1,000 entries, found 2 matches so far."
    )
    rows = page.locator(".object-row")
    expect(rows.nth(0).locator(".col-restore")).to_contain_text("Readable until")
    expect(rows.nth(1).locator(".col-restore")).to_have_text("Restoring (Bulk)")
    page.click("#load-more a")  # "Continue scanning"
    expect(page.locator(".object-row")).to_have_count(4)
    expect(page.locator("#load-more")).to_have_count(0)
    expect(rows.nth(2).locator(".col-restore")).to_have_text("Archived")
    expect(page.locator("#page-count")).to_have_text("4 items shown, 1,501 entries scanned")
    # Unchecking a class narrows the filter; the name filter keeps it.
    page.uncheck('#class-filter-form input[value="ARCHIVE"]')
    page.click("#class-filter-apply")
    expect(page.locator("#class-filter-summary")).to_have_text("DEEP_ARCHIVE")
    page.fill("#name-filter", "day-14")
    page.press("#name-filter", "Enter")
    expect(page.locator(".object-row")).to_have_count(1)
    expect(page.locator(".object-row code")).to_have_text("day-1400.gz")
    page.click("#clear-class-filter")  # the name filter stays: day-1400 ... day-1499
    expect(page.locator(".object-row")).to_have_count(100)
    assert "storage_class" not in page.url and "q=day-14" in page.url


def test_filtered_listing_is_accessible_narrow_and_chinese(
    logged_in_page, phone_page, zh_page, restore_cos, live_server, cold_folder, django_user_model
) -> None:
    from tests.e2e.conftest import log_in

    query = "prefix=logs%2F&storage_class=ARCHIVE&storage_class=DEEP_ARCHIVE"
    url = f"{live_server.url}/b/{cold_folder}/?{query}"
    page = logged_in_page
    page.goto(url)
    expect(page.locator(".restore-cell").first).not_to_have_text("…")
    page.click("#class-filter summary")
    assert_no_axe_violations(page)
    log_in(phone_page, live_server, django_user_model, username="pia", role="operator")
    phone_page.goto(url)
    expect(phone_page.locator(".restore-cell").first).not_to_have_text("…")
    assert_no_sideways_scroll(phone_page)
    log_in(zh_page, live_server, django_user_model, username="zhang", role="operator")
    zh_page.goto(url)
    expect(zh_page.locator(".restore-cell").first).not_to_have_text("…")
    zh_page.click("#class-filter summary")
    assert english_left(zh_page) == []
