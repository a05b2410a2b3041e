"""Version-history jobs (issue 12) end to end: views -> real worker on real Redis -> coslocal.
A folder rewind (dry run, run, a racing upload, undo) verified key by key, delete noncurrent
versions (keep K and/or older than N days, a version that became current meanwhile is kept),
and the refusals users read."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from objects_app.models import AuditEvent, ItemOutcome, Job, JobItem, JobState
from tests.console.conftest import _user
from tests.jobs.conftest import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = 86400.0


@pytest.fixture
def dora(db):  # type: ignore[no-untyped-def]
    """An admin."""
    return _user("dora", "admin")


def body(cos_client, bucket: str, key: str) -> bytes | None:  # type: ignore[no-untyped-def]
    from objects_app.cos import CosServiceError

    try:
        return bytes(cos_client.get_object(Bucket=bucket, Key=key)["Body"].get_raw_stream().read())
    except CosServiceError as exc:
        assert exc.get_status_code() == 404
        return None


def versions_of(cos_client, bucket: str, prefix: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(v["Key"], v["VersionId"])
            for v in cos_client.iter_object_versions(Bucket=bucket, Prefix=prefix)]  # fmt: skip


def post(client, url: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(url, data, **HTMX)


def started(response) -> Job:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return wait_for_job(Job.objects.latest("pk").pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})


def next_second() -> datetime:
    """Sleep into the next whole second and return it (the form takes seconds only)."""
    now = time.time()
    time.sleep(1.05 - (now % 1))
    return datetime.fromtimestamp(int(time.time()), UTC)


# --- rewind -------------------------------------------------------------------------------------


def test_rewind_50_keys_dry_run_run_race_and_undo_verified_key_by_key(
    client, alice, cos_client, new_bucket, start_worker
) -> None:
    b = new_bucket
    cos_client.put_bucket_versioning(Bucket=b, Status="Enabled")
    keys = [f"r/k{n:02d}" for n in range(50)]
    for n, key in enumerate(keys):
        extra = {"StorageClass": "STANDARD_IA"} if n == 1 else {}  # the copy keeps the class
        cos_client.put_object(Bucket=b, Key=key, Body=f"one-{n}".encode(), **extra)
    cos_client.put_object(Bucket=b, Key="r/was-deleted", Body=b"early")
    cos_client.delete_object(Bucket=b, Key="r/was-deleted")
    at = next_second()  # T: everything above is older
    time.sleep(0.05)
    for n in range(20):  # overwritten after T: the old version comes back
        cos_client.put_object(Bucket=b, Key=keys[n], Body=f"two-{n}".encode())
    for n in range(20, 30):  # deleted after T: the version of T comes back
        cos_client.delete_object(Bucket=b, Key=keys[n])
    new = [f"r/new-{n}" for n in range(5)]  # did not exist at T: a delete marker
    for key in new:
        cos_client.put_object(Bucket=b, Key=key, Body=b"new")
    cos_client.put_object(Bucket=b, Key="r/was-deleted", Body=b"late")  # deleted at T
    cos_client.put_object(Bucket=b, Key="s/outside", Body=b"out")  # another folder
    before = versions_of(cos_client, b, "")
    start_worker()
    client.force_login(alice)

    dialog = client.get(reverse("objects:rewind-dialog", args=[b]), {"prefix": "r/"}, **HTMX)
    assert 'id="rewind-form"' in dialog.content.decode()
    job = started(post(client, reverse("objects:rewind-plan", args=[b]),
                       {"prefix": "r/", "at": at.strftime("%Y-%m-%dT%H:%M:%S")}))  # fmt: skip
    assert job.state == JobState.AWAITING_CONFIRM, job.error_message
    assert {a: job.plan[a]["objects"] for a in ("copy", "marker", "nothing")} == {
        "copy": 30, "marker": 6, "nothing": 20
    }  # fmt: skip
    assert versions_of(cos_client, b, "") == before  # a dry run changes nothing
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "Rewind 36 objects" in page
    # The plan, key by key, on the job's page.
    assert 'id="job-report"' in page and "Nothing to do: it is as it was then." in page
    planned = {i.key: (i.group, i.ref) for i in JobItem.objects.filter(job=job)}
    assert planned[keys[5]][0] == "copy" and planned[new[0]] == ("marker", "")
    assert planned[keys[40]] == ("nothing", "")
    assert "make an older version current for 30 objects" in page

    # An upload racing the rewind (after its dry run): it stays current, and the report says so.
    cos_client.put_object(Bucket=b, Key=keys[0], Body=b"racer")
    response = post(client, reverse("objects:rewind-confirm", args=[job.pk]), {"choice": "run"})
    assert response.status_code == 200
    job = wait_for_job(job.pk)
    assert (job.state, job.done, job.skipped, job.failed) == (JobState.SUCCEEDED, 35, 21, 0)
    assert body(cos_client, b, keys[0]) == b"racer"
    raced = JobItem.objects.get(job=job, key=keys[0])
    assert raced.outcome == ItemOutcome.SKIPPED and raced.reason_code == "Changed"
    assert "Changed after the dry run" in raced.reason
    # The report's fixed reasons read in the reader's language.
    zh = client.get(reverse("objects:job-detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert "试运行之后已有改动（当前已是更新的版本或删除标记），保持原样。" in zh.content.decode()
    for n, key in enumerate(keys[1:30], start=1):
        assert body(cos_client, b, key) == f"one-{n}".encode(), key
    for n, key in enumerate(keys[30:], start=30):
        assert body(cos_client, b, key) == f"one-{n}".encode(), key
    for key in [*new, "r/was-deleted"]:
        assert body(cos_client, b, key) is None, key
    assert body(cos_client, b, "s/outside") == b"out"
    head = cos_client.head_object(Bucket=b, Key=keys[1])
    assert head.get("x-cos-storage-class") == "STANDARD_IA"
    assert JobItem.objects.get(job=job, key=keys[1]).ref.endswith(" STANDARD_IA")
    # The report, per key: what was done (the run's own check data is gone from it).
    copied, marked = (
        JobItem.objects.get(job=job, key=keys[2]),
        JobItem.objects.get(job=job, key=new[0]),
    )
    assert (copied.outcome, copied.reason_code) == (ItemOutcome.DONE, "")
    assert copied.reason == "Make this version current again (copied onto the key)."
    assert marked.reason == "Add a delete marker (the key did not exist then)." and not marked.ref
    unchanged = JobItem.objects.get(job=job, key=keys[40])
    assert unchanged.outcome == ItemOutcome.SKIPPED and unchanged.reason_code == "Unchanged"
    after = versions_of(cos_client, b, "")
    # Nothing was deleted: every version is still there, plus 29 copies and 6 delete markers
    # (and the racing upload).
    assert set(before) <= set(after) and len(after) == len(before) + 1 + 29 + 6
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"job.rewind.plan", "job.rewind.start", "job.rewind.finish"} <= actions

    # Undo: a rewind to the moment the run started.
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "Undo: rewind to" in page
    response = post(client, reverse("objects:rewind-undo", args=[job.pk]), {})
    undo = started(response)
    assert undo.params["undo_of"] == job.pk and undo.params["at"] == job.plan["run_started"]
    assert {a: undo.plan[a]["objects"] for a in ("copy", "marker", "nothing")} == {
        "copy": 19 + 5 + 1, "marker": 10, "nothing": 21
    }  # fmt: skip
    post(client, reverse("objects:rewind-confirm", args=[undo.pk]), {"choice": "run"})
    undo = wait_for_job(undo.pk)
    assert (undo.state, undo.done, undo.failed) == (JobState.SUCCEEDED, 35, 0)
    assert body(cos_client, b, keys[0]) == b"racer"
    for n, key in enumerate(keys[1:20], start=1):
        assert body(cos_client, b, key) == f"two-{n}".encode(), key
    for key in keys[20:30]:
        assert body(cos_client, b, key) is None, key
    for n, key in enumerate(keys[30:], start=30):
        assert body(cos_client, b, key) == f"one-{n}".encode(), key
    for key in new:
        assert body(cos_client, b, key) == b"new", key
    assert body(cos_client, b, "r/was-deleted") == b"late"


def test_rewind_refusals_say_why(client, alice, bob, cos_client, new_bucket, coslocal) -> None:
    url = reverse("objects:rewind-plan", args=[new_bucket])
    client.force_login(alice)
    now = datetime.now(UTC)

    def refused(at: str, status: int = 422) -> str:
        response = post(client, url, {"prefix": "r/", "at": at})
        assert response.status_code == status, response.content
        return response.content.decode()

    # Versioning off: no history to rewind to.
    text = refused(now.strftime("%Y-%m-%dT%H:%M:%S"), 409)
    assert "Versioning is not enabled on bucket" in text
    cos_client.put_bucket_versioning(Bucket=new_bucket, Status="Enabled")
    future = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert "is in the future: a folder can only be rewound to a moment that has passed" in refused(
        future
    )
    before = refused((now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S"))
    assert f"Bucket {new_bucket} was created at" in before
    assert "there is nothing to rewind to before that" in before
    assert "is not a moment: give a date and time as YYYY-MM-DD HH:MM:SS (UTC)" in refused(
        "yesterday"
    )
    assert "Give the moment to rewind to." in refused("")
    assert not Job.objects.exists()
    client.force_login(bob)  # a viewer
    assert refused(now.strftime("%Y-%m-%dT%H:%M:%S"), 403)


# --- delete noncurrent versions -----------------------------------------------------------------


def seed_history(server, bucket: str, history: dict[str, list[tuple[str, int, bool]]]) -> None:  # type: ignore[no-untyped-def]
    """Insert versions (id, age in days, is a delete marker), oldest first, straight into
    coslocal's store: only an insert can date a version in the past."""
    from coslocal.store import Store

    now = time.time()
    rows = []
    for key, entries in history.items():
        for n, (vid, age, dm) in enumerate(entries):
            latest = 1 if n == len(entries) - 1 else 0
            rows.append((bucket, key, vid, latest, int(dm), 0 if dm else 100, '"e"', "0", "[]",
                         now - age * DAY, "{}", "STANDARD", "{}"))  # fmt: skip
    with Store(Path(server.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def test_delete_noncurrent_keeps_k_and_recent_never_a_current_version(
    client, alice, dora, cos_client, new_bucket, coslocal, start_worker
) -> None:
    b = new_bucket
    cos_client.put_bucket_versioning(Bucket=b, Status="Enabled")
    history = {
        f"n/k{k}": [(f"k{k}v{i}", age, False) for i, age in enumerate((50, 40, 30, 20, 10))]
        for k in range(10)
    }
    history["n/gone"] = [("g0", 60, False), ("g1", 45, False), ("gdm", 35, True)]
    history["o/other"] = [("o0", 90, False), ("o1", 80, False)]
    seed_history(coslocal, b, history)
    start_worker()
    client.force_login(alice)  # an operator may not
    url = reverse("objects:noncurrent-plan", args=[b])
    assert post(client, url, {"prefix": "n/", "keep": "1", "days": "25"}).status_code == 403
    client.force_login(dora)
    job = started(post(client, url, {"prefix": "n/", "keep": "1", "days": "25"}))
    # Per key: v3 (noncurrent 10 days, rank 1) and v2 (20 days) are kept; v1, v0 go.
    # n/gone: g1 is the newest noncurrent (kept), g0 goes (and its key is deleted).
    assert job.plan["doomed"] == {"objects": 21, "bytes": 2100}
    assert job.plan["of_deleted_keys"]["objects"] == 1 and job.plan["kept"] == 21
    page = client.get(reverse("objects:job-detail", args=[job.pk])).content.decode()
    assert "Delete 21 noncurrent versions for good (frees 2.1" in page
    assert "Current versions are never deleted." in page

    # Meanwhile k1's three newest versions are deleted for good: v1 becomes current.
    for vid in ("k1v4", "k1v3", "k1v2"):
        cos_client.delete_object(Bucket=b, Key="n/k1", VersionId=vid)
    post(client, reverse("objects:noncurrent-confirm", args=[job.pk]), {"choice": "run"})
    job = wait_for_job(job.pk)
    # k1's planned versions (v1, now current, and v0) are kept; everything else goes.
    assert (job.state, job.done, job.skipped, job.failed) == (JobState.SUCCEEDED, 19, 2, 0)
    for vid in ("k1v1", "k1v0"):
        kept = JobItem.objects.get(job=job, ref=vid)
        assert kept.outcome == ItemOutcome.SKIPPED and kept.reason_code == "BecameCurrent"
        assert "Newer versions of this key were deleted after the dry run" in kept.reason
    # The plan's latest-entry times were the run's own: the report's done rows carry no code.
    done = JobItem.objects.filter(job=job, outcome=ItemOutcome.DONE)
    assert done.count() == 19 and not done.exclude(reason_code="").exists()
    left = set(versions_of(cos_client, b, ""))
    expected = {(f"n/k{k}", f"k{k}v{i}") for k in range(10) for i in (2, 3, 4) if k != 1}
    expected |= {("n/k1", "k1v1"), ("n/k1", "k1v0"), ("n/gone", "g1"), ("n/gone", "gdm"),
                 ("o/other", "o0"), ("o/other", "o1")}  # fmt: skip
    assert left == expected
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"job.noncurrent.plan", "job.noncurrent.start", "job.noncurrent.finish"} <= actions


def test_delete_noncurrent_refusals_say_why(client, dora, cos_client, new_bucket) -> None:
    url = reverse("objects:noncurrent-plan", args=[new_bucket])
    client.force_login(dora)

    def refused(data: dict[str, str], status: int = 422) -> str:
        response = post(client, url, {"prefix": "n/", **data})
        assert response.status_code == status, response.content
        return response.content.decode()

    assert "The number of versions to keep cannot be negative." in refused({"keep": "-1"})
    assert "The number of days cannot be negative." in refused({"days": "-3"})
    assert "Give a whole number." in refused({"keep": "two"})
    assert "Give a number of versions to keep, a number of days, or both." in refused({})
    assert "has never had versioning: it has no noncurrent versions" in refused({"keep": "1"}, 409)
    assert not Job.objects.exists()


def test_a_rewind_killed_mid_run_resumes_without_repeating_a_key(
    client, alice, cos_client, coslocal, new_bucket, start_worker
) -> None:
    from tests.jobs.conftest import slowed, wait_for

    b = new_bucket
    cos_client.put_bucket_versioning(Bucket=b, Status="Enabled")
    keys = [f"k/{n:03d}" for n in range(120)]
    for n, key in enumerate(keys):
        cos_client.put_object(Bucket=b, Key=key, Body=f"one-{n}".encode())
    at = next_second()
    time.sleep(0.05)
    for n, key in enumerate(keys):
        cos_client.put_object(Bucket=b, Key=key, Body=f"two-{n}".encode())
    worker = start_worker(CONSOLE_REWIND_PARALLEL="2")
    client.force_login(alice)
    job = started(post(client, reverse("objects:rewind-plan", args=[b]),
                       {"prefix": "k/", "at": at.strftime("%Y-%m-%dT%H:%M:%S")}))  # fmt: skip
    assert job.plan["copy"]["objects"] == 120
    with slowed(coslocal, method="PUT", query_contains="", delay=0.3):
        post(client, reverse("objects:rewind-confirm", args=[job.pk]), {"choice": "run"})
        wait_for(lambda: Job.objects.get(pk=job.pk).done >= 64, 60, "the first window")
        wait_for(lambda: coslocal.fault_state()["fired"] >= 70, 60, "copies of the next window")
        worker.kill()  # coslocal still carries out the copies it is holding
        time.sleep(1.0)
    killed = Job.objects.get(pk=job.pk)
    assert killed.state == JobState.RUNNING and killed.done < 120
    start_worker(CONSOLE_REWIND_PARALLEL="2")
    job = wait_for_job(job.pk, timeout=90)
    assert (job.state, job.done, job.failed, job.skipped) == (JobState.SUCCEEDED, 120, 0, 0)
    copies: dict[str, int] = {}
    for key, _vid in versions_of(cos_client, b, "k/"):
        copies[key] = copies.get(key, 0) + 1
    assert copies == {key: 3 for key in keys}  # one, two, and exactly one copy back
    for n, key in enumerate(keys):
        assert body(cos_client, b, key) == f"one-{n}".encode(), key


def test_a_rewind_dry_run_killed_between_pages_resumes_each_key_planned_once(
    alice, cos_client, coslocal, new_bucket, start_worker
) -> None:
    from objects_app.jobs.kinds.rewind.services import rewind_start
    from tests.jobs.conftest import slowed, wait_for

    b = new_bucket
    cos_client.put_bucket_versioning(Bucket=b, Status="Enabled")
    time.sleep(1.2)  # every version (and T) after the bucket's creation second
    now = time.time()
    # 1,500 keys of 3 versions: 5 listing pages of 1,000, the first ending inside a key's history.
    history = {f"p/{k:05d}": [(f"{v}{k}", 0, False) for v in "abc"] for k in range(1500)}
    seed_history(coslocal, b, history)
    from coslocal.store import Store

    with Store(Path(coslocal.data_dir)).db.write() as conn:  # a before T; b and c after it
        for version, age in (("a", 0.6), ("b", 0.2), ("c", 0.1)):
            conn.execute("UPDATE versions SET mtime = ? WHERE bucket = ? AND version_id LIKE ?",
                         (now - age, b, f"{version}%"))  # fmt: skip
    worker = start_worker()
    at = datetime.fromtimestamp(now - 0.4, UTC)
    with slowed(coslocal, method="GET", query_contains="versions", delay=1.5):
        job = rewind_start(user=alice, bucket=b, prefix="p/", at=at)
        wait_for(lambda: Job.objects.get(pk=job.pk).done >= 1, 60, "the first page")
        worker.kill()
        killed = Job.objects.get(pk=job.pk)
        assert killed.state == JobState.RUNNING and 0 < killed.done < 1500
        # The page ended inside a key, before its decision: the carry holds it.
        assert killed.listing_version_marker and killed.plan["carry"]["decided"] is False
    start_worker()
    job = wait_for_job(job.pk, {JobState.AWAITING_CONFIRM, JobState.FAILED}, timeout=90)
    assert job.state == JobState.AWAITING_CONFIRM, job.error_message
    items = list(JobItem.objects.filter(job=job).values_list("key", "group", "ref", "reason_code"))
    assert len(items) == 1500 and len({key for key, _g, _r, _c in items}) == 1500
    # Each key: copy its version a back, over c (its latest, remembered across the kill).
    assert all((g, r, c) == ("copy", f"a{int(k[2:])}", f"c{int(k[2:])}") for k, g, r, c in items)
    assert job.plan["copy"]["objects"] == 1500
