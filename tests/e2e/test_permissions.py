"""Permissions in headless Chromium: the object panel (view, edit, confirm), the bucket page,
"who can read this?", and the checks every screen passes (axe, 390 px, zh-Hans)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import APPID, REGION
from tests.e2e.conftest import (
    assert_no_axe_violations,
    assert_no_sideways_scroll,
    english_left,
    log_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("console_cos")]
ANY = "qcs::cam::anyone:anyone"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
_names = itertools.count()


@pytest.fixture
def bucket(cos_client) -> str:  # type: ignore[no-untyped-def]
    name = f"e2eperm{next(_names)}-{APPID}"
    if not cos_client.bucket_exists(name):
        cos_client.create_bucket(Bucket=name)
    cos_client.put_object(Bucket=name, Key="docs/report.txt", Body=b"numbers")
    cos_client.put_object(Bucket=name, Key="public/logo.txt", Body=b"logo", ACL="public-read")
    policy = {
        "version": "2.0",
        "statement": [
            {
                "effect": "allow",
                "principal": {"qcs": [ANY]},
                "action": ["name/cos:GetObject"],
                "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{name}/public/*"],
            },
            {
                "effect": "deny",
                "principal": {"qcs": [ANY]},
                "action": ["name/cos:*"],
                "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{name}/docs/secret/*"],
            },
        ],
    }
    cos_client.put_bucket_policy(Bucket=name, Policy=policy)
    return name


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_object(page, live_server, bucket: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/b/{bucket}/object/?key={quote(key, safe='')}")
    page.wait_for_selector("#access-answer")


def test_demo_logo_says_public_to_a_viewer(page, live_server, django_user_model, demo_bucket):  # type: ignore[no-untyped-def]
    log_in(page, live_server, django_user_model, username="vera", role="viewer")
    open_object(page, live_server, demo_bucket, "public/logo.svg")
    answer = page.locator("#access-answer").inner_text()
    assert answer == (
        "Public. Anyone on the internet can read this object, because its ACL grants public-read."
    )
    grants = page.locator("#acl-grants tbody tr")
    assert grants.count() == 1
    assert "everyone (anonymous included)" in grants.nth(0).inner_text()
    assert "http://cam.qcloud.com/groups/global/AllUsers" in grants.nth(0).inner_text()
    assert page.locator("#canned-form").count() == 0
    assert page.locator("#acl-admins-only").inner_text() == "Only admins can change permissions."
    assert_no_axe_violations(page)
    shot(page, "object-permissions-viewer")


def test_admin_makes_an_object_public_after_confirming(
    page, live_server, django_user_model, bucket, cos_client
):  # type: ignore[no-untyped-def]
    log_in(page, live_server, django_user_model, username="adam", role="admin")
    open_object(page, live_server, bucket, "docs/report.txt")
    assert page.locator("#access-answer").inner_text() == (
        "Not public. Only the account and the grants below can read it."
    )
    page.select_option("#canned-select", "public-read")
    page.click("#canned-submit")
    page.wait_for_selector("#acl-confirm")
    dialog = page.locator("#dialog")
    assert "Anyone on the internet can read this object, because its ACL grants public-read." in (
        dialog.inner_text()
    )
    focused = page.evaluate("() => document.activeElement.className")
    assert "dialog-close" in focused  # the safe choice has the focus
    assert_no_axe_violations(page)
    shot(page, "object-permissions-confirm")
    page.click("#dialog .dialog-close")
    assert cos_client.get_object_acl(Bucket=bucket, Key="docs/report.txt")["CannedACL"] == "default"
    page.click("#canned-submit")
    page.click("#confirm-public")
    page.wait_for_selector("#access-answer.access-public")
    assert "Permissions of docs/report.txt saved." in page.locator("#flash").inner_text()
    assert page.locator("#canned-acl").inner_text() == "public-read"
    assert cos_client.get_object_acl(Bucket=bucket, Key="docs/report.txt")["CannedACL"] == (
        "public-read"
    )


def test_admin_adds_and_removes_a_grant_and_sees_refusals(
    page, live_server, django_user_model, bucket, cos_client
):  # type: ignore[no-untyped-def]
    log_in(page, live_server, django_user_model, username="adele", role="admin")
    open_object(page, live_server, bucket, "docs/report.txt")
    page.fill("#grant-form-grantee", "not-a-uin")
    page.click("#grant-form-submit")
    error = page.locator("#grant-form .field-error")
    error.wait_for()
    assert "Enter an account uin" in error.inner_text()
    assert page.locator("#grant-form-grantee").get_attribute("aria-invalid") == "true"
    shot(page, "object-permissions-refusal")
    page.fill("#grant-form-grantee", "100000000002")
    page.select_option("#grant-form-permission", "READ")
    page.click("#grant-form-submit")
    page.wait_for_selector(".grant-row >> text=account 100000000002")
    assert "qcs::cam::uin/100000000002:uin/100000000002" in page.locator("#acl-grants").inner_text()
    page.click(".grant-row .remove-grant")
    page.wait_for_selector("#no-grants")
    grants = cos_client.get_object_acl(Bucket=bucket, Key="docs/report.txt")
    assert [g["Permission"] for g in grants["AccessControlList"]["Grant"]] == ["FULL_CONTROL"]


def test_bucket_page_policy_table_json_and_who_can_read(
    page, live_server, django_user_model, bucket
):  # type: ignore[no-untyped-def]
    log_in(page, live_server, django_user_model, username="vic", role="viewer")
    page.goto(f"{live_server.url}/b/{bucket}/")
    page.click("#bucket-permissions-link")
    page.wait_for_selector("#policy-statements")
    rows = page.locator("#policy-statements tbody tr")
    assert rows.count() == 2
    assert "Deny" in rows.nth(1).inner_text() and "docs/secret/*" in rows.nth(1).inner_text()
    assert (
        json.loads(page.locator("#policy-json").inner_text())["statement"][0]["effect"] == "allow"
    )
    page.fill("#who-target", "public/logo.txt")
    page.select_option("#who-scope", "object")
    page.click("#who-submit")
    page.wait_for_selector("#who-answer")
    assert (
        page.locator("#who-answer")
        .inner_text()
        .startswith(
            "Yes. Anyone on the internet can read this object, because its ACL grants public-read."
        )
    )
    page.fill("#who-target", "docs/")
    page.select_option("#who-scope", "prefix")
    page.click("#who-submit")
    page.wait_for_selector("#who-samples")
    text = page.locator("#who-answer").inner_text()
    assert text.startswith("It depends.")
    assert "for some of these keys, bucket policy statement 2 denies cos:* on docs/secret/*" in text
    assert "docs/report.txt" in page.locator("#who-samples").inner_text()
    assert_no_axe_violations(page)
    shot(page, "bucket-permissions")


def test_admin_policy_refusal_shows_next_to_the_field(page, live_server, django_user_model, bucket):  # type: ignore[no-untyped-def]
    log_in(page, live_server, django_user_model, username="ada2", role="admin")
    page.goto(f"{live_server.url}/b/{bucket}/permissions/")
    page.fill("#policy-text", '{"statement": [')
    page.click("#policy-submit")
    error = page.locator("#policy-form .field-error")
    error.wait_for()
    assert error.inner_text().startswith("This is not valid JSON (line 1, column")
    lock = {
        "version": "2.0",
        "statement": [
            {
                "effect": "deny",
                "principal": {"qcs": [ANY]},
                "action": ["name/cos:*"],
                "resource": ["*"],
            }
        ],
    }
    page.fill("#policy-text", json.dumps(lock))
    page.click("#policy-submit")
    page.wait_for_selector("#policy-form .field-error >> text=could no longer undo this policy")
    shot(page, "bucket-permissions-refusal")


def test_permission_screens_on_a_phone_and_in_chinese(
    phone_page, zh_page, live_server, django_user_model, bucket
):  # type: ignore[no-untyped-def]
    for n, each in enumerate((phone_page, zh_page)):
        log_in(each, live_server, django_user_model, username=f"admin{n}", role="admin")
        open_object(each, live_server, bucket, "public/logo.txt")
        each.goto(f"{live_server.url}/b/{bucket}/permissions/")
        each.wait_for_selector("#policy-statements")
        each.fill("#who-target", "docs/")
        each.click("#who-submit")
        each.wait_for_selector("#who-answer")
    for url in (f"/b/{bucket}/object/?key=public%2Flogo.txt", f"/b/{bucket}/permissions/"):
        phone_page.goto(live_server.url + url)
        phone_page.wait_for_selector("#object-permissions, #policy-statements")
        phone_page.wait_for_load_state("networkidle")
        assert_no_sideways_scroll(phone_page)
        assert_no_axe_violations(phone_page)
        zh_page.goto(live_server.url + url)
        zh_page.wait_for_selector("#object-permissions, #policy-statements")
        zh_page.wait_for_load_state("networkidle")
        assert english_left(zh_page) == []
    shot(phone_page, "bucket-permissions-390")
    shot(zh_page, "bucket-permissions-zh")
