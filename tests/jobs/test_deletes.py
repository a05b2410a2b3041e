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


def confirm(client, job: Job, mode: str, typed: str = "") -> Job:  # type: ignore[no-untyped-def]
    url = reverse("objects:delete-confirm", args=[job.pk])
    response = client.post(url, {"mode": mode, "confirm_text": typed}, **HTMX)
    assert response.status_code == 200, response.content
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
    # Every version goes for good: the bucket's name must be typed, on the server too.
    assert f'data-confirm-text="{new_bucket}"' in page
    url = reverse("objects:delete-confirm", args=[job.pk])
    for typed in ("", "wrong-name", new_bucket.upper()):
        refused = client.post(url, {"mode": "all", "confirm_text": typed}, **HTMX)
        assert refused.status_code == 422
        assert f"Type {new_bucket} to confirm. Nothing was changed." in refused.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.AWAITING_CONFIRM
    assert len(list(cos_client.iter_object_versions(Bucket=new_bucket, Prefix="v/"))) == 4

    job = confirm(client, job, "all", typed=new_bucket)
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
    for key, size in (("s/1", 1000), ("s/2", 1), ("s/3", 1), ("t/4", 234)):
        cos_client.put_object(Bucket=new_bucket, Key=key, Body=b"x" * size)
    start_worker()
    client.force_login(alice)
    url = reverse("objects:delete-selection", args=[new_bucket])
    # "u/5" was never there (deleted since the page was loaded, say): it leaves the plan.
    response = client.post(url, {"selected": ["s/1", "t/4", "s/1", "u/5"]}, **HTMX)
    assert response.status_code == 200
    job = wait_for_job(Job.objects.latest("pk").pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})
    # The dry run sized the chosen keys: the plan says what it frees (it said 0 bytes before).
    assert job.state == JobState.AWAITING_CONFIRM
    assert job.plan["current"] == {"objects": 2, "bytes": 1234} and job.plan["gone"] == 1
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "Found 2 objects (1.2\xa0KB). 1 selected object was already gone." in page
    job = confirm(client, job, "current")
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 2, 0)
    assert keys_under(cos_client, new_bucket) == ["s/2", "s/3"]


def test_deleting_everything_in_a_bucket_asks_for_its_name(
    client, alice, cos_client, new_bucket, start_worker
) -> None:
    for key in ("a", "b/c"):
        cos_client.put_object(Bucket=new_bucket, Key=key, Body=b"x")
    start_worker()
    client.force_login(alice)
    job = plan(client, new_bucket, "")
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "This cannot be undone. Type" in page and f'data-confirm-text="{new_bucket}"' in page
    url = reverse("objects:delete-confirm", args=[job.pk])
    refused = client.post(url, {"mode": "current"}, **HTMX)
    assert refused.status_code == 422
    assert f"Type {new_bucket} to confirm." in refused.content.decode()
    assert keys_under(cos_client, new_bucket) == ["a", "b/c"]

    job = confirm(client, job, "current", typed=new_bucket)
    assert (job.state, job.done) == (JobState.SUCCEEDED, 2)
    assert keys_under(cos_client, new_bucket) == []


def test_a_folder_delete_needs_no_typing(client, alice, cos_client, new_bucket, start_worker):  # type: ignore[no-untyped-def]
    cos_client.put_object(Bucket=new_bucket, Key="f/a", Body=b"x")
    start_worker()
    client.force_login(alice)
    job = plan(client, new_bucket, "f/")
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "data-confirm-text" not in page
    assert confirm(client, job, "current").state == JobState.SUCCEEDED


def test_a_selection_of_folders_and_objects_is_one_dry_run_then_one_delete(
    client, alice, cos_client, new_bucket, start_worker
) -> None:
    keys = ["top/a/1", "top/a/2", "top/b/1", "top/c.txt", "top/d.txt", "top/e/keep"]
    for key in keys:
        cos_client.put_object(Bucket=new_bucket, Key=key, Body=b"xy")
    start_worker()
    client.force_login(alice)
    selection = {
        "prefix": "top/",
        "selected_folders": ["top/a/", "top/b/"],
        "selected": ["top/c.txt", "top/a/1"],  # one inside a chosen folder: deleted once
    }
    response = client.post(reverse("objects:objects-delete", args=[new_bucket]), selection, **HTMX)
    assert response.status_code == 200, response.content
    job = wait_for_job(Job.objects.latest("pk").pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})
    assert job.plan["current"]["objects"] == 4  # three under the folders, one chosen key
    assert sorted(keys_under(cos_client, new_bucket)) == sorted(keys)  # nothing gone yet
    job = confirm(client, job, "current")
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 4, 0)
    assert sorted(keys_under(cos_client, new_bucket)) == ["top/d.txt", "top/e/keep"]


