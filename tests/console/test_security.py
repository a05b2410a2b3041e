"""Escaping, odd keys, security headers, no credentials in pages, deploy checks."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import pytest
from django.urls import reverse

from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY
from objects_app.services.audit import audit_record

pytestmark = pytest.mark.usefixtures("console_cos")

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "security-1250000000"
XSS_KEYS = ["<img src=x onerror=alert(1)>.txt", '"><script>alert(1)</script>.txt', "a'b\"c&d.txt"]
ODD_KEYS = [
    "with space.txt", "100%.txt", "a+b.txt", "hash#tag.txt", "what?.txt", "中文/文件.txt",
    "dots/../up.txt", "./dot.txt", "amp&key=1.txt", "emoji 🎉.txt",
]  # fmt: skip


@pytest.fixture
def scratch(cos_client) -> str:  # type: ignore[no-untyped-def]
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
    return f"s-{uuid.uuid4().hex[:10]}/"


def hrefs(body: str, css_class: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'class="{css_class}" href="([^"]+)"', body)]


class _RowParts(HTMLParser):
    """The folder table's object rows as the browser reads them: checkbox, link, name cell."""

    def __init__(self) -> None:
        super().__init__()
        self.checkboxes: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.names: list[str] = []
        self._in_name = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") == "selected":
            self.checkboxes.append(found)
        elif tag == "a" and found.get("class") == "object-link":
            self.links.append(found["href"] or "")
        elif tag == "code" and self.links and len(self.names) < len(self.links):
            self._in_name = True
            self.names.append("")

    def handle_data(self, data: str) -> None:
        if self._in_name:
            self.names[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self._in_name = False


def test_object_rows_carry_hostile_keys_exactly_and_in_chinese(client, alice, cos_client, scratch):
    """The rows are built in Python (objects_app/templatetags/object_rows.py): every value the
    browser reads back (checkbox value, label, link, name) is the key itself, escaped once."""
    # (A name with "/" would be a folder: those rows are another test's.)
    keys = sorted(scratch + name for name in [*XSS_KEYS, "<b>&amp;\"'.txt"] if "/" not in name)
    for key in keys:
        cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(alice)
    body = client.get(
        reverse("objects:object-list", args=[BUCKET]), {"prefix": scratch},
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    ).content.decode()  # fmt: skip
    rows = _RowParts()
    rows.feed(body)
    names = [key[len(scratch) :] for key in keys]
    assert [box["value"] for box in rows.checkboxes] == keys
    assert [box["aria-label"] for box in rows.checkboxes] == [f"选择 {n}" for n in names]
    assert [parse_qs(urlsplit(href).query)["key"] for href in rows.links] == [[k] for k in keys]
    assert rows.names == names


@pytest.mark.parametrize("name", XSS_KEYS)
def test_hostile_keys_and_metadata_render_as_text(client, alice, cos_client, scratch, name):
    key = scratch + name
    cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"<script>alert(2)</script>", ContentType="text/plain",
        Metadata={"x-cos-meta-note": "<b onmouseover=alert(3)>hi</b>"},
    )  # fmt: skip
    client.force_login(alice)
    listing = client.get(reverse("objects:object-list", args=[BUCKET]), {"prefix": scratch})
    detail = client.get(
        reverse("objects:object-detail", args=[BUCKET]) + "?" + urlencode({"key": key})
    )
    for body in (listing.content.decode(), detail.content.decode()):
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "<b onmouseover" not in body
    assert html.escape(key) in detail.content.decode()
    assert html.escape(name.split("/")[0]) in listing.content.decode()
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in detail.content.decode()


def test_hostile_values_in_the_audit_page_are_escaped(client, alice, db):
    from django.contrib.auth.models import Group

    alice.groups.add(Group.objects.get_or_create(name="admin")[0])
    audit_record(user=alice, action="object.delete", bucket="b", key="<script>alert(1)</script>")
    client.force_login(alice)
    body = client.get(reverse("objects:audit-list")).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


def test_odd_keys_round_trip_from_listing_to_detail_and_download(client, bob, cos_client, scratch):
    for n, name in enumerate(ODD_KEYS):
        cos_client.put_object(Bucket=BUCKET, Key=scratch + name, Body=f"body {n}".encode())
    client.force_login(bob)
    seen: dict[str, str] = {}
    queue = [scratch]
    while queue:  # walk the folders, as a person would
        body = client.get(
            reverse("objects:object-list", args=[BUCKET]), {"prefix": queue.pop()}
        ).content.decode()
        for href in hrefs(body, "object-link"):
            page = client.get(href)
            assert page.status_code == 200, href
            shown = re.search(
                r'<th scope="row">Key</th><td><code class="key" translate="no">([^<]*)</code>',
                page.content.decode(),
            )
            key = html.unescape(shown.group(1))  # type: ignore[union-attr]
            seen[key] = href
        for folder in re.findall(r'<tr class="folder-row">\s*<td><a href="\?prefix=([^"&]+)', body):
            queue.append(unquote_plus(html.unescape(folder)))
    assert sorted(seen) == sorted(scratch + name for name in ODD_KEYS)
    for n, name in enumerate(ODD_KEYS):
        href = seen[scratch + name].replace("/object/", "/download/")
        got = client.get(href)
        assert b"".join(got.streaming_content) == f"body {n}".encode(), name


def test_security_headers_on_pages(client, bob, db):
    client.force_login(bob)
    response = client.get(reverse("objects:bucket-list"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_carry_no_inline_scripts(client, alice, demo_bucket):
    client.force_login(alice)
    for url in (
        reverse("objects:bucket-list"),
        reverse("objects:object-list", args=[demo_bucket]),
        reverse("objects:object-detail", args=[demo_bucket]) + "?key=README.txt",
    ):
        body = client.get(url).content.decode()
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)
        assert scripts and all("src=" in attrs and not code.strip() for attrs, code in scripts)
        assert "hx-on" not in body and "javascript:" not in body


def test_credentials_never_reach_the_browser(client, alice, demo_bucket, cos_client):
    client.force_login(alice)
    detail = reverse("objects:object-detail", args=[demo_bucket]) + "?key=README.txt"
    share = client.post(
        reverse("objects:object-share", args=[demo_bucket]), {"key": "README.txt", "expires": 900}
    )
    pages = [
        client.get(reverse("objects:bucket-list")),
        client.get(reverse("objects:object-list", args=[demo_bucket])),
        client.get(detail),
        share,
    ]
    for response in pages:
        assert response.status_code == 200
        assert SECRET_KEY not in response.content.decode()
        assert all(SECRET_KEY not in value for value in response.headers.values())


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # The e2e conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never would.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SECURE": "true",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x7" + uuid.uuid4().hex + uuid.uuid4().hex + "-Qz!",
        "DJANGO_ALLOWED_HOSTS": "console.example.com",
        "CONSOLE_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
