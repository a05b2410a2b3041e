"""The public-exposure report in headless Chromium: totals, filters, pages, the CSV download,
and the checks every screen passes (axe, 390 px, zh-Hans). The findings come from a real audit
in tests/jobs/test_exposure_audit.py; here they are written directly so the screen is tested
on its own."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from objects_app.models import ExposureFinding, Job
from objects_app.selectors.exposure import AUDIT_KIND
from tests.console.exposure_seed import seed_exposure_bucket
from tests.e2e.conftest import (
    assert_no_axe_violations,
    assert_no_sideways_scroll,
    english_left,
    log_in,
)
from tests.jobs import conftest as jobs_fixtures

job_settings = jobs_fixtures.job_settings
start_worker = jobs_fixtures.start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("console_cos")]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
BUCKET = "report-1250000000"


@pytest.fixture
def run(cos_client) -> Job:  # type: ignore[no-untyped-def]
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
    previous = Job.objects.create(kind=AUDIT_KIND, bucket=BUCKET, state="succeeded",
                                  params={"prefix": ""}, done=300, finished_at=timezone.now(),
                                  result={"totals": {"public": 1, "unknown": 0}})  # fmt: skip
    totals = {"public": 130, "unknown": 1, "new": 1, "was_public": 1, "scanned": 300,
              "by_reason": {"object-acl": 120, "policy-allow": 10}}  # fmt: skip
    job = Job.objects.create(kind=AUDIT_KIND, bucket=BUCKET, state="succeeded",
                             params={"prefix": ""}, done=300, finished_at=timezone.now(),
                             result={"totals": totals, "previous": previous.pk})  # fmt: skip
    rows = [ExposureFinding(job=job, key=f"img/{n:03d}.png", status="public", reason="object-acl",
                            detail="public-read") for n in range(120)]  # fmt: skip
    rows += [ExposureFinding(job=job, key=f"site/{n}.html", status="public", reason="policy-allow",
                             detail="statement 1: cos:GetObject on site/*", new=n == 0)
             for n in range(10)]  # fmt: skip
    rows.append(ExposureFinding(job=job, key="vault/x", status="unknown", reason="acl-unreadable",
                                detail="403 AccessDenied"))  # fmt: skip
    rows.append(ExposureFinding(job=job, key="old/y", status="was_public", reason="object-acl",
                                detail="public-read"))  # fmt: skip
    ExposureFinding.objects.bulk_create(rows)
    return job


def test_report_filters_pages_and_csv(page, live_server, django_user_model, run):  # type: ignore[no-untyped-def]
    log_in(page, live_server, django_user_model, username="rita", role="viewer")
    page.goto(f"{live_server.url}/")
    page.click(f'.last-audit a[href="/exposure/{run.pk}/"]')
    page.wait_for_selector("#report-rows-table")
    assert page.locator("#total-public").inner_text().startswith("130")
    assert "120 through the object's ACL" in page.locator("#total-public").inner_text()
    assert (
        page.locator("#total-diff")
        .inner_text()
        .startswith("1 became public, 1 stopped being public")
    )
    assert page.locator(".finding").count() == 100
    page.click("#report-more a")
    expect(page.locator(".finding")).to_have_count(130)
    assert_no_axe_violations(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "exposure-report.png"), full_page=True)
    page.select_option("#report-reason", "policy-allow")
    page.click("#report-filter")
    expect(page.locator(".finding")).to_have_count(10)
    assert "reason=policy-allow" in page.url
    with page.expect_download() as info:
        page.click("#report-csv")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["key", "version_id"]
    assert [r[0] for r in rows[1:]] == [f"site/{n}.html" for n in range(10)]
    page.select_option("#report-show", "was_public")
    page.select_option("#report-reason", "")
    page.click("#report-filter")
    expect(page.locator(".finding")).to_have_count(1)
    assert "old/y" in page.locator("#report-rows-table").inner_text()


def test_report_on_a_phone_and_in_chinese(phone_page, zh_page, live_server, django_user_model,
                                          run):  # type: ignore[no-untyped-def]  # fmt: skip
    for n, each in enumerate((phone_page, zh_page)):
        log_in(each, live_server, django_user_model, username=f"rv{n}", role="admin")
        for url in (f"/exposure/{run.pk}/", f"/b/{BUCKET}/exposure/"):
            each.goto(live_server.url + url)
            each.wait_for_selector("#report-rows-table, #audit-runs")
            if each is phone_page:
                assert_no_sideways_scroll(each)
                assert_no_axe_violations(each)
            else:
                assert english_left(each) == []
    zh_page.goto(f"{live_server.url}/exposure/{run.pk}/")
    zh_page.screenshot(path=str(SHOTS / "exposure-report-zh.png"), full_page=True)


@pytest.mark.worker
def test_admin_audits_then_makes_the_public_set_private(page, live_server, django_user_model,
                                                        cos_client, start_worker):  # type: ignore[no-untyped-def]  # fmt: skip
    bucket = "e2eaudit-1250000000"
    seed_exposure_bucket(cos_client, bucket)
    start_worker()
    log_in(page, live_server, django_user_model, username="audra", role="admin")
    page.goto(f"{live_server.url}/b/{bucket}/permissions/")
    page.click("#exposure-audits-link")
    page.click("#audit-start")
    expect(page.locator("#audit-state")).to_have_attribute("data-state", "succeeded",
                                                          timeout=60_000)  # fmt: skip
    assert page.locator("#total-public").inner_text().startswith("7")
    expect(page.locator(".finding")).to_have_count(7)
    page.goto(f"{live_server.url}/b/{bucket}/?prefix=acl%2F")
    marked = page.locator(".object-row", has=page.locator(".public-marker"))
    expect(marked).to_have_count(3)
    page.go_back()
    page.click("#make-private")
    dialog = page.locator("#dialog")
    expect(dialog.locator(".job-state")).to_have_text("Dry run done: confirm below",
                                                      timeout=60_000)  # fmt: skip
    expect(dialog).to_contain_text("2 stay public through the bucket policy")
    assert_no_axe_violations(page)
    dialog.locator(".make-private-confirm button").click()
    expect(dialog.locator(".job-state")).to_have_text("Succeeded", timeout=60_000)
    assert cos_client.get_object_acl(Bucket=bucket, Key="acl/public.txt")["CannedACL"] == "private"