def test_sizing_the_selection_killed_mid_way_resumes_without_counting_a_key_twice(
    alice, cos_client, new_bucket, coslocal, start_worker
) -> None:
    """The dry run HEADs selected keys 500 a commit; killed after the first commit, the next
    worker goes on from there: every key sized once, every missing one counted once."""
    from objects_app.jobs.kinds.delete.services import delete_selection_start
    from tests.jobs.conftest import slowed, wait_for

    present = [f"s/{n:04d}" for n in range(1100)]
    seed_keys(coslocal, new_bucket, present)
    cos_client.put_object(Bucket=new_bucket, Key="s/sized", Body=b"x" * 4321)
    missing = [f"s/{n:04d}-gone" for n in range(100)]
    chosen = sorted([*present, *missing, "s/sized"])
    worker = start_worker(CONSOLE_DELETE_PARALLEL="2")
    with slowed(coslocal, method="HEAD", query_contains="", delay=0.02):
        job = delete_selection_start(
            user=alice, bucket=new_bucket, items=[(key, "") for key in chosen]
        )
        wait_for(lambda: Job.objects.get(pk=job.pk).plan.get("sized", 0) >= 500, 60, "a batch")
        worker.kill()
    killed = Job.objects.get(pk=job.pk)
    assert killed.state == JobState.RUNNING and killed.plan["sized"] < len(chosen)
    start_worker()
    job = wait_for_job(job.pk, {JobState.AWAITING_CONFIRM, JobState.FAILED}, timeout=90)
    assert job.state == JobState.AWAITING_CONFIRM
    assert job.plan["current"] == {"objects": 1101, "bytes": 4321} and job.plan["gone"] == 100
    assert sorted(job.items.values_list("key", flat=True)) == sorted([*present, "s/sized"])


def test_a_retry_keeps_the_versions_it_names_with_their_sizes_and_deletes_them(
    client, alice, cos_client, new_bucket, start_worker
) -> None:
    """A delete marker's HEAD is a 404: the retry's dry run must not take it for gone."""
    from objects_app.jobs.kinds.delete.services import delete_retry_failed
    from objects_app.models import ItemOutcome, JobItem
    from tests.jobs.factories import make_job

    cos_client.put_bucket_versioning(Bucket=new_bucket, Status="Enabled")
    put = cos_client.put_object(Bucket=new_bucket, Key="v", Body=b"x" * 70)
    marker = cos_client.delete_object(Bucket=new_bucket, Key="v")["x-cos-version-id"]
    failed = make_job(alice, "delete", phase="delete", state=JobState.PARTIALLY_FAILED,
                      bucket=new_bucket, total=2, failed=2)  # fmt: skip
    for seq, (ref, size) in enumerate([(marker, 0), (put["x-cos-version-id"], 70)]):
        JobItem.objects.create(job=failed, seq=seq, key="v", ref=ref, size=size, group="current",
                               outcome=ItemOutcome.FAILED, reason_code="InternalError")  # fmt: skip
    start_worker()
    retry = delete_retry_failed(user=alice, job=failed)
    retry = wait_for_job(retry.pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})
    assert retry.state == JobState.AWAITING_CONFIRM and "gone" not in retry.plan
    assert retry.plan["all"] == {"objects": 2, "bytes": 70}
    client.force_login(alice)
    retry = confirm(client, retry, "all", typed=new_bucket)
    assert (retry.state, retry.done, retry.failed) == (JobState.SUCCEEDED, 2, 0)
    assert cos_client.list_objects_versions(Bucket=new_bucket).get("Version", []) == []
    assert cos_client.list_objects_versions(Bucket=new_bucket).get("DeleteMarker", []) == []
