"""Every selection the object browser allows can be deleted: a whole 1,000-row page, and
"everything that matches" across pages, through the batch-delete job with its dry run (issue 10).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.jobs import conftest as jobs_fixtures
from tests.jobs.conftest import keys_under, seed_keys

job_settings = jobs_fixtures.job_settings
new_bucket = jobs_fixtures.new_bucket
start_worker = jobs_fixtures.start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_a_full_page_of_1000_rows_selected_and_deleted(
    logged_in_page, live_server, cos_client, coslocal, new_bucket, start_worker
) -> None:
    seed_keys(coslocal, new_bucket, [f"page/k-{n:04d}" for n in range(1000)] + ["keep/x"])
    start_worker()
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{new_bucket}/?prefix=page%2F&page_size=1000")
    expect(page.locator(".object-row")).to_have_count(1000)
    page.check("#select-all")
    expect(page.locator("[data-selected-count]")).to_have_text("1,000 items selected")
    page.click("#delete-selected")
    dialog = page.locator("#dialog")
    # The worker sizes the 1,000 selected keys first (the plan says the bytes it frees).
    expect(dialog.locator(".job-state")).to_have_text("Dry run done: confirm below", timeout=60_000)
    expect(dialog).to_contain_text("Found 1,000 objects (0 bytes)")
    dialog.locator('button[name="mode"][value="current"]').click()
    expect(dialog.locator(".job-state")).to_have_text("Succeeded", timeout=60_000)
    assert keys_under(cos_client, new_bucket) == ["keep/x"]


def test_select_everything_that_matches_across_pages_goes_through_the_dry_run(
    logged_in_page, live_server, cos_client, coslocal, new_bucket, start_worker
) -> None:
    matching = [f"mixed/a-{n:04d}" for n in range(2500)]
    others = [f"mixed/b-{n:02d}" for n in range(10)] + ["elsewhere/a-1"]
    seed_keys(coslocal, new_bucket, matching + others)
    start_worker()
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{new_bucket}/?prefix=mixed%2F&q=a-&page_size=1000")
    expect(page.locator(".object-row")).to_have_count(1000)
    page.check("#select-all")
    page.click("#select-across-button")
    expect(page.locator("#select-across-chosen")).to_be_visible()
    page.click("#delete-selected")
    dialog = page.locator("#dialog")
    # The worker lists what matches before anything is deleted.
    expect(dialog).to_contain_text("Found 2,500 objects", timeout=60_000)
    dialog.locator('button[name="mode"][value="current"]').click()
    expect(dialog.locator(".job-state")).to_have_text("Succeeded", timeout=60_000)
    assert sorted(keys_under(cos_client, new_bucket)) == sorted(others)


def test_deleting_a_whole_bucket_waits_for_its_name_typed(
    logged_in_page, live_server, cos_client, new_bucket, start_worker
) -> None:
    """Issue 10: type-to-confirm before deleting everything in a bucket, and the typed text is
    what the server checks (the button only opens once it matches)."""
    for key in ("a.txt", "d/b.txt"):
        cos_client.put_object(Bucket=new_bucket, Key=key, Body=b"x")
    start_worker()
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{new_bucket}/")
    page.get_by_role("button", name="Delete everything under this folder…").click()
    panel = page.locator(".job-progress").last
    expect(panel).to_contain_text("Found 2 objects", timeout=60_000)
    expect(panel.locator(".typed-confirm")).to_contain_text(
        f"This cannot be undone. Type {new_bucket} to confirm:"
    )
    button = panel.locator('button[name="mode"][value="current"]')
    expect(button).to_be_disabled()
    panel.locator('input[name="confirm_text"]').fill(new_bucket[:-1])
    expect(button).to_be_disabled()
    assert sorted(o["Key"] for o in cos_client.list_objects(Bucket=new_bucket)["Contents"]) == [
        "a.txt", "d/b.txt",
    ]  # fmt: skip
    panel.locator('input[name="confirm_text"]').fill(new_bucket)
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator(".job-progress").last.locator(".job-state")).to_have_text(
        "Succeeded", timeout=60_000
    )
    assert "Contents" not in cos_client.list_objects(Bucket=new_bucket)
