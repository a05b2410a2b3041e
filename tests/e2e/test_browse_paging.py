"""Load more and the prefix filter in headless Chromium."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BUCKET = "e2e-paging-1250000000"


@pytest.fixture(scope="module")
def sixty(cos_client) -> str:  # type: ignore[no-untyped-def]
    """60 objects in one folder: a page of 50 and a second one of 10."""
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
        keys = [f"rows/r-{n:02d}.txt" for n in range(60)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: cos_client.put_object(Bucket=BUCKET, Key=k, Body=b"r"), keys))
    return BUCKET


def test_load_more_appends_the_next_page(logged_in_page, live_server, sixty) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{sixty}/?prefix=rows%2F&page_size=50")
    page.wait_for_selector("#load-more")
    assert page.locator(".object-row").count() == 50
    page.click("#load-more a")
    page.wait_for_selector(".object-row >> text=r-59.txt")
    assert page.locator(".object-row").count() == 60
    assert page.locator("#load-more").count() == 0


def test_filter_by_prefix_and_page_size(logged_in_page, live_server, sixty) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{sixty}/?prefix=rows%2F")
    page.wait_for_selector(".object-row >> text=r-00.txt")
    page.fill("#name-filter", "r-4")
    page.press("#name-filter", "Enter")
    expect(page.locator(".object-row")).to_have_count(10)
    assert "q=r-4" in page.url and "prefix=rows%2F" in page.url
    # Full names inside the folder, not the tail after the filter text.
    assert page.locator(".object-row").first.locator("code").inner_text() == "r-40.txt"
    page.select_option("#page-size", "50")
    page.wait_for_url("**page_size=50**")
    page.click("#clear-filter")
    expect(page.locator(".object-row")).to_have_count(50)
    page.fill("#jump-to", "r-55.txt")
    page.press("#jump-to", "Enter")
    expect(page.locator(".object-row")).to_have_count(5)
    assert page.locator(".object-row").first.inner_text().strip().startswith("r-55.txt")
