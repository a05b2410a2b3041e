"""Issue 12's jobs in Chromium: a folder rewind of 50 keys (dialog, dry run, run) verified key by
key, a refusal shown in the dialog, and the start dialogs checked with axe, at 390 px and in
zh-Hans."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_no_axe_violations,
    assert_no_sideways_scroll,
    english_left,
    log_in,
)
from tests.jobs import conftest as jobs_fixtures

job_settings = jobs_fixtures.job_settings
new_bucket = jobs_fixtures.new_bucket
start_worker = jobs_fixtures.start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

MOMENT = "%Y-%m-%dT%H:%M:%S"


def body(cos_client, bucket: str, key: str) -> bytes:  # type: ignore[no-untyped-def]
    return bytes(cos_client.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read())


def test_rewind_a_folder_of_50_keys_dry_run_then_run(
    logged_in_page, live_server, cos_client, new_bucket, start_worker
) -> None:
    b = new_bucket
    cos_client.put_bucket_versioning(Bucket=b, Status="Enabled")
    keys = [f"fifty/k{n:02d}.txt" for n in range(50)]
    for n, key in enumerate(keys):
        cos_client.put_object(Bucket=b, Key=key, Body=f"first {n}".encode())
    time.sleep(1.05 - time.time() % 1)
    at = datetime.fromtimestamp(int(time.time()), UTC)
    time.sleep(0.05)
    for n, key in enumerate(keys):
        cos_client.put_object(Bucket=b, Key=key, Body=f"second {n}".encode())
    start_worker()
    page = logged_in_page
    page.goto(f"{live_server.url}/b/{b}/?prefix=fifty%2F")
    dialog = page.locator("#dialog")

    # Before the bucket existed: refused, with the reason, in the dialog.
    page.click("#rewind-button")
    expect(dialog.locator("#rewind-form")).to_be_visible()
    page.fill("#rewind-at", (at - timedelta(days=3)).strftime(MOMENT))
    page.click("#rewind-dry-run")
    expect(dialog.locator("#rewind-form-at-error")).to_contain_text(
        "there is nothing to rewind to before that"
    )
    page.keyboard.press("Escape")

    page.click("#rewind-button")
    expect(dialog.locator("#rewind-form")).to_be_visible()
    page.fill("#rewind-at", at.strftime(MOMENT))
    page.click("#rewind-dry-run")
    expect(dialog.locator(".job-state")).to_have_text("Dry run done: confirm below", timeout=60_000)
    expect(dialog).to_contain_text("make an older version current for 50 objects")
    assert body(cos_client, b, keys[0]) == b"second 0"  # the dry run changed nothing
    dialog.locator(".rewind-run button").click()
    expect(dialog.locator(".job-state")).to_have_text("Succeeded", timeout=60_000)
    expect(dialog).to_contain_text("50 rewound, 0 left as they were, 0 failed of 50")
    for n, key in enumerate(keys):
        assert body(cos_client, b, key) == f"first {n}".encode(), key


def test_start_dialogs_axe_phone_and_chinese(
    page, phone_page, zh_page, live_server, console_cos, cos_client, new_bucket,
    django_user_model,
) -> None:  # fmt: skip
    cos_client.put_bucket_versioning(Bucket=new_bucket, Status="Enabled")
    cos_client.put_object(Bucket=new_bucket, Key="d/a.txt", Body=b"a")
    url = f"{live_server.url}/b/{new_bucket}/?prefix=d%2F"
    for n, (browser_page, check) in enumerate(
        ((page, "axe"), (phone_page, "phone"), (zh_page, "zh"))
    ):
        log_in(browser_page, live_server, django_user_model, username=f"adm{n}", role="admin")
        for opener, form in (("#rewind-button", "#rewind-form"),
                             ("#noncurrent-button", "#noncurrent-form")):  # fmt: skip
            browser_page.goto(url)
            browser_page.click(opener)
            expect(browser_page.locator(form)).to_be_visible()
            if check == "axe":
                assert_no_axe_violations(browser_page)
            elif check == "phone":
                assert_no_sideways_scroll(browser_page)
            else:
                assert english_left(browser_page) == [], english_left(browser_page)
    # The admin-only start is not offered to an operator.
    page.context.clear_cookies()
    log_in(page, live_server, django_user_model, username="op", role="operator")
    page.goto(url)
    expect(page.locator("#rewind-button")).to_be_visible()
    expect(page.locator("#noncurrent-button")).to_have_count(0)
