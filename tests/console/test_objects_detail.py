"""Object detail, downloads (streamed, ranged, or redirected) and share links."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from objects_app.models import AuditEvent
from tests.console.conftest import SCRATCH_BUCKET as BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(key: str, bucket: str = BUCKET, **extra: str) -> str:
    return reverse("objects:object-detail", args=[bucket]) + "?" + urlencode({"key": key, **extra})


def download(key: str, **extra: str) -> str:
    return (
        reverse("objects:object-download", args=[BUCKET]) + "?" + urlencode({"key": key, **extra})
    )


def test_detail_shows_all_head_metadata(client, bob, cos_client, scratch):
    key = f"{scratch}report.csv"
    put = cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"a,b\n1,2\n", ContentType="text/csv",
        CacheControl="no-cache", Metadata={"x-cos-meta-owner": "finance"},
    )  # fmt: skip
    client.force_login(bob)
    response = client.get(detail(key))
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert put["x-cos-hash-crc64ecma"] in body
    assert put["x-cos-version-id"] in body
    assert put["ETag"].strip('"') in body
    for text in ("text/csv", "no-cache", "x-cos-meta-owner", "finance", "STANDARD", "8 bytes"):
        assert text in body
    assert 'id="text-preview" translate="no" tabindex="0">a,b\n1,2\n</pre>' in body
    assert download(key) in body


def test_detail_htmx_request_gets_the_metadata_partial(client, bob, cos_client, scratch):
    key = f"{scratch}p.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(bob)
    response = client.get(detail(key), **HTMX, HTTP_HX_TARGET="object-meta")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<table class="meta" id="object-meta"')


def test_detail_of_an_older_version(client, bob, cos_client, scratch):
    key = f"{scratch}v.txt"
    first = cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"one")["x-cos-version-id"]
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"two!")
    client.force_login(bob)
    body = client.get(detail(key, version_id=first)).content.decode()
    assert first in body and ">one</pre>" in body
    assert "This is an old version, not the current object." in body
    # No edit of the current object from an old version's page.
    for form in ("metadata-form", "storage-class-form", "copy-form", "delete-form"):
        assert f'id="{form}"' not in body
    got = client.get(download(key, version_id=first))
    assert b"".join(got.streaming_content) == b"one"


def test_current_version_opened_by_its_id_is_not_called_old(client, bob, cos_client, scratch):
    key = f"{scratch}cur.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"one")
    current = cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"two")["x-cos-version-id"]
    client.force_login(bob)
    body = client.get(detail(key, version_id=current)).content.decode()
    assert 'id="old-version-notice"' not in body and 'id="download-link"' in body


def test_metadata_save_naming_a_version_is_refused(client, bob, cos_client, scratch):
    """Saving headers "on" an old version would make a new current version mixing both."""
    key = f"{scratch}meta.txt"
    first = cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"one")["x-cos-version-id"]
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"two", ContentType="text/plain")
    bob.groups.add(Group.objects.get_or_create(name="operator")[0])
    client.force_login(bob)
    response = client.post(
        reverse("objects:object-metadata", args=[BUCKET]),
        {"key": key, "version_id": first, "content_type": "text/html"}, **HTMX,
    )  # fmt: skip
    assert response.status_code == 422
    assert "old version" in response.content.decode()
    assert cos_client.head_object(Bucket=BUCKET, Key=key)["Content-Type"] == "text/plain"


def test_malformed_version_id_is_refused(client, bob, cos_client, scratch):
    key = f"{scratch}mv.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(bob)
    response = client.get(detail(key, version_id="bad id<>"))
    assert response.status_code == 400  # a malformed address, not a form filled in badly
    assert "This is not a valid version id." in response.content.decode()


def test_archive_object_shows_restore_state_and_no_preview(client, bob, cos_client, scratch):
    key = f"{scratch}cold.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"zzz", StorageClass="ARCHIVE")
    client.force_login(bob)
    body = client.get(detail(key)).content.decode()
    assert "ARCHIVE" in body and 'id="restore-state"' in body
    assert "restore it before reading" in body
    assert "text-preview" not in body
    cos_client.restore_object(
        Bucket=BUCKET, Key=key, RestoreRequest={"Days": 1, "CASJobParameters": {"Tier": "Bulk"}}
    )
    body = client.get(detail(key)).content.decode()
    assert re.search(r"Restoring, Bulk tier, requested \d{4}-\d\d-\d\d \d\d:\d\d UTC", body)
    assert 'hx-trigger="every 5s"' in body  # the state refreshes by itself while in progress
    assert 'id="download-link"' not in body and 'id="share-form"' not in body
    assert "Restore it first" in body


def test_image_preview_is_served_inline_with_a_sandbox_csp(client, bob, cos_client, scratch):
    key = f"{scratch}logo.svg"
    cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        ContentType="image/svg+xml",
    )  # fmt: skip
    client.force_login(bob)
    body = client.get(detail(key)).content.decode()
    assert 'id="image-preview"' in body and "inline=1" in body
    response = client.get(download(key, inline="1"))
    assert response["Content-Disposition"].startswith("inline;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_html_is_never_served_inline(client, bob, cos_client, scratch):
    key = f"{scratch}page.html"
    cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"<script>alert(1)</script>", ContentType="text/html"
    )
    client.force_login(bob)
    response = client.get(download(key, inline="1"))
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_missing_key_is_a_clear_404(client, bob, scratch):
    """The HEAD's bare 404 becomes a message that names the missing key (not COS's "The
    Resource You Head Not Exist")."""
    client.force_login(bob)
    response = client.get(detail(f"{scratch}nothing-<here>"))
    body = html.unescape(response.content.decode())
    assert response.status_code == 404
    assert "Not found" in body and "Traceback" not in body and "Head Not Exist" not in body
    assert f"There is no object named “{scratch}nothing-<here>” in bucket {BUCKET}" in body
    zh = client.get(detail(f"{scratch}nothing-<here>"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert f"{scratch}nothing-&lt;here&gt;" in zh.content.decode()
    assert "There is no object" not in zh.content.decode()


def test_download_streams_the_whole_object(client, bob, cos_client, scratch):
    key = f"{scratch}big.bin"
    data = bytes(range(256)) * 4096  # 1 MiB
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=data)
    client.force_login(bob)
    response = client.get(download(key))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Length"] == str(len(data))
    assert response["Accept-Ranges"] == "bytes"
    chunks = list(response.streaming_content)
    assert b"".join(chunks) == data
    # Streamed in bounded chunks straight from COS's response, never read whole into memory.
    assert len(chunks) >= 4 and max(len(c) for c in chunks) <= 256 * 1024


def test_download_honours_a_single_range(client, bob, cos_client, scratch):
    key = f"{scratch}range.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"0123456789")
    client.force_login(bob)
    response = client.get(download(key), HTTP_RANGE="bytes=2-5")
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 2-5/10"
    assert b"".join(response.streaming_content) == b"2345"
    suffix = client.get(download(key), HTTP_RANGE="bytes=-3")
    assert b"".join(suffix.streaming_content) == b"789"


def test_unsatisfiable_range_is_416_and_multi_ranges_are_ignored(client, bob, cos_client, scratch):
    key = f"{scratch}range2.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"0123456789")
    client.force_login(bob)
    assert client.get(download(key), HTTP_RANGE="bytes=50-60").status_code == 416
    whole = client.get(download(key), HTTP_RANGE="bytes=0-1,4-5")
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == b"0123456789"


@pytest.mark.parametrize(
    "name",
    ['we"ird;name.txt', "中文 文件.txt", "100%+sure?#.txt", "line\r\nbreak.txt"],
)
def test_content_disposition_is_safe_for_any_key(client, bob, cos_client, scratch, name):
    key = f"{scratch}{name}"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(bob)
    response = client.get(download(key))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.startswith('attachment; filename="')
    assert header.endswith("filename*=UTF-8''" + quote(name, safe=""))
    assert "\r" not in header and "\n" not in header
    assert header.count('"') == 2  # the fallback's own quotes only
    assert b"".join(response.streaming_content) == b"x"


def test_download_can_redirect_to_a_presigned_url(client, bob, cos_client, scratch, settings):
    settings.CONSOLE_DOWNLOAD_REDIRECT = True
    key = f"{scratch}r.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(bob)
    response = client.get(download(key))
    assert response.status_code == 302
    assert "q-signature=" in response["Location"] and "r.txt" in response["Location"]
    # COS cannot send our sandbox CSP: a redirected download is a signed attachment.
    assert "response-content-disposition=attachment" in response["Location"]
    assert "response-content-disposition" in response["Location"].split("q-url-param-list=")[1]
    assert "coslocal-test-secret-key" not in response["Location"]


def test_share_link_expiry_is_capped_and_audited(client, bob, cos_client, scratch, settings):
    settings.CONSOLE_MAX_SHARE_SECONDS = 600
    key = f"{scratch}s.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(bob)
    response = client.post(
        reverse("objects:object-share", args=[BUCKET]), {"key": key, "expires": 86400}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="share-url"' in body
    end = body.split("q-sign-time=")[1].split("&")[0].split("%3B")[1]
    assert abs(int(end) - (time.time() + 600)) < 5  # capped from one day to ten minutes
    [event] = AuditEvent.objects.filter(action="object.share")
    assert event.username == "bob" and event.key == key and "600" in event.detail


def test_share_of_a_missing_object_fails_clearly(client, bob, scratch):
    client.force_login(bob)
    response = client.post(
        reverse("objects:object-share", args=[BUCKET]),
        {"key": f"{scratch}missing", "expires": 3600},
        **HTMX,
    )
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#flash"
    assert AuditEvent.objects.get(action="object.share").outcome == "error"


@pytest.mark.parametrize(
    "status,code,shown,title",
    [(403, "AccessDenied", 403, b"Access denied"), (503, "ServiceUnavailable", 502, b"try again")],
)
def test_cos_errors_become_clear_messages(
    client, bob, cos_client, coslocal, scratch, status, code, shown, title
):
    key = f"{scratch}guarded.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(bob)
    # count covers the client's retries of a 5xx (4 attempts), so the error reaches the view.
    coslocal.set_faults(mode="error", status=status, code=code, count=4, path_prefix="/" + key)
    try:
        page = client.get(detail(key))
    finally:
        coslocal.clear_faults()
    assert page.status_code == shown
    assert title in page.content and b"Traceback" not in page.content
    assert b"<html" in page.content  # a full page for a normal request, #flash for htmx
