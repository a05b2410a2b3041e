"""A person logs in and browses the demo bucket, in headless Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_login_page_rejects_a_wrong_password(page, live_server, django_user_model) -> None:
    django_user_model.objects.create_user(username="olivia", password="s3cret-pass-1")
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".flash-error").inner_text().startswith("Your username and password")


def test_log_in_open_demo_bucket_and_browse_into_a_folder_and_back(
    logged_in_page, live_server, demo_bucket
) -> None:
    page = logged_in_page
    page.click(f"text={demo_bucket}")
    page.wait_for_selector("#object-table")
    assert page.locator(".folder-row", has_text="photos/").count() == 1
    assert page.locator(".object-row", has_text="README.txt").count() == 1

    page.click(".folder-row >> text=photos/")
    page.wait_for_selector(".folder-row >> text=2023/")
    assert "prefix=photos%2F" in page.url  # hx-push-url keeps the state in the URL
    page.click(".folder-row >> text=2023/")
    page.wait_for_selector(".folder-row >> text=06/")
    assert page.locator(".crumbs").inner_text().replace(" ", "").endswith("photos/2023/")

    page.go_back()
    page.wait_for_selector(".folder-row >> text=2024/")
    assert "prefix=photos%2F" in page.url and "2023" not in page.url
    page.click(f".crumbs >> text={demo_bucket}")
    page.wait_for_selector(".folder-row >> text=photos/")
    assert "prefix" not in page.url
