"""A restore campaign in Chromium with a real worker (issue 14): pick archived rows, read the
plan (counts, bytes and COS's documented time), start it, watch the campaign page reach ready,
and see the notification in the header. Plus a CSV with bad lines, and the refusals."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_no_axe_violations,
    assert_no_sideways_scroll,
    english_left,
    log_in,
)
from tests.jobs import conftest as jobs_fixtures
from tests.restores import conftest as restore_fixtures
from tests.restores.conftest import campaign_env, seed_objects

job_settings = jobs_fixtures.job_settings
start_worker = jobs_fixtures.start_worker
fast_server = restore_fixtures.fast_server
fast_cos = restore_fixtures.fast_cos
fast_bucket = restore_fixtures.fast_bucket

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


@pytest.fixture
def vault(fast_cos, fast_bucket) -> str:  # type: ignore[no-untyped-def]
    rows = [(f"vault/a-{n}.tar", "ARCHIVE", 2048) for n in range(3)]
    rows += [(f"vault/d-{n}.tar", "DEEP_ARCHIVE", 4096) for n in range(2)]
    rows += [("vault/plain.txt", "STANDARD", 10)]
    seed_objects(fast_cos, fast_bucket, rows)
    return fast_bucket


def plan_in_dialog(page, live_server, bucket: str, *, chinese: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.goto(
        f"{live_server.url}/b/{bucket}/?prefix=vault%2F&storage_class=ARCHIVE&storage_class=DEEP_ARCHIVE"
    )
    expect(page.locator(".object-row")).to_have_count(5)
    page.check("#select-all")
    page.click("#restore-selected")
    dialog = page.locator("#dialog")
    expect(dialog.locator("#restore-form")).to_be_visible()
    if not chinese:
        expect(dialog.locator("h2")).to_have_text("Restore the selected objects")
        expect(dialog.locator("#restore-source")).to_contain_text("5 objects selected.")
    page.select_option("#restore-tier-archive", "Standard")
    page.fill("#restore-days", "2")
    page.click("#restore-plan-button")
    expect(dialog.locator(".restore-start button")).to_be_enabled(timeout=30_000)


def test_a_campaign_from_selection_to_ready_with_a_notification(
    logged_in_page, live_server, fast_cos, vault, start_worker
) -> None:
    start_worker(**campaign_env(fast_cos))
    page = logged_in_page
    plan_in_dialog(page, live_server, vault)
    dialog = page.locator("#dialog")
    expect(dialog.locator(".job-state")).to_have_text("Dry run done: confirm below")
    counts = dialog.locator(".job-counts")
    expect(counts).to_contain_text("ARCHIVE: 3 to request (6.0 KB), Standard tier, about 3–5 hours")
    expect(counts).to_contain_text(
        "DEEP_ARCHIVE: 2 to request (8.0 KB), Standard tier, about 12–24 hours"
    )
    expect(dialog.locator(".job-note")).to_have_text("Each copy stays readable 2 days.")
    dialog.locator(".restore-start button").click()
    expect(dialog.locator(".job-state")).not_to_have_text("Dry run done: confirm below")
    dialog.locator(".job-link").click()
    expect(page.locator("h1")).to_contain_text("Restore campaign #")
    ready = page.locator('#campaign-counts a[data-state="ready"] .count')
    expect(ready).to_have_text("5", timeout=60_000)
    expect(page.locator(".job-state")).to_have_text("Succeeded", timeout=30_000)
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#campaign-table tbody tr")).to_have_count(5)
    expect(page.locator("#campaign-table .target-state").first).to_have_text("Ready")
    # The header shows the notification (it looks every 30 s; a page load looks at once).
    page.reload()
    badge = page.locator("#nav-notifications .badge")
    expect(badge).to_contain_text("1")
    page.click("#nav-notifications")
    expect(page.locator("#notification-list")).to_contain_text("all 5 objects are readable.")
    assert_no_axe_violations(page)


def test_a_csv_with_bad_lines_says_why_for_each(
    logged_in_page, live_server, fast_cos, vault, start_worker, tmp_path
) -> None:
    start_worker(**campaign_env(fast_cos))
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{vault}/?prefix=vault%2F")
    page.click("#restore-csv-button")
    csv = tmp_path / "keys.csv"
    csv.write_text(
        "key\nvault/a-0.tar\nvault/a-0.tar\nvault/plain.txt\nvault/nope\n/bad\n\nvault/d-1.tar\n"
    )
    page.set_input_files("#restore-csv", str(csv))
    page.click("#restore-plan-button")
    dialog = page.locator("#dialog")
    expect(dialog.locator(".job-state")).to_have_text("Dry run done: confirm below", timeout=30_000)
    expect(dialog.locator(".job-counts")).to_contain_text(
        "Left alone: 1 not found, 1 not archived (readable already), 1 duplicate, 1 invalid key, "
        "2 blank or title lines."
    )
    dialog.locator(".job-link").click()
    page.click('#campaign-counts a[data-state="skipped"]')
    rows = page.locator("#campaign-table tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(0)).to_contain_text("Column title: skipped.")
    expect(rows.nth(1)).to_contain_text("Same key as line 2: restored once.")
    expect(rows.nth(2)).to_contain_text(
        "Not archived (STANDARD): readable as it is, nothing to restore."
    )
    expect(rows.nth(3)).to_contain_text("No such object in this bucket.")
    expect(rows.nth(4)).to_contain_text("Not a valid key: The key must not start with / or \\.")
    expect(rows.nth(5)).to_contain_text("Blank line: skipped.")


def test_refusals_show_in_the_dialog_and_nothing_starts(
    logged_in_page, live_server, fast_cos, vault, settings, tmp_path
) -> None:
    from objects_app.models import Job

    settings.CONSOLE_RESTORE_CSV_MAX_BYTES = 100
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{vault}/?prefix=vault%2F")
    page.click("#restore-csv-button")
    csv = tmp_path / "big.csv"
    csv.write_text("vault/a-0.tar\n" * 20)
    page.set_input_files("#restore-csv", str(csv))
    page.click("#restore-plan-button")
    expect(page.locator("#dialog-flash")).to_contain_text(
        "The file is 280 bytes; the limit is 100 bytes."
    )
    # Days out of COS's range: the browser itself refuses to send (the server refuses too,
    # tests/restores/test_campaign_views.py).
    page.fill("#restore-days", "400")
    page.click("#restore-plan-button")
    assert page.eval_on_selector("#restore-days", "el => el.validity.rangeOverflow")
    expect(page.locator("#dialog-flash")).to_contain_text("The file is 280 bytes")
    assert not Job.objects.filter(kind="restore").exists()


def test_restore_screens_are_accessible_narrow_and_in_chinese(
    page, phone_page, zh_page, live_server, fast_cos, vault, start_worker, django_user_model
) -> None:
    """Each user plans a campaign of their own: the dialog with its plan, the campaign page and
    the notifications page, checked with axe-core, at 390 px and in Chinese."""
    start_worker(**campaign_env(fast_cos))
    for each, name in ((page, "ada"), (phone_page, "pia"), (zh_page, "zhang")):
        log_in(each, live_server, django_user_model, username=name, role="operator")
        plan_in_dialog(each, live_server, vault, chinese=each is zh_page)
        check(each, page, phone_page)
        each.locator("#dialog .job-link").click()
        expect(each.locator("#campaign-table")).to_be_visible()
        check(each, page, phone_page)
        each.goto(f"{live_server.url}/notifications/")
        check(each, page, phone_page)


def check(each, page, phone_page) -> None:  # type: ignore[no-untyped-def]
    each.wait_for_load_state("networkidle")
    if each is page:
        assert_no_axe_violations(each)
    elif each is phone_page:
        assert_no_sideways_scroll(each)
    else:
        assert english_left(each) == [], each.url
