"""Every main page: no axe-core violation of any impact, no sideways scroll at 390 px, and no
English left in the Chinese console (issue 10)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_no_axe_violations,
    assert_no_sideways_scroll,
    english_left,
    log_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("console_cos")]

BUCKET = "e2e-pages-1250000000"


@pytest.fixture
def site(cos_client, django_user_model) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One of each page, as paths: objects (current, old version, archived), a job, audit rows."""
    from objects_app.models import JobState
    from objects_app.services.audit import audit_record
    from tests.jobs.factories import make_job

    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
        cos_client.put_bucket_versioning(Bucket=BUCKET, Status="Enabled")
    old = cos_client.put_object(Bucket=BUCKET, Key="docs/readme.txt", Body=b"first")
    cos_client.put_object(Bucket=BUCKET, Key="docs/readme.txt", Body=b"second, longer")
    cos_client.put_object(Bucket=BUCKET, Key="docs/sub/x.txt", Body=b"x")
    cos_client.put_object(
        Bucket=BUCKET, Key="cold/box.tar", Body=b"c" * 100, StorageClass="DEEP_ARCHIVE"
    )
    job = make_job(
        None, "prefix_summary", state=JobState.SUCCEEDED, bucket=BUCKET,
        params={"prefix": "docs/"}, total=2, done=2, bytes_done=15,
    )  # fmt: skip
    audit_record(user=None, action="object.delete", bucket=BUCKET, key="docs/gone.txt")
    key = quote("docs/readme.txt", safe="")
    return {
        "buckets": "/",
        "folder": f"/b/{BUCKET}/?prefix=docs%2F",
        "object": f"/b/{BUCKET}/object/?key={key}",
        "old version": f"/b/{BUCKET}/object/?key={key}&version_id={old['x-cos-version-id']}",
        "archived object": f"/b/{BUCKET}/object/?key=cold%2Fbox.tar",
        "jobs": "/jobs/",
        "job detail": f"/jobs/{job.pk}/",
        "audit": "/audit/",
        "not found": "/jobs/999999/",
    }


def visit(page, live_server, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")


def test_login_page_passes_axe_in_both_languages(page, zh_page, live_server) -> None:
    for each in (page, zh_page):
        visit(each, live_server, "/login/")
        assert_no_axe_violations(each)
    assert english_left(zh_page) == []
    # The check can fail: the English page is full of English words.
    assert {"Log", "in", "Username", "Password"} <= set(english_left(page))


def test_every_page_passes_axe(page, live_server, site, django_user_model) -> None:
    log_in(page, live_server, django_user_model, username="ada", role="admin")
    for path in site.values():
        visit(page, live_server, path)
        assert_no_axe_violations(page)


def test_nothing_scrolls_sideways_at_390_px(phone_page, live_server, site, django_user_model):  # type: ignore[no-untyped-def]
    page = phone_page
    log_in(page, live_server, django_user_model, username="pia", role="admin")
    for path in ["/login/", *site.values()]:
        visit(page, live_server, path)
        assert_no_sideways_scroll(page)
    # Logging out is within reach on a phone.
    box = page.locator("#logout").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390


def test_on_a_phone_the_folder_actions_are_one_scrolling_row_each(  # type: ignore[no-untyped-def]
    phone_page, live_server, site, django_user_model
):
    """Eight actions stacked above the first object took most of a phone's first screen: each
    toolbar is one row that scrolls sideways, and its last action is still reachable."""
    page = phone_page
    log_in(page, live_server, django_user_model, username="pim", role="admin")
    visit(page, live_server, site["folder"])
    for strip in (page.locator("#folder-actions"), page.locator("#listing-options")):
        box = strip.bounding_box()
        assert box is not None and box["height"] < 60, box
        assert strip.evaluate("e => e.scrollWidth > e.clientWidth")  # there is more to scroll to
    first_row = page.locator("tr.object-row").first.bounding_box()
    assert first_row is not None and first_row["y"] + first_row["height"] < 844
    page.click("#restore-csv-button")  # the last action of the strip: scrolled to, then clicked
    expect(page.locator("#dialog")).to_be_visible()
    page.keyboard.press("Escape")
    page.click("#rewind-button")
    expect(page.locator("#dialog")).to_contain_text("Rewind")
    assert_no_sideways_scroll(page)


def test_the_chinese_console_has_no_english_left(zh_page, live_server, site, django_user_model):  # type: ignore[no-untyped-def]
    page = zh_page
    log_in(page, live_server, django_user_model, username="zhang", role="admin")
    for name, path in site.items():
        visit(page, live_server, path)
        assert page.get_attribute("html", "lang") == "zh-hans", name
        assert english_left(page) == [], f"{name}: {english_left(page)}"
