"""Issue 12 in Chromium: the Versions panel, make current, delete a version, preview, compare, the
old-version page, Show versions / Show deleted with undelete, and the versioning switch."""

from __future__ import annotations

import uuid
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

BUCKET = "e2e-versions-1250000000"


@pytest.fixture
def folder(cos_client) -> str:  # type: ignore[no-untyped-def]
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
        cos_client.put_bucket_versioning(Bucket=BUCKET, Status="Enabled")
    return f"v-{uuid.uuid4().hex[:8]}/"


def put(cos_client, key: str, body: bytes) -> str:  # type: ignore[no-untyped-def]
    response = cos_client.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="text/plain")
    return str(response["x-cos-version-id"])


def detail(live_server, key: str, **query: str) -> str:  # type: ignore[no-untyped-def]
    extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in query.items())
    return f"{live_server.url}/b/{BUCKET}/object/?key={quote(key, safe='')}{extra}"


def folder_url(live_server, prefix: str, **query: str) -> str:  # type: ignore[no-untyped-def]
    extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in query.items())
    return f"{live_server.url}/b/{BUCKET}/?prefix={quote(prefix, safe='')}{extra}"


def row(page, version_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#versions-table tr[data-version-id="{version_id}"]')


def test_panel_then_make_an_old_version_current(
    logged_in_page, live_server, cos_client, folder
) -> None:
    key = folder + "notes.txt"
    v1 = put(cos_client, key, b"first draft")
    v2 = put(cos_client, key, b"second draft")
    page = logged_in_page
    page.goto(detail(live_server, key))
    expect(page.locator("#versions-table .version-row")).to_have_count(2)
    expect(row(page, v2).locator(".version-label")).to_have_text("latest")
    expect(row(page, v1).locator(".version-label")).to_have_text("noncurrent")
    assert row(page, v2).locator(".version-make-current").count() == 0
    assert page.locator(".version-delete").count() == 0  # an operator, not an admin

    row(page, v1).locator(".version-make-current").click()
    expect(page.locator("#flash")).to_contain_text(f"Version {v1} is current again")
    expect(page.locator("#text-preview")).to_have_text("first draft")
    expect(page.locator("#versions-table .version-row")).to_have_count(3)
    assert cos_client.get_object(Bucket=BUCKET, Key=key)["Body"].read_all() == b"first draft"


def test_admin_deletes_a_version_after_a_modal_warning(
    page, live_server, cos_client, folder, django_user_model
) -> None:
    key = folder + "doomed.txt"
    v1 = put(cos_client, key, b"one")
    v2 = put(cos_client, key, b"two")
    log_in(page, live_server, django_user_model, username="ada", role="admin")
    page.goto(detail(live_server, key))
    row(page, v1).locator(".version-delete").click()
    dialog = page.locator("#dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone.")
    assert page.evaluate("document.activeElement.classList.contains('dialog-close')")
    page.keyboard.press("Escape")  # the safe way out changes nothing
    expect(dialog).to_be_hidden()
    assert len(list(cos_client.iter_object_versions(Bucket=BUCKET, Prefix=key))) == 2

    row(page, v1).locator(".version-delete").click()
    page.click("#confirm-version-delete")
    done = f"Version {v1} of {key} was deleted permanently."
    expect(page.locator("#flash")).to_contain_text(done)
    expect(page.locator("#versions-table .version-row")).to_have_count(1)
    ids = [e["VersionId"] for e in cos_client.iter_object_versions(Bucket=BUCKET, Prefix=key)]
    assert ids == [v2]


def test_preview_compare_and_the_old_version_page(
    logged_in_page, live_server, cos_client, folder
) -> None:
    key = folder + "config.ini"
    v1 = put(cos_client, key, b"[main]\nport = 80\nname = a\n")
    v2 = put(cos_client, key, b"[main]\nport = 8080\nname = a\n")
    page = logged_in_page
    page.goto(detail(live_server, key))

    row(page, v1).locator(".version-preview").click()
    expect(page.locator("#version-text-preview")).to_have_text("[main]\nport = 80\nname = a\n")
    page.click("#dialog .dialog-close")

    # A is preselected as the older version, B as the newer.
    expect(page.locator(f'input[name="a"][value="{v1}"]')).to_be_checked()
    expect(page.locator(f'input[name="b"][value="{v2}"]')).to_be_checked()
    page.click("#compare-button")
    expect(page.locator("#line-diff .diff-del")).to_have_text("-port = 80")
    expect(page.locator("#line-diff .diff-add")).to_have_text("+port = 8080")
    expect(page.locator("#compare-meta tr.differs").first).to_be_visible()

    page.goto(detail(live_server, key))
    row(page, v1).locator(".version-open").click()
    expect(page.locator("#old-version-notice")).to_contain_text(
        "This is an old version, not the current object."
    )
    for form in ("#metadata-form", "#copy-form", "#storage-class-form", "#delete-form"):
        assert page.locator(form).count() == 0
    page.click("#current-version-link")
    expect(page.locator("#text-preview")).to_have_text("[main]\nport = 8080\nname = a\n")


def test_show_deleted_then_undelete_one_and_a_selection(
    logged_in_page, live_server, cos_client, folder
) -> None:
    for name in ("a.txt", "b.txt", "c.txt", "keep.txt"):
        put(cos_client, folder + name, name.encode())
    for name in ("a.txt", "b.txt", "c.txt"):
        cos_client.delete_object(Bucket=BUCKET, Key=folder + name)
    page = logged_in_page
    page.goto(folder_url(live_server, folder))
    expect(page.locator(".object-row")).to_have_count(1)
    page.check("#show-deleted")
    expect(page.locator(".deleted-row")).to_have_count(3)
    assert "deleted=1" in page.url
    expect(page.locator("#deleted-mode-note")).to_be_visible()

    page.locator(f'.deleted-row[data-key="{folder}a.txt"] .undelete-one').click()
    expect(page.locator("#undelete-result")).to_contain_text("1 object is back.")
    page.click("#dialog .dialog-close")
    expect(page.locator(".deleted-row")).to_have_count(2)  # the table refreshed itself

    expect(page.locator("#undelete-selected")).to_be_disabled()
    for name in ("b.txt", "c.txt"):
        page.locator(f'.deleted-row[data-key="{folder}{name}"] input[type=checkbox]').check()
    page.click("#undelete-selected")
    expect(page.locator("#undelete-result")).to_contain_text("2 objects are back.")
    page.click("#dialog .dialog-close")
    expect(page.locator(".deleted-row")).to_have_count(0)
    for name in ("a.txt", "b.txt", "c.txt"):
        body = cos_client.get_object(Bucket=BUCKET, Key=folder + name)["Body"].read_all()
        assert body == name.encode()


def test_show_versions_groups_versions_under_each_key(
    logged_in_page, live_server, cos_client, folder
) -> None:
    v1 = put(cos_client, folder + "x.txt", b"1")
    v2 = put(cos_client, folder + "x.txt", b"22")
    vy = put(cos_client, folder + "y.txt", b"y")
    marker = cos_client.delete_object(Bucket=BUCKET, Key=folder + "y.txt")["x-cos-version-id"]
    page = logged_in_page
    page.goto(folder_url(live_server, folder))
    page.check("#show-versions")
    expect(page.locator("#folder-versions .key-row")).to_have_count(2)
    rows = page.locator("#folder-versions .version-row .version-id")
    expect(rows).to_have_text([v2, v1, marker, vy])
    expect(page.locator(f'.key-row[data-key="{folder}y.txt"] .tag-marker')).to_have_text("deleted")
    expect(page.locator("#show-deleted")).to_be_disabled()


def test_admin_suspends_versioning_from_the_buckets_page(
    page, live_server, cos_client, django_user_model
) -> None:
    bucket = f"e2e-vsw{uuid.uuid4().hex[:6]}-1250000000"
    cos_client.create_bucket(Bucket=bucket)
    cos_client.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    log_in(page, live_server, django_user_model, username="ada", role="admin")
    cell = page.locator("#bucket-table tr", has_text=bucket).locator("td.versioning")
    expect(cell.locator(".versioning-state")).to_have_text("Enabled")
    cell.locator(".versioning-suspend").click()
    expect(page.locator("#versioning-confirm")).to_contain_text("Suspend versioning?")
    expect(page.locator("#versioning-one-way")).to_contain_text("can never go back")
    page.click("#confirm-versioning")
    expect(page.locator("#flash")).to_contain_text(f"Versioning is suspended for {bucket}.")
    cell = page.locator("#bucket-table tr", has_text=bucket).locator("td.versioning")
    expect(cell.locator(".versioning-state")).to_have_text("Suspended")
    assert cos_client.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


# --- accessibility, small screens and the Chinese console for the new screens -----------------


@pytest.fixture
def screens(cos_client, folder) -> dict[str, str]:  # type: ignore[no-untyped-def]
    key = folder + "page.txt"
    v1 = put(cos_client, key, b"alpha\nbeta\n")
    v2 = put(cos_client, key, b"alpha\ngamma\n")
    put(cos_client, folder + "gone.txt", b"x")
    cos_client.delete_object(Bucket=BUCKET, Key=folder + "gone.txt")
    q, p = quote(key, safe=""), quote(folder, safe="")
    return {
        "object with versions": f"/b/{BUCKET}/object/?key={q}",
        "versions page": f"/b/{BUCKET}/versions/?key={q}",
        "deleted key's versions": f"/b/{BUCKET}/versions/?key={quote(folder + 'gone.txt')}",
        "compare": f"/b/{BUCKET}/versions/compare/?key={q}&a={v1}&b={v2}",
        "show versions": f"/b/{BUCKET}/?prefix={p}&versions=1",
        "show deleted": f"/b/{BUCKET}/?prefix={p}&deleted=1",
    }


def test_new_screens_and_dialogs_pass_axe(page, live_server, screens, django_user_model):  # type: ignore[no-untyped-def]
    log_in(page, live_server, django_user_model, username="axel", role="admin")
    for path in screens.values():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert_no_axe_violations(page)
    page.goto(live_server.url + screens["object with versions"])
    for opener in (".version-delete", ".version-preview"):
        page.locator(opener).first.click()
        expect(page.locator("#dialog")).to_be_visible()
        assert_no_axe_violations(page)
        page.keyboard.press("Escape")
    page.goto(live_server.url + screens["show deleted"])
    page.locator(".versioning-suspend").click()
    expect(page.locator("#versioning-confirm")).to_be_visible()
    assert_no_axe_violations(page)


def test_new_screens_fit_390_px(phone_page, live_server, screens, django_user_model):  # type: ignore[no-untyped-def]
    page = phone_page
    log_in(page, live_server, django_user_model, username="pim", role="admin")
    for path in screens.values():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert_no_sideways_scroll(page)
    page.goto(live_server.url + screens["object with versions"])
    page.locator(".version-delete").first.click()
    expect(page.locator("#dialog")).to_be_visible()
    assert_no_sideways_scroll(page)


def test_new_screens_have_no_english_left_in_chinese(  # type: ignore[no-untyped-def]
    zh_page, live_server, screens, django_user_model
):
    page = zh_page
    log_in(page, live_server, django_user_model, username="zhao", role="admin")
    for name, path in screens.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert english_left(page) == [], f"{name}: {english_left(page)}"
    page.goto(live_server.url + screens["object with versions"])
    for opener in (".version-delete", ".version-preview"):
        page.locator(opener).first.click()
        expect(page.locator("#dialog")).to_be_visible()
        assert english_left(page) == [], f"{opener}: {english_left(page)}"
        page.keyboard.press("Escape")
    page.goto(live_server.url + screens["show deleted"])
    page.locator(".undelete-one").first.click()
    expect(page.locator("#undelete-result")).to_be_visible()
    assert english_left(page) == []
