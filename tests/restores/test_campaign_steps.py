"""The campaign's later steps with real workers: the optional copy into a readable class (in
place, or under a target prefix), expiry of restored copies, the owner's notification and email,
and the object page's single restore followed as a one-object campaign."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.jobs import conftest as jobs_fixtures
from tests.jobs.conftest import wait_for, wait_for_job
from tests.restores.conftest import campaign_env, fast_server_for, point_console_at, seed_objects
from tests.restores.test_campaign_worker import counters_match_rows, start_campaign

job_settings = jobs_fixtures.job_settings
start_worker = jobs_fixtures.start_worker
pytestmark = pytest.mark.worker

FOLDER = {"source": "folder", "prefix": "box/", "q": "", "classes": ["ARCHIVE", "DEEP_ARCHIVE"]}


def put_archived(client, bucket: str, key: str, body: bytes, cls: str = "ARCHIVE") -> None:  # type: ignore[no-untyped-def]
    client.put_object(Bucket=bucket, Key=key, Body=body, StorageClass=cls,
                      ContentType="text/plain", Metadata={"x-cos-meta-owner": "ops"})  # fmt: skip


def plan_and_run(user, bucket, **options):  # type: ignore[no-untyped-def]
    from objects_app.jobs.actions import job_confirm

    tiers = {"ARCHIVE": "Expedited", "DEEP_ARCHIVE": "Standard"}
    job = start_campaign(user, bucket, FOLDER, tiers=tiers, **options)
    job = wait_for_job(job.pk, {"awaiting_confirm", "failed"}, timeout=60)
    job_confirm(user=user, job=job, choice="start")
    return wait_for_job(job.pk, timeout=90)


def test_ready_objects_are_copied_onto_themselves_as_standard(
    fast_cos, fast_bucket, start_worker, alice
):
    from objects_app.restore_models import RestoreTarget

    client = client_for(fast_cos)
    put_archived(client, fast_bucket, "box/report.txt", b"quarterly numbers")
    put_archived(client, fast_bucket, "box/deep.txt", b"deep numbers", "DEEP_ARCHIVE")
    start_worker(**campaign_env(fast_cos))
    job = plan_and_run(alice, fast_bucket, copy_to="STANDARD")
    assert job.state == "succeeded", job.error_message
    for key, body in (("box/report.txt", b"quarterly numbers"), ("box/deep.txt", b"deep numbers")):
        head = client.head_object(Bucket=fast_bucket, Key=key)
        assert "x-cos-storage-class" not in {k.lower() for k in head}  # STANDARD now
        assert head["x-cos-meta-owner"] == "ops" and head["Content-Type"] == "text/plain"
        assert client.get_object(Bucket=fast_bucket, Key=key)["Body"].read() == body
        target = RestoreTarget.objects.get(job=job, key=key)
        assert (target.copy_state, target.copy_key, target.expiry) == ("done", key, None)
    campaign = job.restore
    assert (campaign.copied, campaign.copy_pending, campaign.copy_failed) == (2, 0, 0)


def test_copies_under_a_prefix_keep_the_original_archived_and_report_each_object(
    fast_cos, fast_bucket, start_worker, alice
):
    from objects_app.restore_models import RestoreTarget

    client = client_for(fast_cos)
    put_archived(client, fast_bucket, "box/a.txt", b"alpha")
    long_key = "box/" + "x" * 840  # fits COS's 850 bytes; under the prefix it would not
    put_archived(client, fast_bucket, long_key, b"too long to copy")
    start_worker(**campaign_env(fast_cos))
    job = plan_and_run(alice, fast_bucket, copy_to="STANDARD_IA", copy_prefix="restored/")
    assert job.state == "partially_failed"
    assert job.error_message == "1 copy to a readable class failed; the campaign page lists it."
    head = client.head_object(Bucket=fast_bucket, Key="restored/box/a.txt")
    assert head["x-cos-storage-class"] == "STANDARD_IA" and head["x-cos-meta-owner"] == "ops"
    assert (
        client.head_object(Bucket=fast_bucket, Key="box/a.txt")["x-cos-storage-class"] == "ARCHIVE"
    )
    done = RestoreTarget.objects.get(job=job, key="box/a.txt")
    assert (done.copy_state, done.copy_key) == ("done", "restored/box/a.txt")
    failed = RestoreTarget.objects.get(job=job, key=long_key)
    assert (failed.state, failed.copy_state, failed.copy_error) == ("ready", "failed", "KeyTooLong")


def test_restored_copies_expire_after_their_days(start_worker, alice, settings, tmp_path, db):
    """A restore day of 2 s: the campaign ends ready, then the sweep marks each copy expired."""
    server = fast_server_for(tmp_path / "cos", day_seconds=2).start()
    try:
        point_console_at(settings, server)
        client = client_for(server)
        client.create_bucket(Bucket="expiry-1250000000")
        seed_objects(server, "expiry-1250000000", [(f"box/{n}", "ARCHIVE", 1) for n in range(3)])
        start_worker(**campaign_env(server))
        job = plan_and_run(alice, "expiry-1250000000")
        assert job.state == "succeeded"
        wait_for(lambda: counters_match_rows(job.pk)["expired"] == 3, 30, "copies to expire")
        counts = counters_match_rows(job.pk)
        assert counts["ready"] == 0 and job.done == 3

        # COS too has archived it again (its expiry-date header is cut to the second, so the
        # console may say so up to a second before COS does).
        def archived_again() -> bool:
            head = client.head_object(Bucket="expiry-1250000000", Key="box/0")
            return "x-cos-restore" not in {k.lower() for k in head}

        wait_for(archived_again, 5, "COS to archive the object again")
    finally:
        server.stop()


def test_the_owner_is_notified_in_the_console_and_by_email(
    fast_cos, fast_bucket, start_worker, alice, tmp_path
):
    from objects_app.restore_models import Notification

    alice.email = "alice@example.com"
    alice.save()
    mail = tmp_path / "mail"
    seed_objects(fast_cos, fast_bucket, [("box/1", "ARCHIVE", 1), ("box/2", "DEEP_ARCHIVE", 1)])
    start_worker(**campaign_env(
        fast_cos, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail), CONSOLE_PUBLIC_URL="https://console.example.com",
    ))  # fmt: skip
    job = plan_and_run(alice, fast_bucket)
    assert job.state == "succeeded"
    wait_for(lambda: Notification.objects.filter(job=job).exists(), 10, "the notification")
    assert Notification.objects.get(job=job).user == alice
    wait_for(lambda: any(mail.glob("*.log")), 10, "the email")
    (message,) = [p.read_text() for p in Path(mail).glob("*.log")]
    assert "To: alice@example.com" in message
    assert f"Restore campaign #{job.pk} (box/): all 2 objects are readable." in message
    assert f"https://console.example.com/restores/{job.pk}/" in message


def test_no_email_without_email_settings(fast_cos, fast_bucket, start_worker, alice, tmp_path):
    from objects_app.restore_models import Notification

    alice.email = "alice@example.com"
    alice.save()
    seed_objects(fast_cos, fast_bucket, [("box/1", "ARCHIVE", 1)])
    start_worker(**campaign_env(fast_cos, EMAIL_FILE_PATH=str(tmp_path / "mail")))
    job = plan_and_run(alice, fast_bucket)
    wait_for(lambda: Notification.objects.filter(job=job).exists(), 10, "the notification")
    assert not (tmp_path / "mail").exists()


def test_a_restore_from_the_object_page_is_a_one_object_campaign(
    client, fast_cos, fast_bucket, start_worker, alice
):
    from objects_app.models import Job
    from objects_app.restore_models import Notification, RestoreTarget

    seed_objects(fast_cos, fast_bucket, [("box/one.bin", "DEEP_ARCHIVE", 7)])
    start_worker(**campaign_env(fast_cos))
    client.force_login(alice)
    response = client.post(
        reverse("objects:object-restore", args=[fast_bucket]),
        {"key": "box/one.bin", "days": 2, "tier": "Standard"}, HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200
    job = Job.objects.get(kind="restore", bucket=fast_bucket)
    assert (job.phase, job.total, job.params["label"]) == ("track", 1, "box/one.bin")
    job = wait_for_job(job.pk, timeout=60)
    assert job.state == "succeeded"
    target = RestoreTarget.objects.get(job=job)
    assert (target.state, target.checks >= 1, target.expiry is not None) == ("ready", True, True)
    assert Notification.objects.filter(job=job, user=alice).exists()
