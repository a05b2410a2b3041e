"""Jobs pages, cancel, the sweep and claim rules, protected prefixes: no worker needed (the task
dispatch is captured on commit instead)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from objects_app.models import AuditEvent, Job, JobItem, JobKind, JobState
from objects_app.services import jobs as services

HTMX = {"HTTP_HX_REQUEST": "true"}


def _job(user: User, **fields: object) -> Job:
    values = {"kind": JobKind.PREFIX_SUMMARY, "bucket": "b-1250000000", "user": user, **fields}
    return Job.objects.create(**values)


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
    assert f'id="job-{mine.pk}"' in partial.content.decode()


def test_admin_sees_every_users_jobs(client, alice, bob) -> None:
    _job(alice, prefix="a/")
    _job(bob, prefix="b/")
    admin = User.objects.create_superuser("root", password="pw-root")
    client.force_login(admin)
    body = client.get(reverse("objects:job-list")).content.decode()
    assert "a/" in body and "b/" in body


def test_progress_polls_while_active_and_stops_when_terminal(client, alice) -> None:
    job = _job(alice, state=JobState.RUNNING, total=10, done=4, started_at=timezone.now())
    client.force_login(alice)
    url = reverse("objects:job-detail", args=[job.pk])
    running = client.get(url, **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in running and "40%" in running and "Cancel" in running
    Job.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, done=10)
    done = client.get(url, **HTMX).content.decode()
    assert "hx-trigger" not in done and "Cancel" not in done and "100%" in done


def test_an_upload_waiting_for_the_browser_shows_both_sides_and_polls_slowly(client, alice) -> None:
    mib = 1024 * 1024
    job = _job(
        alice, kind=JobKind.UPLOAD, state=JobState.PENDING, total=4, done=3, bytes_total=4 * mib,
        bytes_done=2 * mib, params={"chunk_size": mib}, started_at=timezone.now(),
    )  # fmt: skip
    client.force_login(alice)
    body = client.get(reverse("objects:job-detail", args=[job.pk]), **HTMX).content.decode()
    # The browser may resume at any time: the page keeps looking, just less often.
    assert 'hx-trigger="every 5s"' in body and "Waiting for the browser" in body
    assert "2.0\xa0MB of 4.0\xa0MB in COS" in body and "3.0\xa0MB received" in body
    assert "3 of 4 chunks" in body and "50%" in body


def test_cancel_is_a_one_time_conditional_transition(client, alice) -> None:
    job = _job(alice, state=JobState.RUNNING)
    client.force_login(alice)
    url = reverse("objects:job-cancel", args=[job.pk])
    first = client.post(url, **HTMX)
    assert first.status_code == 200 and "Cancelled" in first.content.decode()
    assert Job.objects.get(pk=job.pk).state == JobState.CANCELLED
    second = client.post(url, **HTMX)
    assert second.status_code == 409
    assert AuditEvent.objects.filter(action="job.prefix_summary.cancel").count() == 1


def test_cancel_of_another_users_job_is_not_found(client, alice, bob) -> None:
    job = _job(alice, state=JobState.RUNNING)
    client.force_login(bob)
    assert client.post(reverse("objects:job-cancel", args=[job.pk])).status_code == 404
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


def test_claim_takes_queued_or_stale_running_jobs_only(alice, settings) -> None:
    settings.CONSOLE_JOB_STALE_SECONDS = 60
    queued = _job(alice)
    assert services.job_claim(queued.pk) is True
    assert services.job_claim(queued.pk) is False  # a live worker holds it now
    stale = timezone.now() - timedelta(seconds=120)
    Job.objects.filter(pk=queued.pk).update(heartbeat_at=stale)
    assert services.job_claim(queued.pk) is True  # its worker stopped beating: take over
    finished = _job(alice, state=JobState.SUCCEEDED)
    assert services.job_claim(finished.pk) is False


def test_finish_happens_once(alice) -> None:
    job = _job(alice, state=JobState.RUNNING)
    assert services.job_finish(job.pk, state=JobState.SUCCEEDED) is True
    assert services.job_finish(job.pk, state=JobState.FAILED, error_message="late") is False
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED


def test_sweep_reenqueues_only_stuck_jobs(alice, settings, django_capture_on_commit_callbacks):
    settings.CONSOLE_JOB_STALE_SECONDS = 60
    old = timezone.now() - timedelta(seconds=300)
    dead = _job(alice, state=JobState.RUNNING, heartbeat_at=old)
    lost = _job(alice, state=JobState.QUEUED)
    Job.objects.filter(pk=lost.pk).update(created_at=old)
    _job(alice, state=JobState.RUNNING, heartbeat_at=timezone.now())  # alive
    _job(alice, state=JobState.QUEUED)  # just queued
    _job(alice, state=JobState.SUCCEEDED, heartbeat_at=old)
    _job(alice, kind=JobKind.DELETE, state=JobState.PENDING, heartbeat_at=old)  # awaits the user
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.jobs_sweep() == 2
    assert len(callbacks) == 2
    assert Job.objects.get(pk=lost.pk).heartbeat_at > old  # not re-enqueued on every tick
    assert Job.objects.get(pk=dead.pk).heartbeat_at == old  # the next task may claim it


def test_sweep_gives_up_on_a_job_whose_runs_keep_dying(
    alice, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CONSOLE_JOB_STALE_SECONDS = 60
    settings.CONSOLE_JOB_MAX_RESCUES = 2
    old = timezone.now() - timedelta(seconds=300)
    doomed = _job(alice, state=JobState.RUNNING, heartbeat_at=old)
    waiting = _job(alice, state=JobState.QUEUED, heartbeat_at=old)  # no worker free: not a crash
    for rescue in (1, 2):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert services.jobs_sweep() == 2
        assert len(callbacks) == 2
        assert Job.objects.get(pk=doomed.pk).params["rescues"] == rescue
        Job.objects.filter(pk__in=[doomed.pk, waiting.pk]).update(heartbeat_at=old)  # died again
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.jobs_sweep() == 1  # only the queued one is sent again
    job = Job.objects.get(pk=doomed.pk)
    assert job.state == JobState.FAILED and "after 2 restarts" in job.error_message
    assert Job.objects.get(pk=waiting.pk).state == JobState.QUEUED


def test_finished_deletes_keep_only_their_error_report_and_stale_plans_expire(
    alice, settings
) -> None:
    settings.CONSOLE_JOB_ITEMS_KEEP_HOURS = 24
    now = timezone.now()

    def delete_job(state: str, finished_hours_ago: float | None, created_days_ago: float = 0):  # type: ignore[no-untyped-def]
        finished = None if finished_hours_ago is None else now - timedelta(hours=finished_hours_ago)
        job = _job(alice, kind=JobKind.DELETE, state=state, finished_at=finished)
        Job.objects.filter(pk=job.pk).update(created_at=now - timedelta(days=created_days_ago))
        JobItem.objects.create(job=job, seq=1, key="ok")
        JobItem.objects.create(job=job, seq=2, key="bad", error_code="AccessDenied")
        return job

    old = delete_job(JobState.PARTIALLY_FAILED, finished_hours_ago=48)
    recent = delete_job(JobState.SUCCEEDED, finished_hours_ago=1)
    forgotten = delete_job(JobState.PENDING, finished_hours_ago=None, created_days_ago=8)
    waiting = delete_job(JobState.PENDING, finished_hours_ago=None, created_days_ago=1)
    assert services.job_items_prune() == 1
    assert list(JobItem.objects.filter(job=old).values_list("key", flat=True)) == ["bad"]
    assert JobItem.objects.filter(job=recent).count() == 2
    expired = Job.objects.get(pk=forgotten.pk)
    assert expired.state == JobState.CANCELLED and "never confirmed" in expired.error_message
    assert Job.objects.get(pk=waiting.pk).state == JobState.PENDING
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


def test_confirm_starts_a_planned_delete_once(client, alice, django_capture_on_commit_callbacks):
    job = _job(alice, kind=JobKind.DELETE, state=JobState.PENDING, prefix="x/")
    job.params = {"phase": "confirm", "versioned": False}
    job.result = {"current": {"objects": 2, "bytes": 30}}
    job.save()
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
    assert (job.state, job.total, job.bytes_total) == (JobState.QUEUED, 2, 30)
    assert client.post(url, {"mode": "current"}, **HTMX).status_code == 409


def test_error_report_and_retry_of_failed_items(client, alice) -> None:
    job = _job(alice, kind=JobKind.DELETE, state=JobState.PARTIALLY_FAILED, total=3, done=2)
    Job.objects.filter(pk=job.pk).update(failed=1)
    JobItem.objects.create(job=job, seq=0, key="ok-1")
    JobItem.objects.create(job=job, seq=1, key="bad <key>", error_code="AccessDenied",
                           error_message="no")  # fmt: skip
    client.force_login(alice)
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "bad &lt;key&gt;" in page and "AccessDenied: no" in page
    response = client.post(reverse("objects:job-retry", args=[job.pk]), **HTMX)
    assert response.status_code == 200
    retry = Job.objects.exclude(pk=job.pk).get()
    assert retry.state == JobState.PENDING and retry.params["retry_of"] == job.pk
    assert list(retry.items.values_list("key", flat=True)) == ["bad <key>"]


def test_bucket_notices_show_finished_jobs_and_poll_while_active(client, alice) -> None:
    client.force_login(alice)
    url = reverse("objects:job-notices", args=["b-1250000000"])
    since = (timezone.now() - timedelta(seconds=5)).timestamp()
    idle = client.get(url, {"since": since}, **HTMX).content.decode()
    assert "every 2s" not in idle and 'job-notice">' not in idle
    running = _job(alice, state=JobState.RUNNING)
    assert "every 2s" in client.get(url, {"since": since}, **HTMX).content.decode()
    services.job_finish(running.pk, state=JobState.SUCCEEDED)
    done = client.get(url, {"since": since}, **HTMX).content.decode()
    assert 'job-notice">' in done and f"#{running.pk}" in done and "every 2s" not in done


@pytest.mark.usefixtures("console_cos")
def test_object_browser_toolbar_offers_batch_delete_to_operators(client, alice, bob, paged_bucket):
    url = reverse("objects:object-list", args=[paged_bucket])
    client.force_login(alice)
    body = client.get(url, {"prefix": "many/"}).content.decode()
    assert "batch-delete-button" in body and 'id="job-notices"' in body
    client.force_login(bob)
    assert "batch-delete-button" not in client.get(url).content.decode()


def test_selection_delete_with_a_protected_key_is_refused_whole(client, alice, settings) -> None:
    settings.CONSOLE_PROTECTED_PREFIXES = ["backups/"]
    client.force_login(alice)
    url = reverse("objects:delete-selection", args=["b-1250000000"])
    response = client.post(url, {"selected": ["a.txt", "backups/db.dump"]}, **HTMX)
    assert response.status_code == 403 and "protected prefix" in response.content.decode()
    assert client.post(url, {}, **HTMX).status_code == 400  # an empty selection
    assert not Job.objects.exists()
