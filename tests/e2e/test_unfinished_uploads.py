"""The Unfinished uploads page in Chromium: the buckets page's count, parts on demand, abort one
through the modal confirmation, and abort a selection through the job's dry run."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import AXE
from tests.jobs import conftest as jobs_fixtures
from tests.jobs.test_unfinished_uploads import listed, real_upload

job_settings = jobs_fixtures.job_settings
new_bucket = jobs_fixtures.new_bucket
start_worker = jobs_fixtures.start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def axe_violations(page):  # type: ignore[no-untyped-def]
    """axe-core on the page, injected by evaluation (a script tag would break the page's CSP)."""
    page.evaluate(AXE.read_text())
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found["violations"]]


def test_unfinished_uploads_page_counts_and_aborts(
    logged_in_page, live_server, cos_client, new_bucket, start_worker
) -> None:
    page = logged_in_page
    ids = {key: real_upload(cos_client, new_bucket, key) for key in ("e/a", "e/b", "e/c")}
    start_worker()
    page.goto(f"{live_server.url}/")
    page.click(f"button[aria-label='Count the unfinished uploads of {new_bucket}']")
    summary = page.wait_for_selector(f"#unfinished-{new_bucket}")
    assert "3 uploads, 3.0 MB" in " ".join(summary.inner_text().replace("\xa0", " ").split())

    page.goto(f"{live_server.url}/b/{new_bucket}/unfinished/")
    assert page.locator(".upload-row").count() == 3
    assert axe_violations(page) == []
    first = page.locator(f".upload-row[data-upload-id='{ids['e/a']}']")
    first.locator(".parts-button").click()
    assert first.locator(".parts").inner_text() == "1 part, 1.0\xa0MB"

    page.locator(f".upload-row[data-upload-id='{ids['e/c']}'] .abort-one").click()
    dialog = page.locator("#dialog")
    dialog.locator("text=Abort this upload?").wait_for()
    assert page.evaluate("() => document.activeElement.classList.contains('dialog-close')")
    dialog.locator("#confirm-abort").click()
    dialog.locator("text=Upload aborted").wait_for()
    dialog.locator(".dialog-close").click()
    page.wait_for_function("() => document.querySelectorAll('.upload-row').length === 2")
    assert listed(cos_client, new_bucket) == {ids["e/a"], ids["e/b"]}

    for key in ("e/a", "e/b"):
        page.locator(f".upload-row[data-upload-id='{ids[key]}'] input[name=selected]").check()
    page.click("#abort-selected-button")
    dialog.locator("text=Dry run done: confirm below").wait_for(timeout=30_000)
    dialog.locator("button", has_text="Abort 2 uploads (frees 2.0\xa0MB)").click()
    dialog.locator(".job-state", has_text="Succeeded").wait_for(timeout=30_000)
    assert listed(cos_client, new_bucket) == set()
