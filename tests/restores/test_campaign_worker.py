"""Restore campaigns run by real Celery workers on real Redis against coslocal with COS's restore
times scaled (an hour is a second): plan, run, tracking and ready, surviving a kill -9."""

from __future__ import annotations

import time

import pytest
from django.db.models import Count

from tests.conftest import client_for
from tests.jobs import conftest as jobs_fixtures
from tests.jobs.conftest import wait_for, wait_for_job
from tests.restores.conftest import campaign_env, restore, seed_objects

job_settings = jobs_fixtures.job_settings
start_worker = jobs_fixtures.start_worker
pytestmark = pytest.mark.worker

FOLDER = {"source": "folder", "prefix": "vault/", "q": "", "classes": ["ARCHIVE", "DEEP_ARCHIVE"]}


def start_campaign(user, bucket, source, *, lines=(), tiers=None, **options):  # type: ignore[no-untyped-def]
    from objects_app.jobs.kinds.restore.services import campaign_start

    opts = {"days": 1, "rate": 50, "copy_to": "", "copy_prefix": "", **options}
    tiers = tiers or {"ARCHIVE": "Standard", "DEEP_ARCHIVE": "Standard"}
    return campaign_start(user=user, bucket=bucket, source=source, options=opts, tiers=tiers,
                          lines=list(lines))  # fmt: skip


def counters_match_rows(job_id: int) -> dict[str, int]:
    """The campaign row's counters, checked against a count of its rows."""
    from objects_app.restore_models import RestoreCampaign, RestoreTarget

    campaign = RestoreCampaign.objects.get(pk=job_id)
    rows = dict(
        RestoreTarget.objects.filter(job_id=job_id).values_list("state").annotate(n=Count("id"))
    )
    states = ("queued", "requested", "in_progress", "ready", "expired", "failed", "skipped")
    counted = {state: campaign.count(state) for state in states}
    assert counted == {state: rows.get(state, 0) for state in counted}
    return counted


def test_a_200_object_campaign_survives_a_kill_and_ends_when_everything_is_readable(
    fast_cos, fast_bucket, start_worker, alice
):
    from objects_app.jobs.actions import job_confirm
    from objects_app.models import AuditEvent
    from objects_app.restore_models import Notification, RestoreCampaign, RestoreTarget

    client = client_for(fast_cos)
    archive = [(f"vault/a/{n:03d}", "ARCHIVE", 1000 + n) for n in range(120)]
    deep = [(f"vault/d/{n:03d}", "DEEP_ARCHIVE", 5000 + n) for n in range(80)]
    others = [(f"vault/s/{n:02d}", "STANDARD", 1) for n in range(10)]
    seed_objects(fast_cos, fast_bucket, archive + deep + others + [("elsewhere", "ARCHIVE", 1)])
    for key, _, _ in archive[:20]:  # already readable before the campaign
        restore(client, fast_bucket, key, tier="Expedited", days=5)
    time.sleep(0.5)  # Expedited: 5 minutes of COS time, 0.08 s here
    for key, _, _ in deep[:20]:  # already being restored (Bulk: 48 s here)
        restore(client, fast_bucket, key, tier="Bulk", days=5)

    worker = start_worker(**campaign_env(fast_cos))
    # Five days (300 s here): moving the restore clock on a minute below expires none of them.
    job = start_campaign(alice, fast_bucket, FOLDER, rate=20, days=5)
    job = wait_for_job(job.pk, {"awaiting_confirm", "failed"}, timeout=60)
    plan = job.plan
    assert plan["classes"] == {
        "ARCHIVE": {"request": {"objects": 100, "bytes": sum(s for _, _, s in archive[20:])},
                    "restored": {"objects": 20, "bytes": sum(s for _, _, s in archive[:20])}},
        "DEEP_ARCHIVE": {"request": {"objects": 60, "bytes": sum(s for _, _, s in deep[20:])},
                         "in_progress": {"objects": 20, "bytes": sum(s for _, _, s in deep[:20])}},
    }  # fmt: skip
    assert plan["other_classes"] == 10 and plan["actionable"] == 200
    assert counters_match_rows(job.pk)["queued"] == 160

    job = job_confirm(user=alice, job=job, choice="start")
    # Kill the worker while the requests go out (20 a second: 8 s for 160).
    wait_for(lambda: RestoreCampaign.objects.get(pk=job.pk).requested >= 30, 30, "requests")
    worker.kill()
    sent_before = RestoreCampaign.objects.get(pk=job.pk)
    assert sent_before.queued > 0, "the kill came too late to test a resume"
    start_worker(**campaign_env(fast_cos))
    fast_cos.advance_clock(60)  # the Bulk restores that were in progress finish now
    job = wait_for_job(job.pk, timeout=120)

    assert job.state == "succeeded", job.error_message
    counts = counters_match_rows(job.pk)
    assert counts["ready"] == 200 and counts["failed"] == 0 and counts["queued"] == 0
    assert job.done == 200 and job.total == 200
    # Every object is readable now, with its expiry recorded.
    for target in RestoreTarget.objects.filter(job=job):
        head = client.head_object(Bucket=fast_bucket, Key=target.key)
        assert 'ongoing-request="false"' in head["x-cos-restore"], target.key
        assert target.expiry is not None
    assert RestoreCampaign.objects.get(pk=job.pk).expected_by is not None
    assert Notification.objects.filter(user=alice, job=job).count() == 1
    actions = set(AuditEvent.objects.filter(bucket=fast_bucket).values_list("action", flat=True))
    assert {"job.restore.plan", "job.restore.start", "job.restore.finish"} <= actions


