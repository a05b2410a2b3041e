"""Batch deletes end to end: views -> real worker on real Redis -> coslocal, dry run first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from objects_app.models import AuditEvent, Job, JobState
from tests.jobs.conftest import keys_under, seed_keys, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]

HTMX = {"HTTP_HX_REQUEST": "true"}
SIBLINGS = ["del", "delx/keep-1", "keep/a", "de/l"]


def plan(client, bucket: str, prefix: str) -> Job:  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("objects:delete-plan", args=[bucket]), {"prefix": prefix}, **HTMX
    )
    assert response.status_code == 200, response.content
    return wait_for_job(Job.objects.latest("pk").pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})


def confirm(client, job: Job, mode: str) -> Job:  # type: ignore[no-untyped-def]
    url = reverse("objects:delete-confirm", args=[job.pk])
    assert client.post(url, {"mode": mode}, **HTMX).status_code == 200
    return wait_for_job(job.pk)


def test_prefix_delete_dry_run_then_deletes_exactly_the_prefix(
    client, alice, cos_client, new_bucket, coslocal, start_worker
) -> None:
    keys = [f"del/{n:05d}" for n in range(2500)]
    seed_keys(coslocal, new_bucket, keys + SIBLINGS)
    for n in range(3):
        cos_client.put_object(Bucket=new_bucket, Key=f"del/sized-{n}", Body=b"x" * 10)
    start_worker()
    client.force_login(alice)

    job = plan(client, new_bucket, "del/")
    assert job.state == JobState.AWAITING_CONFIRM
    assert job.plan == {"versioned": False, "current": {"objects": 2503, "bytes": 30}}
    assert len(keys_under(cos_client, new_bucket, "del/")) == 2503  # a dry run deletes nothing
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "Delete 2,503 current objects" in page

    job = confirm(client, job, "current")
    assert (job.state, job.total, job.done, job.failed) == (JobState.SUCCEEDED, 2503, 2503, 0)
    assert job.bytes_done == 30
    assert keys_under(cos_client, new_bucket, "del/") == []
    assert sorted(keys_under(cos_client, new_bucket)) == sorted(SIBLINGS)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"job.delete.plan", "job.delete.start", "job.delete.finish"} <= actions
    end = AuditEvent.objects.get(action="job.delete.finish")
    assert end.outcome == "ok" and end.detail.startswith("succeeded: 2503 done")


def test_versioned_bucket_offers_and_deletes_every_version_and_marker(
    client, alice, cos_client, new_bucket, start_worker
) -> None:
    cos_client.put_bucket_versioning(Bucket=new_bucket, Status="Enabled")
    for body in (b"one", b"two"):
        cos_client.put_object(Bucket=new_bucket, Key="v/a", Body=body)
    cos_client.put_object(Bucket=new_bucket, Key="v/b", Body=b"bee")
    cos_client.delete_object(Bucket=new_bucket, Key="v/b")  # leaves a delete marker
    cos_client.put_object(Bucket=new_bucket, Key="w/keep", Body=b"k")
    start_worker()
    client.force_login(alice)

    job = plan(client, new_bucket, "v/")
    assert job.plan["current"] == {"objects": 1, "bytes": 3}
    assert job.plan["all"] == {"objects": 4, "bytes": 9}
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "Delete all 4 versions and delete markers" in page

    job = confirm(client, job, "all")
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 4, 0)
    assert list(cos_client.iter_object_versions(Bucket=new_bucket, Prefix="v/")) == []
    assert keys_under(cos_client, new_bucket) == ["w/keep"]


def test_delete_under_503s_and_resets_finishes_with_exact_counts(
    client, alice, cos_client, new_bucket, coslocal, start_worker
) -> None:
    keys = [f"f/{n:05d}" for n in range(3000)]
    seed_keys(coslocal, new_bucket, keys + ["g/keep"])
    start_worker(CONSOLE_DELETE_PARALLEL="2")
    client.force_login(alice)
    # A share of multi-deletes get 503 SlowDown and a share of listings are reset mid-connection.
    # Rules are tried in order: the two count rules make sure each kind fires at least once (the
    # random shares alone fire nowhere in about one run in twenty), the fraction rules add more.
    slow_down = {
        "mode": "error",
        "status": 503,
        "code": "SlowDown",
        "method": "POST",
        "query_contains": "delete",
    }
    reset = {"mode": "reset", "method": "GET", "query_contains": "prefix"}
    rules = [
        {**slow_down, "count": 1}, {**reset, "count": 1},
        {**slow_down, "fraction": 0.4}, {**reset, "fraction": 0.3},
    ]  # fmt: skip
    coslocal._admin("POST", rules)  # the helper's set_faults takes one rule; the API takes a list
    try:
        job = plan(client, new_bucket, "f/")
        assert job.plan["current"]["objects"] == 3000
        job = confirm(client, job, "current")
        fired = coslocal.fault_state()
    finally:
        coslocal.clear_faults()
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 3000, 0)
    assert keys_under(cos_client, new_bucket) == ["g/keep"]
    assert [rule["fired"] for rule in fired["rules"][:2]] == [1, 1], fired


def test_selection_delete_removes_exactly_the_chosen_keys(
    client, alice, cos_client, new_bucket, coslocal, start_worker
) -> None:
    seed_keys(coslocal, new_bucket, ["s/1", "s/2", "s/3", "t/4"])
    start_worker()
    client.force_login(alice)
    url = reverse("objects:delete-selection", args=[new_bucket])
    response = client.post(url, {"selected": ["s/1", "t/4", "s/1"]}, **HTMX)
    assert response.status_code == 200
    job = Job.objects.latest("pk")
    assert job.state == JobState.AWAITING_CONFIRM and job.plan["current"]["objects"] == 2
    job = confirm(client, job, "current")
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 2, 0)
    assert keys_under(cos_client, new_bucket) == ["s/2", "s/3"]
