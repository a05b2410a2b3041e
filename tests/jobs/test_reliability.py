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
