"""Every refusal reaches the user: the server's own message on screen, never silence (issue 10).

Each test makes the server refuse an in-page action and checks the words the user reads, that
an earlier success message is gone, and that nothing was written.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BUCKET = "e2e-refusals-1250000000"


@pytest.fixture
def folder(cos_client) -> str:  # type: ignore[no-untyped-def]
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
    return f"r-{uuid.uuid4().hex[:8]}/"


def detail(live_server, key: str, bucket: str = BUCKET) -> str:  # type: ignore[no-untyped-def]
    return f"{live_server.url}/b/{bucket}/object/?key={quote(key, safe='')}"


def folder_page(live_server, prefix: str, **query: str) -> str:  # type: ignore[no-untyped-def]
    extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in query.items())
    return f"{live_server.url}/b/{BUCKET}/?prefix={quote(prefix, safe='')}{extra}"


def flash(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#flash").inner_text().strip()


def test_copy_onto_an_existing_key_says_so_and_replaces_the_old_success(
    logged_in_page, live_server, cos_client, folder
) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=folder + "a.txt", Body=b"a")
    cos_client.put_object(Bucket=BUCKET, Key=folder + "b.txt", Body=b"b")
    page = logged_in_page
    page.goto(detail(live_server, folder + "a.txt"))
    page.click("#metadata-form button[type=submit]")
    expect(page.locator("#flash")).to_have_text("Metadata saved.")

    page.check('#copy-form input[value="copy"]')
    page.fill("#dest-key", folder + "b.txt")
    page.click("#copy-submit")
    expect(page.locator("#flash")).to_contain_text("already exists in")
    assert "Metadata saved." not in flash(page)
    assert "tick “overwrite” to replace it" in flash(page)
    # The reason also sits next to the field that would fix it.
    expect(page.locator("#copy-form .field-error")).to_have_text(
        "Tick this to replace the existing object."
    )
    assert page.get_attribute("#overwrite", "aria-invalid") == "true"
    assert cos_client.get_object(Bucket=BUCKET, Key=folder + "b.txt")["Body"].read_all() == b"b"


def test_copy_to_an_invalid_bucket_name_is_bad_input_not_an_outage(
    logged_in_page, live_server, cos_client, folder
) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=folder + "a.txt", Body=b"a")
    page = logged_in_page
    page.goto(detail(live_server, folder + "a.txt"))
    page.check('#copy-form input[value="copy"]')
    page.fill("#dest-bucket", "-bad-")
    page.click("#copy-submit")
    expect(page.locator("#flash")).to_contain_text("is not a valid bucket name")
    assert "unreachable" not in flash(page).lower()
    expect(page.locator("#copy-form .field-error")).to_contain_text("not a valid bucket name")


def test_bad_folder_name_is_refused_next_to_the_field(
    logged_in_page, live_server, cos_client, folder
) -> None:
    page = logged_in_page
    page.goto(folder_page(live_server, folder))
    for name, reason in (("a/b", "must not contain / or \\"), ("/x", "must not contain / or \\")):
        page.fill("#folder-name", name)
        page.click("#folder-form button[type=submit]")
        expect(page.locator("#flash")).to_contain_text(reason)
        expect(page.locator("#folder-form .field-error")).to_contain_text(reason)
    assert list(cos_client.iter_objects(Bucket=BUCKET, Prefix=folder)) == []


def test_missing_bucket_page_and_in_page_refusal(logged_in_page, live_server) -> None:
    page = logged_in_page
    page.goto(f"{live_server.url}/b/nope-1250000000/")
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("#error-message")).to_contain_text(
        "The bucket does not exist, or this account cannot see it."
    )
    page.goto(f"{live_server.url}/b/-x-/")
    expect(page.locator("#error-message")).to_contain_text("is not a valid bucket name")


def test_role_removed_meanwhile_is_told_on_the_next_action(
    logged_in_page, live_server, folder, django_user_model
) -> None:
    page = logged_in_page
    page.goto(folder_page(live_server, folder))
    user = django_user_model.objects.get(username="olivia")
    user.groups.remove(Group.objects.get(name="operator"))
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    page.fill("#folder-name", "late")
    page.click("#folder-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("This action needs the operator role.")


def test_deep_archive_offers_only_its_tiers_and_a_forged_tier_is_refused(
    logged_in_page, live_server, cos_client, folder
) -> None:
    key = folder + "deep.bin"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"d" * 10, StorageClass="DEEP_ARCHIVE")
    page = logged_in_page
    page.goto(detail(live_server, key))
    tiers = page.locator('#restore-form input[name="tier"]')
    assert [tiers.nth(n).get_attribute("value") for n in range(tiers.count())] == [
        "Standard",
        "Bulk",
    ]
    assert page.locator("#download-link").count() == 0 and page.locator("#share-form").count() == 0
    expect(page.locator("#restore-first")).to_contain_text("Restore it first")
    # A hand-edited form still cannot send what COS refuses.
    page.evaluate(
        """() => { const radio = document.querySelector('#restore-form input[name="tier"]');
                   radio.value = "Expedited"; radio.checked = true; }"""
    )
    page.click("#restore-button")
    expect(page.locator("#flash")).to_contain_text(
        "COS does not accept the Expedited tier for DEEP_ARCHIVE objects."
    )
    assert "x-cos-restore" not in cos_client.head_object(Bucket=BUCKET, Key=key)


def test_restore_state_is_words_and_turns_ready_by_itself(
    logged_in_page, live_server, cos_client, coslocal, folder
) -> None:
    key = folder + "cold.bin"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"c" * 10, StorageClass="ARCHIVE")
    page = logged_in_page
    page.goto(detail(live_server, key))
    page.check('#restore-form input[value="Standard"]')
    page.click("#restore-button")
    expect(page.locator("#restore-state")).to_contain_text("Restoring, Standard tier, requested")
    assert page.locator("#download-link").count() == 0
    coslocal.advance_clock(5)  # the shared server restores in 2 s of its clock
    # The page polls while the restore runs and reloads itself once the copy is readable.
    expect(page.locator("#download-link")).to_be_visible(timeout=20_000)
    expect(page.locator("#restore-state")).to_contain_text("Restored, readable until")
    assert page.locator("#share-form").count() == 1


def test_dialogs_are_modal_focus_the_safe_choice_and_close_on_escape(
    logged_in_page, live_server, cos_client, folder
) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=folder + "keep.txt", Body=b"k")
    page = logged_in_page
    page.goto(detail(live_server, folder + "keep.txt"))
    page.click("#delete-button")
    page.wait_for_selector("#delete-confirm")
    assert page.evaluate("() => document.getElementById('dialog').matches(':modal')")
    assert page.evaluate("() => document.activeElement.classList.contains('dialog-close')")
    page.keyboard.press("Escape")
    expect(page.locator("#dialog")).not_to_have_attribute("open", "")
    expect(page.locator("#delete-confirm")).to_have_count(0)  # the body is emptied on close
    assert cos_client.object_exists(Bucket=BUCKET, Key=folder + "keep.txt")
    # Tab stays inside an open dialog (the page behind is inert).
    page.click("#delete-button")
    page.wait_for_selector("#delete-confirm")
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('#dialog')")


def test_filter_upload_and_new_folder_land_in_the_folder_shown(
    logged_in_page, live_server, cos_client, folder
) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=folder + "notes.txt", Body=b"n")
    page = logged_in_page
    page.goto(folder_page(live_server, folder, q="no"))
    expect(page.locator(".object-row")).to_have_count(1)
    page.set_input_files(
        "#upload-files", files=[{"name": "data.csv", "mimeType": "text/csv", "buffer": b"1,2"}]
    )
    page.wait_for_selector("#upload-list .upload-done")
    page.fill("#folder-name", "sub")
    page.click("#folder-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text(f"Folder {folder}sub/ created.")
    keys = sorted(o["Key"] for o in cos_client.iter_objects(Bucket=BUCKET, Prefix=folder))
    assert keys == [folder + "data.csv", folder + "notes.txt", folder + "sub/"]


def test_choose_files_is_reachable_and_usable_by_keyboard(
    logged_in_page, live_server, folder
) -> None:
    page = logged_in_page
    choosers: list = []
    # Listening before any key press makes Playwright intercept the chooser from the start.
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    page.goto(folder_page(live_server, folder))
    page.focus("#choose-folder")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == "choose-files"
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 10
    while not choosers and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(choosers) == 1 and choosers[0].is_multiple()


def test_load_more_keeps_the_count_true(logged_in_page, live_server, cos_client, folder) -> None:
    for n in range(60):
        cos_client.put_object(Bucket=BUCKET, Key=f"{folder}f-{n:02d}", Body=b"x")
    page = logged_in_page
    page.goto(folder_page(live_server, folder, page_size="50"))
    expect(page.locator("#page-count")).to_have_text("50 items shown; more below")
    page.click("#load-more a")
    expect(page.locator("#page-count")).to_have_text("60 items shown")
