"""Jobs pages, cancel, confirm, the sweep and claim rules, protected prefixes: no worker needed
(the task dispatch is captured on commit instead)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from objects_app.jobs import engine
from objects_app.jobs.sweep import jobs_sweep
from objects_app.models import AuditEvent, ItemOutcome, Job, JobItem, JobState
from tests.jobs.factories import make_job

HTMX = {"HTTP_HX_REQUEST": "true"}


def _job(user: User, prefix: str = "", **fields: Any) -> Job:
    return make_job(user, params={"prefix": prefix}, **fields)


def test_job_list_shows_own_jobs_full_page_and_partial(client, alice, bob) -> None:
    mine = _job(alice, prefix="mine/")
    _job(bob, prefix="theirs/")
    client.force_login(alice)
    page = client.get(reverse("objects:job-list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<html" in body and "mine/" in body and "theirs/" not in body
    partial = client.get(reverse("objects:job-list"), HTTP_HX_TARGET="job-table", **HTMX)
    assert "<html" not in partial.content.decode()
    assert f'id="job-row-{mine.pk}"' in partial.content.decode()


def test_admin_sees_every_users_jobs(client, alice, bob) -> None:
    _job(alice, prefix="a/")
    _job(bob, prefix="b/")
    admin = User.objects.create_superuser("root", password="pw-root")
    client.force_login(admin)
    body = client.get(reverse("objects:job-list")).content.decode()
    assert "a/" in body and "b/" in body


def test_progress_polls_while_active_and_stops_when_terminal(client, alice) -> None:
    job = make_job(alice, "delete", phase="delete", state=JobState.RUNNING, total=10, done=4,
                   started_at=timezone.now())  # fmt: skip
    client.force_login(alice)
    url = reverse("objects:job-detail", args=[job.pk])
    running = client.get(url, **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in running and "40%" in running and "Cancel" in running
    Job.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, done=10)
    done = client.get(url, **HTMX).content.decode()
    assert "hx-trigger" not in done and "Cancel" not in done and "100%" in done


def test_an_upload_waiting_for_the_browser_shows_both_sides_and_polls_slowly(client, alice) -> None:
    mib = 1024 * 1024
    job = make_job(
        alice, "upload", state=JobState.AWAITING_INPUT, total=4, received=3,
        bytes_total=4 * mib, bytes_done=2 * mib, started_at=timezone.now(),
        params={"size": 4 * mib, "chunk_size": mib},
    )  # fmt: skip
    client.force_login(alice)
    body = client.get(reverse("objects:job-detail", args=[job.pk]), **HTMX).content.decode()
    # The browser may resume at any time: the page keeps looking, just less often.
    assert 'hx-trigger="every 5s"' in body and "Waiting for the browser" in body
    assert "2.0\xa0MB of 4.0\xa0MB in COS" in body and "3.0\xa0MB received" in body
    assert "3 of 4 chunks" in body and "50%" in body


def test_cancel_is_a_one_time_conditional_transition(client, alice) -> None:
    job = _job(alice, state=JobState.QUEUED, done=7)
    client.force_login(alice)
    url = reverse("objects:job-cancel", args=[job.pk])
    first = client.post(url, **HTMX)
    assert first.status_code == 200 and "Cancelled" in first.content.decode()
    assert Job.objects.get(pk=job.pk).state == JobState.CANCELLED
    second = client.post(url, **HTMX)
    assert second.status_code == 409
    assert AuditEvent.objects.filter(action="job.prefix_summary.cancel").count() == 1
    # Nothing held the job, so its end is in the audit log at once: cancelled, and where.
    end = AuditEvent.objects.get(action="job.prefix_summary.finish")
    assert end.outcome == "error" and end.detail.startswith("cancelled at 7")


def test_cancel_of_another_users_job_is_not_found(client, alice, bob) -> None:
    job = _job(alice, state=JobState.RUNNING)
    client.force_login(bob)
    assert client.post(reverse("objects:job-cancel", args=[job.pk])).status_code == 404
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


def test_claim_takes_queued_or_stale_running_jobs_only(alice, settings) -> None:
    settings.CONSOLE_JOB_STALE_SECONDS = 60
    queued = _job(alice)
    first = engine.job_claim(queued.pk)
    assert first is not None
    assert engine.job_claim(queued.pk) is None  # a live run holds it now
    stale = timezone.now() - timedelta(seconds=120)
    Job.objects.filter(pk=queued.pk).update(heartbeat_at=stale)
    second = engine.job_claim(queued.pk)  # its run stopped beating: take over
    assert second is not None and second != first
    assert Job.objects.get(pk=queued.pk).run_token == second  # the old run's writes now miss
    finished = _job(alice, state=JobState.SUCCEEDED)
    assert engine.job_claim(finished.pk) is None


def test_finish_happens_once(alice) -> None:
    job = _job(alice, state=JobState.RUNNING)
    assert engine.job_finish(job.pk, state=JobState.SUCCEEDED) is True
    assert engine.job_finish(job.pk, state=JobState.FAILED, error_message="late") is False
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED


def test_sweep_reenqueues_only_stuck_jobs(alice, settings, django_capture_on_commit_callbacks):
    settings.CONSOLE_JOB_STALE_SECONDS = 60
    old = timezone.now() - timedelta(seconds=300)
    dead = _job(alice, state=JobState.RUNNING, heartbeat_at=old, run_token="dead")
    lost = _job(alice, state=JobState.QUEUED)
    Job.objects.filter(pk=lost.pk).update(created_at=old)
    _job(alice, state=JobState.RUNNING, heartbeat_at=timezone.now())  # alive
    _job(alice, state=JobState.QUEUED)  # just queued
    undelivered = _job(alice, state=JobState.QUEUED, dispatch_pending=True)  # broker was down
    _job(alice, state=JobState.SUCCEEDED, heartbeat_at=old)
    make_job(alice, "delete", state=JobState.AWAITING_CONFIRM, heartbeat_at=old)  # the user's turn
    with django_capture_on_commit_callbacks() as callbacks:
        assert jobs_sweep() == 3
    assert len(callbacks) == 3
    assert Job.objects.get(pk=lost.pk).heartbeat_at > old  # not re-enqueued on every tick
    assert Job.objects.get(pk=dead.pk).heartbeat_at == old  # the next task may claim it
    assert Job.objects.get(pk=undelivered.pk).dispatch_pending is False


def test_sweep_gives_up_on_a_job_whose_runs_keep_dying(
    alice, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CONSOLE_JOB_STALE_SECONDS = 60
    settings.CONSOLE_JOB_MAX_RESCUES = 2
    old = timezone.now() - timedelta(seconds=300)
    doomed = _job(alice, state=JobState.RUNNING, heartbeat_at=old, run_token="x")
    waiting = _job(alice, state=JobState.QUEUED, heartbeat_at=old)  # no worker free: not a crash
    for rescue in (1, 2):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert jobs_sweep() == 2
        assert len(callbacks) == 2
        assert Job.objects.get(pk=doomed.pk).rescues == rescue
        Job.objects.filter(pk__in=[doomed.pk, waiting.pk]).update(heartbeat_at=old)  # died again
    with django_capture_on_commit_callbacks(execute=False):
        assert jobs_sweep() == 1  # only the queued one is sent again
    job = Job.objects.get(pk=doomed.pk)
    assert job.state == JobState.FAILED and "after 2 restarts" in job.error_message
    assert Job.objects.get(pk=waiting.pk).state == JobState.QUEUED


def test_reports_are_kept_by_the_retention_settings_and_plans_expire(alice, settings) -> None:
    settings.CONSOLE_JOB_ITEMS_KEEP_HOURS = 24
    settings.CONSOLE_JOB_REPORT_KEEP_DAYS = 30
    now = timezone.now()

    def delete_job(state: str, finished_hours_ago: float | None, **fields: Any) -> Job:
        finished = None if finished_hours_ago is None else now - timedelta(hours=finished_hours_ago)
        job = make_job(alice, "delete", state=state, finished_at=finished, **fields)
        JobItem.objects.create(job=job, seq=1, key="ok", outcome=ItemOutcome.DONE)
        JobItem.objects.create(job=job, seq=2, key="bad", outcome=ItemOutcome.FAILED,
                               reason_code="AccessDenied")  # fmt: skip
        return job

    old = delete_job(JobState.PARTIALLY_FAILED, finished_hours_ago=48)
    ancient = delete_job(JobState.PARTIALLY_FAILED, finished_hours_ago=24 * 31)
    recent = delete_job(JobState.SUCCEEDED, finished_hours_ago=1)
    forgotten = delete_job(JobState.AWAITING_CONFIRM, None, plan_expires_at=now - timedelta(1))
    waiting = delete_job(JobState.AWAITING_CONFIRM, None, plan_expires_at=now + timedelta(1))
    jobs_sweep()
    assert list(JobItem.objects.filter(job=old).values_list("key", flat=True)) == ["bad"]
    assert not JobItem.objects.filter(job=ancient).exists()
    assert JobItem.objects.filter(job=recent).count() == 2
    expired = Job.objects.get(pk=forgotten.pk)
    assert expired.state == JobState.EXPIRED
    ends = AuditEvent.objects.filter(action="job.delete.finish", key="")
    assert ends.filter(detail__startswith="plan expired").count() == 1
    assert Job.objects.get(pk=waiting.pk).state == JobState.AWAITING_CONFIRM
    assert JobItem.objects.filter(job=waiting).count() == 2


def test_protected_prefix_delete_is_refused_and_creates_nothing(client, alice, settings) -> None:
    settings.CONSOLE_PROTECTED_PREFIXES = ["backups/"]
    client.force_login(alice)
    url = reverse("objects:delete-plan", args=["b-1250000000"])
    for prefix in ("backups/", "backups/2024/", ""):  # "" would include backups/
        response = client.post(url, {"prefix": prefix}, **HTMX)
        assert response.status_code == 403
        assert "protected prefix" in response.content.decode()
    assert not Job.objects.exists()
    assert client.post(url, {"prefix": "back"}, **HTMX).status_code == 403  # back* covers backups/


def test_batch_delete_needs_the_operator_role(client, bob) -> None:
    client.force_login(bob)
    url = reverse("objects:delete-plan", args=["b-1250000000"])
    assert client.post(url, {"prefix": "x/"}).status_code == 403
    assert not Job.objects.exists()


def _planned_delete(user: User, **fields: Any) -> Job:
    values = {
        "state": JobState.AWAITING_CONFIRM, "params": {"prefixes": ["x/"]},
        "plan": {"versioned": False, "current": {"objects": 2, "bytes": 30}},
        "plan_expires_at": timezone.now() + timedelta(hours=1), **fields,
    }  # fmt: skip
    return make_job(user, "delete", **values)


def test_confirm_starts_a_planned_delete_once(client, alice, django_capture_on_commit_callbacks):
    job = _planned_delete(alice)
    client.force_login(alice)
    url = reverse("objects:delete-confirm", args=[job.pk])
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "Delete 2 current objects" in page and "all 2 versions" not in page
    assert client.post(url, {"mode": "all"}, **HTMX).status_code == 422  # not versioned
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {"mode": "current"}, **HTMX)
    assert response.status_code == 200 and "cos-job-started" in response["HX-Trigger"]
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.state, job.phase, job.total, job.bytes_total) == (JobState.QUEUED, "delete", 2, 30)
    assert client.post(url, {"mode": "current"}, **HTMX).status_code == 409


def test_a_delete_action_on_a_job_of_another_kind_is_refused_and_changes_nothing(
    client, alice
) -> None:
    upload = make_job(alice, "upload", state=JobState.AWAITING_INPUT, total=3)
    summary = _job(alice, state=JobState.SUCCEEDED)
    client.force_login(alice)
    before = AuditEvent.objects.count()
    for job in (upload, summary):
        response = client.post(reverse("objects:delete-confirm", args=[job.pk]),
                                {"mode": "current"}, **HTMX)  # fmt: skip
        assert response.status_code == 409 and "not a Batch delete" in response.content.decode()
    generic = client.post(reverse("objects:job-confirm", args=[upload.pk]), {"choice": "x"}, **HTMX)
    assert generic.status_code == 409 and "nothing to confirm" in generic.content.decode()
    retry = client.post(reverse("objects:job-retry", args=[upload.pk]), **HTMX)
    assert retry.status_code == 409
    upload.refresh_from_db()
    assert (upload.kind, upload.state, upload.phase) == ("upload", JobState.AWAITING_INPUT,
                                                         "transfer")  # fmt: skip
    assert AuditEvent.objects.count() == before and Job.objects.count() == 2


def test_an_expired_plan_cannot_be_confirmed(client, alice) -> None:
    job = _planned_delete(alice, plan_expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(alice)
    url = reverse("objects:delete-confirm", args=[job.pk])
    response = client.post(url, {"mode": "current"}, **HTMX)
    assert response.status_code == 409 and "expired" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED and job.total is None
    page = client.get(reverse("objects:job-detail", args=[job.pk]), **HTMX).content.decode()
    assert "Plan expired" in page and "Delete 2 current objects" not in page


def test_error_report_filter_csv_and_retry_of_failed_items(client, alice) -> None:
    job = make_job(alice, "delete", phase="delete", state=JobState.PARTIALLY_FAILED, total=3,
                   done=2, failed=1)  # fmt: skip
    JobItem.objects.create(job=job, seq=0, key="ok-1", outcome=ItemOutcome.DONE)
    JobItem.objects.create(job=job, seq=1, key="=bad <key>", reason_code="AccessDenied",
                           reason="no", outcome=ItemOutcome.FAILED)  # fmt: skip
    client.force_login(alice)
    url = reverse("objects:job-detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert "=bad &lt;key&gt;" in page and "AccessDenied</code>: no" in page and "ok-1" in page
    failed_only = client.get(url, {"outcome": "failed"}, HTTP_HX_TARGET="job-report", **HTMX)
    body = failed_only.content.decode()
    assert 'id="job-report"' in body and "<html" not in body
    assert "bad &lt;key&gt;" in body and "ok-1" not in body
    csv = client.get(reverse("objects:job-report", args=[job.pk]), {"outcome": "failed"})
    lines = b"".join(csv.streaming_content).decode().splitlines()
    # The key starts with "=": quoted, so no spreadsheet runs it as a formula.
    assert lines == [
        "seq,key,ref,size,outcome,code,reason",
        "1,'=bad <key>,,0,failed,AccessDenied,no",
    ]
    response = client.post(reverse("objects:job-retry", args=[job.pk]), **HTMX)
    assert response.status_code == 200
    retry = Job.objects.exclude(pk=job.pk).get()
    # A dry run first: it looks the keys up again (their sizes, or that they are gone).
    assert retry.state == JobState.QUEUED and retry.params["retry_of"] == job.pk
    assert retry.plan == {"selected": 1, "versioned": False}
    assert list(retry.items.values_list("key", flat=True)) == ["=bad <key>"]


def test_a_dry_run_shows_what_it_has_listed_and_a_cancelled_one_no_full_bar(client, alice):
    job = make_job(alice, "delete", state=JobState.RUNNING, done=40_000,
                   started_at=timezone.now() - timedelta(seconds=10))  # fmt: skip
    client.force_login(alice)
    url = reverse("objects:job-detail", args=[job.pk])
    listing = client.get(url, **HTMX).content.decode()
    assert "40,000 objects listed" in listing and "Found" not in listing
    assert "left" not in listing and 'role="progressbar"' not in listing  # no total yet: no ETA
    client.post(reverse("objects:job-cancel", args=[job.pk]), **HTMX)
    cancelled = client.get(url, **HTMX).content.decode()
    assert "Cancelled during the dry run" in cancelled and "40,000 objects listed" in cancelled
    assert 'role="progressbar"' not in cancelled and "100%" not in cancelled


def test_job_list_filters_by_state_kind_and_owner_and_pages(client, alice, bob, settings):
    from objects_app.selectors import jobs as selectors

    for n in range(selectors.JOBS_PER_PAGE + 5):
        _job(alice, prefix=f"p{n}/", state=JobState.SUCCEEDED)
    make_job(alice, "delete", state=JobState.RUNNING, params={"prefixes": ["run/"]})
    _job(bob, prefix="bobs/", state=JobState.FAILED)
    client.force_login(alice)
    url = reverse("objects:job-list")
    first = client.get(url).content.decode()
    assert "Page 1 of 2" in first and "bobs/" not in first
    running = client.get(url, {"state": "running"}).content.decode()
    assert "run/" in running and "p1/" not in running
    deletes = client.get(url, {"kind": "delete"}).content.decode()
    assert "run/" in deletes and "p1/" not in deletes
    assert "bobs/" not in client.get(url, {"owner": "bob"}).content.decode()  # not an admin
    admin = User.objects.create_superuser("root", password="pw-root")
    client.force_login(admin)
    theirs = client.get(url, {"owner": "bob"}).content.decode()
    assert "bobs/" in theirs and "run/" not in theirs
    assert client.get(url, {"state": "nonsense"}).status_code == 422


def test_bucket_notices_say_the_result_in_place_and_poll_while_active(client, alice) -> None:
    client.force_login(alice)
    url = reverse("objects:job-notices", args=["b-1250000000"])
    since = (timezone.now() - timedelta(seconds=5)).timestamp()
    idle = client.get(url, {"since": since}, **HTMX).content.decode()
    assert "every 2s" not in idle and 'job-notice">' not in idle
    running = _job(alice, prefix="photos/", state=JobState.RUNNING)
    assert "every 2s" in client.get(url, {"since": since}, **HTMX).content.decode()
    engine.job_finish(running.pk, state=JobState.SUCCEEDED, result={"objects": 120, "bytes": 7140})
    done = client.get(url, {"since": since}, **HTMX)
    body = done.content.decode()
    assert 'job-notice">' in body and f"#{running.pk}" in body and "every 2s" not in body
    assert "Under photos/: 120 objects, 7.0\xa0KB." in body and "Reload the listing" not in body
    deleted = make_job(alice, "delete", state=JobState.SUCCEEDED, finished_at=timezone.now(),
                       params={"prefixes": ["photos/"]})  # fmt: skip
    after = client.get(url, {"since": since, "prefix": "photos/"}, **HTMX).content.decode()
    assert f"#{deleted.pk}" in after and "Batch delete of photos/ succeeded." in after
    assert "Reload the listing" in after and "?prefix=photos/" in after


@pytest.mark.usefixtures("console_cos")
def test_object_browser_toolbar_offers_batch_delete_to_operators(client, alice, bob, paged_bucket):
    url = reverse("objects:object-list", args=[paged_bucket])
    client.force_login(alice)
    body = client.get(url, {"prefix": "many/"}).content.decode()
    assert "batch-delete-button" in body and 'id="job-notices"' in body
    assert "unfinished-uploads-link" in body
    client.force_login(bob)
    assert "batch-delete-button" not in client.get(url).content.decode()


def test_selection_delete_with_a_protected_key_is_refused_whole(client, alice, settings) -> None:
    settings.CONSOLE_PROTECTED_PREFIXES = ["backups/"]
    client.force_login(alice)
    url = reverse("objects:delete-selection", args=["b-1250000000"])
    response = client.post(url, {"selected": ["a.txt", "backups/db.dump"]}, **HTMX)
    assert response.status_code == 403 and "protected prefix" in response.content.decode()
    folders = client.post(url, {"selected_folders": ["backups/"]}, **HTMX)
    assert folders.status_code == 403
    empty = client.post(url, {}, **HTMX)
    assert empty.status_code == 422 and "Select at least one" in empty.content.decode()
    assert not Job.objects.exists()


def test_rate_limits_per_kind_hold_back_runs_and_refuse_a_flood_of_starts(
    alice, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from objects_app.errors import ObjectsError
    from objects_app.jobs import registry
    from objects_app.jobs.kinds.summary import start_prefix_summary

    kind = registry.get("prefix_summary")
    monkeypatch.setattr(type(kind), "max_running", 1)
    busy = _job(alice, state=JobState.RUNNING, heartbeat_at=timezone.now(), run_token="busy")
    waiting = _job(alice, state=JobState.QUEUED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        engine.job_step(waiting.pk)  # one is running already: wait, and try again later
    assert Job.objects.get(pk=waiting.pk).state == JobState.QUEUED and len(callbacks) == 1
    Job.objects.filter(pk=busy.pk).update(state=JobState.SUCCEEDED)
    assert engine.job_claim(waiting.pk, kind) is not None  # its turn now

    monkeypatch.setattr(type(kind), "max_live_per_user", 2)
    Job.objects.filter(pk=waiting.pk).update(state=JobState.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(2):
            start_prefix_summary(user=alice, bucket="b-1250000000", prefix="x/")
        with pytest.raises(ObjectsError) as refused:
            start_prefix_summary(user=alice, bucket="b-1250000000", prefix="x/")
    assert refused.value.status == 429 and "2 unfinished jobs" in refused.value.message
