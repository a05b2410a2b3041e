"""A share link opened in Chromium reaches coslocal by the bucket's `*.localhost` host."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from objects_app.selectors.objects import object_presigned_url

pytestmark = pytest.mark.e2e


def test_chromium_opens_a_share_link(page, console_cos, cos_client, settings, demo_bucket) -> None:
    settings.COS_PUBLIC_ENDPOINT = f"cos.ap-guangzhou.localhost:{console_cos.port}"
    cos_client.put_object(
        Bucket=demo_bucket, Key="shared/hello.txt", Body=b"hello from a share link",
        ContentType="text/plain",
    )  # fmt: skip
    url = object_presigned_url(bucket=demo_bucket, key="shared/hello.txt", expires=300)
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.inner_text("body").strip() == "hello from a share link"


def test_chromium_downloads_a_shared_html_page_instead_of_running_it(
    page, client, console_cos, cos_client, settings, demo_bucket, django_user_model
) -> None:
    """A share link is made through the console, as a user makes one; Chromium opening it must
    save the file, not render it on the bucket's origin (where its script would run)."""
    from django.contrib.auth.models import Group
    from django.urls import reverse
    from playwright.sync_api import Error as PlaywrightError

    settings.COS_PUBLIC_ENDPOINT = f"cos.ap-guangzhou.localhost:{console_cos.port}"
    body = b"<html><body><h1>Sign in again</h1><script>alert('phished')</script></body></html>"
    cos_client.put_object(
        Bucket=demo_bucket, Key="shared/login.html", Body=body, ContentType="text/html"
    )
    viewer = django_user_model.objects.create_user(username="vera", password="x")
    viewer.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client.force_login(viewer)
    made = client.post(
        reverse("objects:object-share", args=[demo_bucket]),
        {"key": "shared/login.html", "expires": 900},
    ).content.decode()
    url = html.unescape(re.search(r'id="share-url" value="([^"]+)"', made).group(1))  # type: ignore[union-attr]

    dialogs: list[str] = []

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    with page.expect_download(timeout=10_000) as info:
        try:
            page.goto(url)
        except PlaywrightError as exc:  # Chromium aborts a navigation that became a download
            assert "Download is starting" in str(exc) or "net::ERR_ABORTED" in str(exc)
    download = info.value
    assert download.suggested_filename == "login.html"
    assert Path(download.path()).read_bytes() == body
    assert dialogs == [] and "Sign in again" not in page.content()
