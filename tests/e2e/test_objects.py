"""An operator uploads, opens, renames and deletes objects in headless Chromium."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BUCKET = "e2e-1250000000"


@pytest.fixture
def folder(cos_client) -> str:  # type: ignore[no-untyped-def]
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
    return f"e-{uuid.uuid4().hex[:8]}/"


def open_folder(page, live_server, prefix: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/b/{BUCKET}/?prefix={quote(prefix, safe='')}")
    page.wait_for_selector("#object-table")


def test_upload_two_files_with_progress(logged_in_page, live_server, cos_client, folder) -> None:
    page = logged_in_page
    open_folder(page, live_server, folder)
    big = b"a" * (3 * 1024 * 1024)
    page.set_input_files(
        "#upload-files",
        files=[
            {"name": "one.bin", "mimeType": "application/octet-stream", "buffer": big},
            {"name": "two.txt", "mimeType": "text/plain", "buffer": b"second file"},
        ],
    )
    page.wait_for_selector("#upload-list .upload-done >> nth=1")
    items = page.locator("#upload-list .upload-item")
    assert items.count() == 2
    for n in range(2):
        assert items.nth(n).locator(".upload-status").inner_text() == "uploaded"
        assert items.nth(n).locator(".progress > span").get_attribute("style") == "width: 100%;"
        assert int(items.nth(n).get_attribute("data-progress-events") or 0) >= 1
    # The table refreshes itself once every upload is done.
    page.wait_for_selector(".object-row >> text=two.txt")
    assert page.locator(".object-row", has_text="one.bin").count() == 1
    assert cos_client.get_object(Bucket=BUCKET, Key=folder + "one.bin")["Body"].read_all() == big


def test_open_detail_rename_then_delete_with_confirmation(
    logged_in_page, live_server, cos_client, folder
) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=folder + "draft.txt", Body=b"hello e2e")
    page = logged_in_page
    open_folder(page, live_server, folder)

    page.click(".object-link >> text=draft.txt")
    page.wait_for_selector("#object-meta")
    assert page.locator("#text-preview").inner_text() == "hello e2e"
    assert page.locator("#crc64").inner_text().isdigit()

    page.fill("#dest-key", "final.txt")
    page.click("#copy-submit")
    page.wait_for_selector("#object-key >> text=final.txt")
    assert "Renamed to" in page.locator("#flash").inner_text()
    assert not cos_client.object_exists(Bucket=BUCKET, Key=folder + "draft.txt")

    page.click("#delete-button")
    page.wait_for_selector("#delete-confirm")
    assert cos_client.object_exists(Bucket=BUCKET, Key=folder + "final.txt")
    page.click("#confirm-delete")
    page.wait_for_selector("#object-table")
    assert "Deleted" in page.locator("#flash").inner_text()
    assert page.locator(".object-row", has_text="final.txt").count() == 0
    assert not cos_client.object_exists(Bucket=BUCKET, Key=folder + "final.txt")


def test_multi_select_delete_shows_the_keys_first(
    logged_in_page, live_server, cos_client, folder
) -> None:
    for name in ("x1.txt", "x2.txt", "x3.txt"):
        cos_client.put_object(Bucket=BUCKET, Key=folder + name, Body=b"x")
    page = logged_in_page
    open_folder(page, live_server, folder)
    page.check('input[name="selected"][value$="x1.txt"]')
    page.check('input[name="selected"][value$="x3.txt"]')
    page.click("#delete-selected")
    dialog = page.wait_for_selector("#confirm-dialog")
    assert "Delete 2 objects?" in dialog.inner_text()
    page.click("#confirm-delete")
    page.wait_for_selector("#bulk-result")
    expect(page.locator(".object-row")).to_have_count(1)
    assert page.locator(".object-row").inner_text().strip().startswith("x2.txt")


def test_folder_upload_keeps_relative_paths(
    logged_in_page, live_server, cos_client, folder, tmp_path
) -> None:
    tree = tmp_path / "album"
    (tree / "2024").mkdir(parents=True)
    (tree / "cover.txt").write_bytes(b"cover")
    (tree / "2024" / "a.txt").write_bytes(b"a")
    page = logged_in_page
    open_folder(page, live_server, folder)
    page.set_input_files("#upload-folder", tree)
    page.wait_for_selector("#upload-list .upload-done >> nth=1")
    page.wait_for_selector(".folder-row >> text=album/")
    assert (
        cos_client.get_object(Bucket=BUCKET, Key=f"{folder}album/2024/a.txt")["Body"].read_all()
        == b"a"
    )
    assert cos_client.object_exists(Bucket=BUCKET, Key=f"{folder}album/cover.txt")


def test_large_files_go_to_the_large_upload_hand_off_or_are_refused(
    logged_in_page, live_server, cos_client, folder, settings
) -> None:
    settings.CONSOLE_DIRECT_UPLOAD_MAX_BYTES = 1000
    page = logged_in_page
    open_folder(page, live_server, folder)
    big = {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"b" * 2000}

    # Without the jobs area's function: refused with a message, nothing sent.
    page.evaluate("() => { window.cosConsoleLargeUpload = undefined; }")
    page.set_input_files("#upload-files", files=[big])
    failed = page.wait_for_selector("#upload-list .upload-failed")
    assert "too large for a direct upload" in failed.inner_text()
    assert not cos_client.object_exists(Bucket=BUCKET, Key=folder + "big.bin")

    # With it: the file is handed over with bucket and key, and its callbacks drive the row.
    page.evaluate(
        """() => { window.cosConsoleLargeUpload = (file, opts) => {
            window.handedOver = [file.name, file.size, opts.bucket, opts.key];
            opts.onProgress(0.5); opts.onDone(); }; }"""
    )
    page.set_input_files("#upload-files", files=[big])
    page.wait_for_selector("#upload-list .upload-done")
    handed = page.evaluate("() => window.handedOver")
    assert handed == ["big.bin", 2000, BUCKET, folder + "big.bin"]


def test_drag_and_drop_uploads_into_the_current_folder(
    logged_in_page, live_server, cos_client, folder
) -> None:
    page = logged_in_page
    open_folder(page, live_server, folder)
    transfer = page.evaluate_handle(
        """() => { const dt = new DataTransfer();
            dt.items.add(new File(["dropped!"], "dropped.txt", {type: "text/plain"}));
            return dt; }"""
    )
    page.dispatch_event("#upload-area", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("#upload-area", "drop", {"dataTransfer": transfer})
    page.wait_for_selector("#upload-list .upload-done")
    page.wait_for_selector(".object-row >> text=dropped.txt")
    body = cos_client.get_object(Bucket=BUCKET, Key=folder + "dropped.txt")["Body"].read_all()
    assert body == b"dropped!"
