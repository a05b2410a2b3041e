"""The job engine itself, through the tests' probe kind (tests/jobs/probe_kind.py): plan,
confirm, slices, kill -9 mid-slice, cancel, retries, one failure message, plan expiry, the
report, and a broker outage. Real coslocal, Redis and worker processes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.urls import reverse

from objects_app.models import AuditEvent, ItemOutcome, Job, JobItem, JobState
from tests.jobs.conftest import restart_redis, slowed, wait_for, wait_for_job
from tests.jobs.probe_kind import start_probe

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def markers(folder: Path) -> tuple[set[int], set[int]]:
    """(steps done, steps done twice)"""
    names = [p.name for p in folder.iterdir()]
    done = {int(n.removeprefix("step-")) for n in names if n.startswith("step-")}
    repeated = {int(n.removeprefix("repeat-")) for n in names if n.startswith("repeat-")}
    return done, repeated


def planned(alice, bucket: str, folder: Path, steps: int, window: int = 5) -> Job:  # type: ignore[no-untyped-def]
    job = start_probe(user=alice, bucket=bucket, steps=steps, marker_dir=folder, window=window)
    return wait_for_job(job.pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})


def confirm(client, job: Job) -> None:  # type: ignore[no-untyped-def]
    response = client.post(reverse("objects:job-confirm", args=[job.pk]), {"choice": "run"}, **HTMX)
    assert response.status_code == 200, response.content


def test_plan_confirm_and_run_in_slices_with_a_report(
    client, alice, new_bucket, start_worker, tmp_path
) -> None:
    start_worker(CONSOLE_JOB_SLICE_SECONDS="0")  # every window is a slice of its own
    client.force_login(alice)
    folder = tmp_path / "markers"
    job = planned(alice, new_bucket, folder, steps=120)
    assert job.plan == {"all": {"objects": 120, "bytes": sum(range(120))}}
    assert markers(folder) == (set(), set())  # a plan acts on nothing
    confirm(client, job)
    job = wait_for_job(job.pk, timeout=90)
    assert (job.state, job.done, job.failed, job.total) == (JobState.SUCCEEDED, 120, 0, 120)
    assert markers(folder) == (set(range(120)), set())
    log = (tmp_path / "worker-0.log").read_text()
    assert len(re.findall(r"objects_app\.jobs\.probe\[[-0-9a-f]+\] received", log)) > 20
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["job.probe.plan", "job.probe.start", "job.probe.finish"]
    csv = client.get(reverse("objects:job-report", args=[job.pk]))
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert len(lines) == 121 and lines[1] == "0,probe/00000,,0,done,,"


def test_a_worker_killed_mid_slice_is_resumed_without_repeating_a_step(
    client, alice, coslocal, new_bucket, start_worker, tmp_path
) -> None:
    worker = start_worker()
    client.force_login(alice)
    folder = tmp_path / "markers"
    job = planned(alice, new_bucket, folder, steps=30, window=10)
    with slowed(coslocal, method="PUT", query_contains="", delay=0.3):
        confirm(client, job)
        # Kill it while a window is half done: some of its steps happened, none committed.
        wait_for(lambda: len(markers(folder)[0]) % 10 >= 4, 60, "half a window")
        worker.kill()
        done_before = markers(folder)[0]
        started = JobItem.objects.filter(job=job, outcome=ItemOutcome.STARTED)
        assert started.count() == 10 and Job.objects.get(pk=job.pk).state == JobState.RUNNING
        start_worker()
        job = wait_for_job(job.pk, timeout=90)
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 30, 0), job.error_message
    done, repeated = markers(folder)
    assert done == set(range(30)) and repeated == set() and done_before < done
    assert job.rescues == 1


def test_cancel_mid_run_ends_with_the_exact_count_in_the_audit_log(
    client, alice, coslocal, new_bucket, start_worker, tmp_path
) -> None:
    start_worker()
    client.force_login(alice)
    folder = tmp_path / "markers"
    job = planned(alice, new_bucket, folder, steps=60)
    with slowed(coslocal, method="PUT", query_contains="", delay=0.2):
        confirm(client, job)
        wait_for(lambda: len(markers(folder)[0]) >= 12, 60, "some steps")
        response = client.post(reverse("objects:job-cancel", args=[job.pk]), **HTMX)
        assert response.status_code == 200 and "Cancelled" in response.content.decode()
        wait_for(lambda: Job.objects.get(pk=job.pk).outcome_recorded_at is not None, 30, "end")
    job = Job.objects.get(pk=job.pk)
    done, repeated = markers(folder)
    # The window in flight when the cancel came was finished and counted; nothing after it.
    assert job.state == JobState.CANCELLED and job.done == len(done) < 60 and not repeated
    end = AuditEvent.objects.get(action="job.probe.finish")
    assert end.detail.startswith(f"cancelled at {len(done)} of 60")


def test_injected_503s_and_resets_are_retried_by_the_task_and_the_job_finishes(
    client, alice, coslocal, new_bucket, start_worker, tmp_path
) -> None:
    start_worker()
    client.force_login(alice)
    folder = tmp_path / "markers"
    job = planned(alice, new_bucket, folder, steps=20)
    # More failures in a row than the client's own retries (3): the task has to back off.
    rules = [
        {"mode": "error", "status": 503, "code": "SlowDown", "method": "PUT", "count": 5},
        {"mode": "reset", "method": "PUT", "count": 5},
    ]
    coslocal._admin("POST", rules)
    try:
        confirm(client, job)
        job = wait_for_job(job.pk, timeout=120)
        fired = [rule["fired"] for rule in coslocal.fault_state()["rules"]]
    finally:
        coslocal.clear_faults()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert fired == [5, 5] and markers(folder) == (set(range(20)), set())
    log = (tmp_path / "worker-0.log").read_text()
    assert log.count("Retry in") >= 2


def test_a_non_retryable_cos_error_fails_the_job_with_one_message(
    client, alice, coslocal, new_bucket, start_worker, tmp_path
) -> None:
    start_worker()
    client.force_login(alice)
    folder = tmp_path / "markers"
    job = planned(alice, new_bucket, folder, steps=10)
    rule = {"mode": "error", "status": 403, "code": "AccessDenied", "method": "PUT", "count": 1}
    coslocal._admin("POST", [rule])
    try:
        confirm(client, job)
        job = wait_for_job(job.pk, timeout=60)
    finally:
        coslocal.clear_faults()
    assert job.state == JobState.FAILED
    assert re.fullmatch(r"AccessDenied: .+ \(request id .+\)", job.error_message), job.error_message
    assert job.error_message.count("AccessDenied") == 1
    end = AuditEvent.objects.get(action="job.probe.finish")
    assert end.outcome == "error" and job.error_message in end.detail
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert page.count("AccessDenied") == 1


def test_an_unconfirmed_plan_expires(client, alice, new_bucket, start_worker, tmp_path) -> None:
    start_worker(CONSOLE_JOB_PLAN_TTL_SECONDS="1")
    client.force_login(alice)
    job = planned(alice, new_bucket, tmp_path / "markers", steps=3)
    job = wait_for_job(job.pk, {JobState.EXPIRED}, timeout=30)  # the sweep's doing
    response = client.post(reverse("objects:job-confirm", args=[job.pk]), {"choice": "run"}, **HTMX)
    assert response.status_code == 409
    assert markers(tmp_path / "markers") == (set(), set())
    end = AuditEvent.objects.get(action="job.probe.finish")
    assert end.detail.startswith("plan expired")


def test_a_job_started_while_redis_is_down_runs_once_it_is_back(
    client, bob, redis_server, paged_bucket, start_worker
) -> None:
    start_worker()
    client.force_login(bob)
    redis_server.stop()
    try:
        started = time.monotonic()
        url = reverse("objects:prefix-summary", args=[paged_bucket])
        response = client.post(url, {"prefix": "many/"}, **HTMX)
        assert response.status_code == 200 and time.monotonic() - started < 5
        job = Job.objects.get()
        assert job.state == JobState.QUEUED and job.dispatch_pending
    finally:
        restart_redis(redis_server, down_seconds=0)
    job = wait_for_job(job.pk, timeout=90)
    assert job.state == JobState.SUCCEEDED and job.result["objects"] == 120
