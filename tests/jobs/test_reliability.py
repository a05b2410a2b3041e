"""Jobs survive crashes: SIGKILLed workers, a Redis restart. Real processes throughout; coslocal's
delay fault slows the work down so "mid-way" is reached deterministically."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from objects_app.cos.crc64 import crc64
from objects_app.models import Job, JobState
from tests.jobs.conftest import keys_under, restart_redis, seed_keys, slowed, wait_for, wait_for_job
from tests.jobs.test_deletes import plan
from tests.jobs.test_uploads import no_multipart_uploads, send_file

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]

MB = 1024 * 1024


def test_upload_resumes_after_the_worker_is_killed_mid_way(
    client, alice, cos_client, coslocal, new_bucket, job_settings, start_worker
) -> None:
    job_settings.CONSOLE_UPLOAD_CHUNK_BYTES = 8 * MB
    data = os.urandom(64 * MB)  # 8 parts of 8 MB, 4 in flight
    worker = start_worker(CONSOLE_UPLOAD_THREADS="4")
    client.force_login(alice)
    with slowed(coslocal, method="PUT", query_contains="partNumber", delay=1.5):
        job_id = send_file(client, new_bucket, "huge/file.bin", data, 8 * MB)
        wait_for(lambda: Job.objects.get(pk=job_id).bytes_done > 0, 60, "the first parts")
        worker.kill()
        killed = Job.objects.get(pk=job_id)
        assert killed.state == JobState.RUNNING and killed.bytes_done < len(data)
        start_worker(CONSOLE_UPLOAD_THREADS="4")
        job = wait_for_job(job_id, timeout=90)
        parts_sent = coslocal.fault_state()["fired"]
    assert job.state == JobState.SUCCEEDED, job.error_message
    head = cos_client.head_object(Bucket=new_bucket, Key="huge/file.bin")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(data)
    assert int(head["Content-Length"]) == len(data)
    # Resumed, not restarted: the parts finished before the kill were not sent again.
    assert parts_sent < 16, parts_sent
    assert no_multipart_uploads(cos_client, new_bucket, "huge/file.bin")
    assert not (job_settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}").exists()


def test_delete_finishes_exactly_after_the_worker_is_killed_mid_way(
    client, alice, cos_client, coslocal, new_bucket, start_worker
) -> None:
    keys = [f"bulk/{n:05d}" for n in range(10_000)]
    siblings = ["bulk", "bulkx/1", "other/1"]
    seed_keys(coslocal, new_bucket, keys + siblings)
    worker = start_worker(CONSOLE_DELETE_PARALLEL="2")
    client.force_login(alice)
    job = plan(client, new_bucket, "bulk/")
    assert job.plan["current"]["objects"] == 10_000
    with slowed(coslocal, method="POST", query_contains="delete", delay=0.4):
        url = reverse("objects:delete-confirm", args=[job.pk])
        assert client.post(url, {"mode": "current"}).status_code == 200
        wait_for(lambda: Job.objects.get(pk=job.pk).done >= 2000, 60, "the first windows")
        worker.kill()
        killed = Job.objects.get(pk=job.pk)
        assert killed.state == JobState.RUNNING and killed.done < 10_000
        start_worker(CONSOLE_DELETE_PARALLEL="2")
        job = wait_for_job(job.pk, timeout=90)
    assert (job.state, job.done, job.failed, job.total) == (JobState.SUCCEEDED, 10_000, 0, 10_000)
    assert keys_under(cos_client, new_bucket, "bulk/") == []
    assert sorted(keys_under(cos_client, new_bucket)) == sorted(siblings)


def test_a_job_finishes_across_a_redis_restart(
    client, alice, cos_client, coslocal, new_bucket, redis_server, start_worker
) -> None:
    seed_keys(coslocal, new_bucket, [f"r/{n:05d}" for n in range(4000)])
    # Every window hands the job back through Redis (slice of 0 s), so the restart hits hand-offs.
    start_worker(CONSOLE_DELETE_PARALLEL="1", CONSOLE_JOB_SLICE_SECONDS="0")
    client.force_login(alice)
    job = plan(client, new_bucket, "r/")
    with slowed(coslocal, method="POST", query_contains="delete", delay=0.4):
        url = reverse("objects:delete-confirm", args=[job.pk])
        assert client.post(url, {"mode": "current"}).status_code == 200
        wait_for(lambda: Job.objects.get(pk=job.pk).done >= 1000, 60, "the first window")
        restart_redis(redis_server, down_seconds=2.0)
        job = wait_for_job(job.pk, timeout=90)
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 4000, 0)
    assert keys_under(cos_client, new_bucket) == []


def test_a_versioned_delete_killed_after_cos_acted_does_not_stack_a_second_marker(
    client, alice, cos_client, coslocal, new_bucket, start_worker
) -> None:
    """The window's Delete Multiple reached COS, then the worker died before committing: the next
    run must see that those objects are gone (reconcile), not delete them again (which, in a
    versioned bucket, would put a second delete marker on every key)."""
    import time
    import uuid
    from pathlib import Path

    from coslocal.store import Store

    cos_client.put_bucket_versioning(Bucket=new_bucket, Status="Enabled")
    keys = [f"v/{n:05d}" for n in range(1500)]
    etag, now = '"d41d8cd98f00b204e9800998ecf8427e"', time.time()
    rows = [(new_bucket, k, uuid.uuid4().hex, 1, 0, 0, etag, "0", "[]", now, "{}", "STANDARD", "{}")
            for k in keys]  # fmt: skip
    with Store(Path(coslocal.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, size, etag, crc64,"
            " blobs, mtime, headers, storage_class, acl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    worker = start_worker(CONSOLE_DELETE_PARALLEL="1")
    client.force_login(alice)
    job = plan(client, new_bucket, "v/")
    assert job.plan["current"]["objects"] == 1500
    with slowed(coslocal, method="POST", query_contains="delete", delay=3.0):
        url = reverse("objects:delete-confirm", args=[job.pk])
        assert client.post(url, {"mode": "current"}).status_code == 200
        wait_for(lambda: coslocal.fault_state()["fired"] >= 1, 60, "the first window's call")
        time.sleep(0.5)
        worker.kill()  # coslocal still carries out the call it is holding
        time.sleep(3.5)
    start_worker(CONSOLE_DELETE_PARALLEL="1")
    job = wait_for_job(job.pk, timeout=90)
    assert (job.state, job.done, job.failed) == (JobState.SUCCEEDED, 1500, 0)
    markers: dict[str, int] = {}
    for entry in cos_client.iter_object_versions(Bucket=new_bucket, Prefix="v/"):
        if entry["IsDeleteMarker"]:
            markers[entry["Key"]] = markers.get(entry["Key"], 0) + 1
    assert len(markers) == 1500 and set(markers.values()) == {1}
