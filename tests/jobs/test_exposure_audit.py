"""The public-exposure audit and "make these private", through a real worker on real Redis and
coslocal: a seeded bucket whose public set is known (by object ACL, by bucket ACL, by a policy
prefix, one Deny, one unreadable ACL) checked key by key; the diff between two runs; 503
SlowDown on the way; the bulk job with its dry run, per-object report and audit trail."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from objects_app.models import AuditEvent, ExposureFinding, ItemOutcome, Job, JobItem, JobState
from tests.console.exposure_seed import (
    EXPECTED,
    UNREADABLE,
    seed_exposure_bucket,
    unreadable_fault,
)
from tests.jobs.conftest import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin(db) -> User:  # type: ignore[no-untyped-def]
    user = User.objects.create_user(username="ada", password="pw-ada")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


@pytest.fixture
def seeded(cos_client, coslocal):  # type: ignore[no-untyped-def]
    bucket = f"expo{uuid.uuid4().hex[:8]}-1250000000"
    seed_exposure_bucket(cos_client, bucket)
    coslocal.set_faults(**unreadable_fault(bucket))
    yield bucket
    coslocal.clear_faults()


def start_audit(client, bucket: str, **form: str) -> Job:  # type: ignore[no-untyped-def]
    response = client.post(reverse("objects:exposure-audit-start", args=[bucket]), form, **HTMX)
    assert response.status_code == 200, response.content
    job = Job.objects.filter(kind="exposure_audit", bucket=bucket).order_by("-id").first()
    assert job is not None
    assert response["HX-Redirect"] == reverse("objects:exposure-report", args=[job.pk])
    return wait_for_job(job.pk, timeout=90)


def findings(job: Job) -> dict[str, tuple[str, str, str]]:
    rows = ExposureFinding.objects.filter(job=job)
    return {r.key: (r.status, r.reason, r.detail) for r in rows}


def test_audit_finds_the_known_public_set_key_by_key(client, alice, start_worker, seeded):  # type: ignore[no-untyped-def]
    start_worker()
    client.force_login(alice)  # an operator may run an audit
    job = start_audit(client, seeded)
    assert job.state == JobState.SUCCEEDED, job.error_message
    expected = {k: v for k, v in EXPECTED.items() if v[0] != "private"}
    assert findings(job) == expected
    totals = job.result["totals"]
    assert (totals["public"], totals["unknown"], totals["scanned"]) == (7, 1, len(EXPECTED))
    assert totals["by_reason"] == {"object-acl": 3, "bucket-acl": 2, "policy-allow": 2}
    assert job.result["previous"] is None
    report = client.get(reverse("objects:exposure-report", args=[job.pk])).content.decode()
    assert "3 through the object&#x27;s ACL" in report and "Make these private" not in report
    buckets = client.get(reverse("objects:bucket-list")).content.decode()
    assert f'href="/exposure/{job.pk}/"' in buckets and ": 7 public" in buckets


def test_a_second_run_shows_what_became_and_stopped_being_public(
    client, alice, start_worker, seeded, cos_client
):  # type: ignore[no-untyped-def]
    start_worker()
    client.force_login(alice)
    first = start_audit(client, seeded)
    cos_client.put_object_acl(Bucket=seeded, Key="acl/public.txt", ACL="private")
    cos_client.put_object_acl(Bucket=seeded, Key="acl/private.txt", ACL="public-read")
    second = start_audit(client, seeded)
    assert second.result["previous"] == first.pk
    rows = ExposureFinding.objects.filter(job=second)
    assert {r.key for r in rows.filter(new=True)} == {"acl/private.txt"}
    gone = rows.get(status="was_public")
    assert (gone.key, gone.reason, gone.detail) == ("acl/public.txt", "object-acl", "public-read")
    # the unreadable object is unknown in both: neither new nor gone
    assert rows.get(key=UNREADABLE).status == "unknown"
    totals = second.result["totals"]
    assert (totals["new"], totals["was_public"], totals["public"]) == (1, 1, 7)
    text = client.get(reverse("objects:exposure-report", args=[second.pk])).content.decode()
    assert "1 became public, 1 stopped being public" in text
    # an audit of another prefix is not "the previous run" of this one
    third = start_audit(client, seeded, prefix="acl/")
    assert third.result["previous"] is None


def test_throttling_slows_the_audit_down_and_it_finishes(client, alice, start_worker, seeded,
                                                         coslocal):  # type: ignore[no-untyped-def]  # fmt: skip
    coslocal.clear_faults()
    coslocal.set_faults(mode="error", status=503, code="SlowDown", count=40,
                        query_contains="acl", path_prefix="/acl/")  # fmt: skip
    start_worker()
    client.force_login(alice)
    job = start_audit(client, seeded)
    assert job.state == JobState.SUCCEEDED
    assert coslocal.fault_state()["fired"] == 40
    expected = {k: v for k, v in EXPECTED.items() if v[0] == "public"}
    assert {k: v for k, v in findings(job).items() if v[0] == "public"} == expected


def test_make_these_private_dry_run_confirm_report_and_audit(
    client, admin, bob, start_worker, seeded, cos_client, coslocal
):  # type: ignore[no-untyped-def]
    start_worker()
    client.force_login(admin)
    audit = start_audit(client, seeded)
    coslocal.clear_faults()
    client.force_login(bob)  # a viewer may not
    refused = client.post(reverse("objects:make-private-start", args=[seeded]),
                          {"audit": audit.pk}, **HTMX)  # fmt: skip
    assert refused.status_code == 403
    client.force_login(admin)
    report = client.get(reverse("objects:exposure-report", args=[audit.pk])).content.decode()
    assert 'id="make-private"' in report
    response = client.post(reverse("objects:make-private-start", args=[seeded]),
                           {"audit": audit.pk}, **HTMX)  # fmt: skip
    assert response.status_code == 200
    job = Job.objects.get(kind="make_private", bucket=seeded)
    job = wait_for_job(job.pk, {JobState.AWAITING_CONFIRM}, timeout=60)
    assert job.plan == {"change": 5, "keep": 2, "still_public": 2, "already_private": 0,
                        "unreadable": 0}  # fmt: skip
    for key in ("acl/public.txt", "inherit/a.txt"):  # the dry run changed nothing
        assert cos_client.get_object_acl(Bucket=seeded, Key=key)["CannedACL"] != "private"
    panel = client.get(reverse("objects:job-detail", args=[job.pk]), **HTMX).content.decode()
    assert "Make 5 objects private" in panel
    confirm = client.post(reverse("objects:make-private-confirm", args=[job.pk]),
                          {"choice": "apply"}, **HTMX)  # fmt: skip
    assert confirm.status_code == 200
    job = wait_for_job(job.pk, timeout=60)
    assert (job.done, job.failed, job.skipped) == (5, 0, 2)
    items = {i.key: (i.outcome, i.reason_code) for i in JobItem.objects.filter(job=job)}
    assert items == {
        "acl/public.txt": (ItemOutcome.DONE, ""), "acl/grant-anyone.txt": (ItemOutcome.DONE, ""),
        "acl/signed-in.txt": (ItemOutcome.DONE, ""), "inherit/a.txt": (ItemOutcome.DONE, ""),
        "inherit/b.txt": (ItemOutcome.DONE, ""),
        "policy/p1.txt": (ItemOutcome.SKIPPED, "still-public"),
        "policy/deep/p2.txt": (ItemOutcome.SKIPPED, "still-public"),
    }  # fmt: skip
    events = AuditEvent.objects.filter(action="object.acl.make_private").order_by("key")
    assert [e.key for e in events] == sorted(k for k, v in items.items() if v[0] == "done")
    assert events.get(key="acl/public.txt").detail == (
        "before: canned=public-read; grants=[] | after: canned=private; grants=[]"
    )
    again = start_audit(client, seeded)
    public = {r.key for r in ExposureFinding.objects.filter(job=again, status="public")}
    assert public == {"policy/p1.txt", "policy/deep/p2.txt"}


def test_make_everything_under_a_prefix_private(client, admin, start_worker, seeded, cos_client,
                                                coslocal):  # type: ignore[no-untyped-def]  # fmt: skip
    coslocal.clear_faults()
    start_worker()
    client.force_login(admin)
    client.post(reverse("objects:make-private-start", args=[seeded]), {"prefix": "acl/"}, **HTMX)
    job = Job.objects.get(kind="make_private", bucket=seeded)
    job = wait_for_job(job.pk, {JobState.AWAITING_CONFIRM}, timeout=60)
    assert (job.plan["change"], job.plan["already_private"]) == (3, 1)
    client.post(reverse("objects:make-private-confirm", args=[job.pk]), {"choice": "apply"},
                **HTMX)  # fmt: skip
    job = wait_for_job(job.pk, timeout=60)
    assert (job.done, job.skipped, job.state) == (3, 1, JobState.SUCCEEDED)
    assert all(
        cos_client.get_object_acl(Bucket=seeded, Key=k)["CannedACL"] == "private"
        for k in ("acl/public.txt", "acl/grant-anyone.txt", "acl/signed-in.txt")
    )
    assert cos_client.get_object_acl(Bucket=seeded, Key="inherit/a.txt")["CannedACL"] == "default"


def seed_public_every(server, bucket: str, count: int, every: int) -> set[str]:  # type: ignore[no-untyped-def]
    """`count` keys straight into coslocal's store; every `every`-th public-read."""
    import json
    import time
    from pathlib import Path

    from coslocal.store import Store

    public = json.dumps({"canned": "public-read", "grants": []})
    etag, now = '"d41d8cd98f00b204e9800998ecf8427e"', time.time()
    rows = [(bucket, f"k/{n:05d}", "null", 1, 0, 0, etag, "0", "[]", now, "{}", "STANDARD",
             public if n % every == 0 else "{}") for n in range(count)]  # fmt: skip
    with Store(Path(server.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return {f"k/{n:05d}" for n in range(0, count, every)}


def test_a_worker_killed_mid_scan_resumes_at_its_page(client, alice, start_worker, coslocal,
                                                      new_bucket):  # type: ignore[no-untyped-def]  # fmt: skip
    from tests.jobs.conftest import slowed, wait_for

    public = seed_public_every(coslocal, new_bucket, 3500, 7)
    worker = start_worker(CONSOLE_EXPOSURE_THREADS="4")
    client.force_login(alice)
    with slowed(coslocal, method="GET", query_contains="acl", delay=0.01):
        response = client.post(reverse("objects:exposure-audit-start", args=[new_bucket]), **HTMX)
        assert response.status_code == 200
        job = Job.objects.get(kind="exposure_audit", bucket=new_bucket)
        wait_for(lambda: Job.objects.get(pk=job.pk).done >= 1000, 60, "the first page")
        worker.kill()
        at_kill = Job.objects.get(pk=job.pk)
        assert at_kill.state == JobState.RUNNING and at_kill.done < 3500
        # what the live totals say matches the rows committed with them
        live = at_kill.result["live"]["public"]
        assert live == ExposureFinding.objects.filter(job=job).count() > 0
    start_worker()
    job = wait_for_job(job.pk, timeout=90)
    assert job.state == JobState.SUCCEEDED and job.done == 3500
    rows = ExposureFinding.objects.filter(job=job)
    assert {r.key for r in rows} == public and rows.count() == len(public)
    assert job.result["totals"]["public"] == len(public)
