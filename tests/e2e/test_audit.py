"""An admin acts, then finds the action in the audit log, in headless Chromium."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

BUCKET = "e2e-1250000000"


def test_admin_sees_own_actions_in_the_audit_log(
    page, live_server, console_cos, cos_client, django_user_model
) -> None:
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
    log_in(page, live_server, django_user_model, username="ada", role="admin")

    name = f"audit-{uuid.uuid4().hex[:6]}"
    page.goto(f"{live_server.url}/b/{BUCKET}/")
    page.fill("#folder-name", name)
    page.click("#folder-form button")
    page.wait_for_selector(f".folder-row >> text={name}/")

    page.click("#nav-audit")
    page.wait_for_selector("#audit-table")
    row = page.locator(".audit-row", has_text=f"{name}/")
    assert row.count() == 1
    assert "folder.create" in row.inner_text() and "ada" in row.inner_text()
    page.select_option("select[name=action]", "folder.create")
    page.click("#audit-filters button")
    page.wait_for_url("**action=folder.create**")
    assert page.locator(".audit-row").count() == 1
