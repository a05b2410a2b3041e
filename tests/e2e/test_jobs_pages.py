"""The jobs page and a job's page in Chromium: filters, the per-item report, Chinese throughout,
and no accessibility violations (axe-core)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from objects_app.models import ItemOutcome, JobItem, JobState
from tests.e2e.conftest import english_left, log_in
from tests.e2e.test_unfinished_uploads import axe_violations
from tests.jobs.factories import make_job

pytestmark = pytest.mark.e2e


def finished_delete(user):  # type: ignore[no-untyped-def]
    job = make_job(user, "delete", phase="delete", state=JobState.PARTIALLY_FAILED, total=3,
                   done=2, failed=1, bytes_done=30, params={"prefixes": ["logs/"]},
                   started_at=timezone.now(), finished_at=timezone.now())  # fmt: skip
    outcomes = [ItemOutcome.DONE, ItemOutcome.DONE, ItemOutcome.FAILED]
    for seq, (key, outcome) in enumerate(
        zip(["logs/a", "logs/b", "logs/c"], outcomes, strict=True)
    ):
        code = "AccessDenied" if outcome == ItemOutcome.FAILED else ""
        JobItem.objects.create(
            job=job, seq=seq, key=key, size=15, outcome=outcome, reason_code=code
        )
    return job


def test_jobs_pages_filter_report_and_pass_axe(page, live_server, console_cos, django_user_model):
    log_in(page, live_server, django_user_model, username="oscar", role="operator")
    user = django_user_model.objects.get(username="oscar")
    job = finished_delete(user)
    make_job(user, state=JobState.SUCCEEDED, params={"prefix": "counted/"})
    page.goto(f"{live_server.url}/jobs/")
    assert page.locator(".job-row").count() == 2
    assert axe_violations(page) == []
    page.select_option("#job-kind", "delete")
    page.wait_for_function("() => document.querySelectorAll('.job-row').length === 1")
    assert "kind=delete" in page.url
    page.click(f"#job-row-{job.pk} a")
    page.wait_for_selector("#job-report")
    assert page.locator(".job-items tbody tr").count() == 3
    assert axe_violations(page) == []
    page.click("#job-report nav a:has-text('Failed')")
    page.wait_for_function("() => document.querySelectorAll('.job-items tbody tr').length === 1")
    assert "logs/c" in page.locator(".job-items").inner_text()
    assert "AccessDenied" in page.locator(".job-items").inner_text()


def test_jobs_pages_speak_chinese(zh_page, live_server, console_cos, django_user_model):
    page = zh_page
    log_in(page, live_server, django_user_model, username="zhou", role="operator")
    job = finished_delete(django_user_model.objects.get(username="zhou"))
    for path in ("/jobs/", f"/jobs/{job.pk}/"):
        page.goto(f"{live_server.url}{path}")
        assert english_left(page) == [], path