def test_already_in_progress_at_request_time_is_a_state_not_a_failure(
    fast_cos, fast_bucket, start_worker, alice
):
    from objects_app.jobs.actions import job_confirm
    from objects_app.models import Job
    from objects_app.restore_models import RestoreTarget

    seed_objects(fast_cos, fast_bucket, [(f"vault/{n}", "ARCHIVE", 1) for n in range(5)])
    start_worker(**campaign_env(fast_cos))
    job = start_campaign(alice, fast_bucket, FOLDER, days=5)
    job = wait_for_job(job.pk, {"awaiting_confirm"}, timeout=60)
    # Someone else asks COS first, between the plan and the start: COS answers 409.
    restore(client_for(fast_cos), fast_bucket, "vault/2", tier="Bulk")
    fast_cos.set_faults(mode="delay", delay=0, fraction=1.0, method="POST")
    job = job_confirm(user=alice, job=job, choice="start")
    wait_for(lambda: Job.objects.get(pk=job.pk).phase == "track", 30, "the requests")
    fast_cos.advance_clock(60)  # the other client's Bulk restore (48 s here) finishes now
    job = wait_for_job(job.pk, timeout=60)
    posts = fast_cos.fault_state()["fired"]
    fast_cos.clear_faults()
    assert job.state == "succeeded"
    assert posts == 5  # one request per object, the 409 included; none resent
    target = RestoreTarget.objects.get(job=job, key="vault/2")
    assert (target.state, target.error_code) == ("ready", "")


def test_tracking_sends_at_most_one_head_per_object_per_interval_and_holds_no_worker(
    fast_cos, fast_bucket, start_worker, alice
):
    """20 objects restoring for 48 s (DEEP_ARCHIVE Bulk): between two looks the job waits in
    the queue (its next wake-up as its heartbeat), not in a worker."""
    from objects_app.jobs.actions import job_confirm
    from objects_app.models import Job
    from objects_app.restore_models import RestoreTarget

    seed_objects(fast_cos, fast_bucket, [(f"vault/{n:02d}", "DEEP_ARCHIVE", 1) for n in range(20)])
    poll = 2
    start_worker(**campaign_env(fast_cos, CONSOLE_RESTORE_POLL_SECONDS=str(poll),
                                CONSOLE_RESTORE_POLL_MAX_SECONDS=str(poll)))  # fmt: skip
    tiers = {"ARCHIVE": "Standard", "DEEP_ARCHIVE": "Bulk"}
    job = start_campaign(alice, fast_bucket, FOLDER, tiers=tiers, days=5)
    job = wait_for_job(job.pk, {"awaiting_confirm"}, timeout=60)
    job_confirm(user=alice, job=job, choice="start")
    wait_for(lambda: RestoreTarget.objects.filter(job=job, checks__gte=1).count() == 20, 60,
             "the first looks")  # fmt: skip
    fast_cos.set_faults(mode="delay", delay=0, fraction=1.0, method="HEAD")
    started, states = time.monotonic(), set()
    while time.monotonic() - started < 8:
        states.add(Job.objects.get(pk=job.pk).state)
        time.sleep(0.1)
    heads = fast_cos.fault_state()["fired"]
    elapsed = time.monotonic() - started
    fast_cos.clear_faults()
    assert 20 <= heads <= 20 * (int(elapsed / poll) + 1), heads
    assert "queued" in states  # handed back between rounds, not held by a waiting worker
    fast_cos.advance_clock(60)
    assert wait_for_job(job.pk, timeout=60).state == "succeeded"
