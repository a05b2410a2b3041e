"""Large uploads end to end: chunks through the web endpoint, a real worker uploads to coslocal."""

from __future__ import annotations

import os
import re

import pytest
from django.urls import reverse

from objects_app.cos.crc64 import crc64
from objects_app.models import Job, JobState, UploadSession
from tests.jobs.conftest import slowed, wait_for, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def send_file(client, bucket: str, key: str, data: bytes, chunk: int) -> int:  # type: ignore[no-untyped-def]
    """What large-upload.js does: start, then PUT every chunk in order."""
    url = reverse("objects:upload-start", args=[bucket])
    state = client.post(url, {"key": key, "size": len(data), "fingerprint": "t:1"}).json()
    for index in range(state["received"], state["chunks"]):
        piece = data[index * chunk : (index + 1) * chunk]
        url = reverse("objects:upload-chunk", args=[state["job_id"], index])
        response = client.generic("PUT", url, piece, content_type="application/octet-stream")
        assert response.status_code == 200, response.content
    return int(state["job_id"])


def no_multipart_uploads(cos_client, bucket: str, key: str) -> bool:  # type: ignore[no-untyped-def]
    return not [u for u in cos_client.iter_multipart_uploads(Bucket=bucket) if u["Key"] == key]


def test_chunked_upload_becomes_a_verified_object_and_staging_is_removed(
    client, alice, cos_client, new_bucket, job_settings, start_worker
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 12345)  # 4 chunks, 4 multipart parts of 1 MB
    start_worker()
    client.force_login(alice)
    job_id = send_file(
        client, new_bucket, "big/file.bin", data, job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    )

    job = wait_for_job(job_id)
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.bytes_done == job.bytes_total == len(data)
    head = cos_client.head_object(Bucket=new_bucket, Key="big/file.bin")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(data) == int(job.result["crc64"])
    body = cos_client.get_object(Bucket=new_bucket, Key="big/file.bin")["Body"].read_all()
    assert body == data
    assert not (job_settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}").exists()
    assert no_multipart_uploads(cos_client, new_bucket, "big/file.bin")


def uploads_of(cos_client, bucket: str, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        u["UploadId"] for u in cos_client.iter_multipart_uploads(Bucket=bucket) if u["Key"] == key
    ]


def test_cancel_mid_upload_aborts_only_its_own_multipart_upload(
    client, alice, cos_client, coslocal, new_bucket, job_settings, start_worker
) -> None:
    # Someone else's unfinished upload of the same key (other bytes): a cancel must not touch it.
    other = cos_client.create_multipart_upload(Bucket=new_bucket, Key="c/file.bin")["UploadId"]
    cos_client.upload_part(
        Bucket=new_bucket, Key="c/file.bin", Body=b"o" * 1024 * 1024, PartNumber=1, UploadId=other
    )
    data = os.urandom(8 * 1024 * 1024)
    start_worker(CONSOLE_UPLOAD_THREADS="2")
    client.force_login(alice)
    with slowed(coslocal, method="PUT", query_contains="partNumber", delay=1.0):
        job_id = send_file(client, new_bucket, "c/file.bin", data, 1024 * 1024)
        wait_for(lambda: Job.objects.get(pk=job_id).bytes_done > 0, 30, "the first parts")
        own = UploadSession.objects.get(job_id=job_id).upload_id
        assert own != other and set(uploads_of(cos_client, new_bucket, "c/file.bin")) == {
            own,
            other,
        }
        response = client.post(reverse("objects:job-cancel", args=[job_id]), **HTMX)
        assert response.status_code == 200
        staging = job_settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}"
        wait_for(lambda: not staging.exists(), 30, "staging removal")
        wait_for(
            lambda: uploads_of(cos_client, new_bucket, "c/file.bin") == [other], 30, "the abort"
        )
    assert Job.objects.get(pk=job_id).state == JobState.CANCELLED
    assert not cos_client.object_exists(Bucket=new_bucket, Key="c/file.bin")


def send_chunks(client, job_id: int, data: bytes, chunk: int, indexes: range) -> None:  # type: ignore[no-untyped-def]
    for index in indexes:
        url = reverse("objects:upload-chunk", args=[job_id, index])
        piece = data[index * chunk : (index + 1) * chunk]
        response = client.generic("PUT", url, piece, content_type="application/octet-stream")
        assert response.status_code == 200, response.content


def test_parts_reach_cos_while_the_browser_is_still_sending(
    client, alice, cos_client, new_bucket, job_settings, start_worker
) -> None:
    from objects_app.models import UploadPart

    chunk = job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    data = os.urandom(6 * chunk + 777)  # 7 chunks
    start_worker(CONSOLE_UPLOAD_IDLE_SECONDS="1")
    client.force_login(alice)
    url = reverse("objects:upload-start", args=[new_bucket])
    state = client.post(url, {"key": "p/file.bin", "size": len(data), "fingerprint": "p:1"}).json()
    job_id = state["job_id"]
    send_chunks(client, job_id, data, chunk, range(4))  # then the browser pauses
    staging = job_settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}"
    # The first four chunks became parts in COS and left staging; with nothing more to do the
    # worker handed the job back instead of holding a worker process.
    wait_for(
        lambda: Job.objects.get(pk=job_id).state == JobState.AWAITING_INPUT, 30, "the hand-back"
    )
    assert sorted(UploadPart.objects.filter(job_id=job_id).values_list("number", flat=True)) == [
        1, 2, 3, 4
    ]  # fmt: skip
    upload_id = UploadSession.objects.get(job_id=job_id).upload_id
    listed = cos_client.list_parts(Bucket=new_bucket, Key="p/file.bin", UploadId=upload_id)
    assert [int(p["PartNumber"]) for p in listed["Part"]] == [1, 2, 3, 4]
    assert list(staging.iterdir()) == []
    # After a reload the browser asks where it stands and sends only the rest.
    again = client.post(url, {"key": "p/file.bin", "size": len(data), "fingerprint": "p:1"})
    assert again.json()["job_id"] == job_id and again.json()["received"] == 4
    send_chunks(client, job_id, data, chunk, range(4, 7))

    job = wait_for_job(job_id)
    assert job.state == JobState.SUCCEEDED, job.error_message
    head = cos_client.head_object(Bucket=new_bucket, Key="p/file.bin")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(data)
    assert cos_client.get_object(Bucket=new_bucket, Key="p/file.bin")["Body"].read_all() == data
    assert not staging.exists()
    assert no_multipart_uploads(cos_client, new_bucket, "p/file.bin")


def test_a_lost_staged_chunk_fails_the_job_clearly_and_leaves_no_parts(
    client, alice, cos_client, new_bucket, job_settings, start_worker
) -> None:
    from objects_app.jobs.kinds.upload.staging import chunk_path
    from objects_app.models import UploadPart

    data = os.urandom(3 * job_settings.CONSOLE_UPLOAD_CHUNK_BYTES + 5)
    client.force_login(alice)
    # No worker yet: the chunks wait in staging; then one of them is lost (a wiped disk).
    job_id = send_file(
        client, new_bucket, "lost/file.bin", data, job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    )
    chunk_path(job_id, 2).unlink()
    start_worker()

    job = wait_for_job(job_id)
    assert job.state == JobState.FAILED
    assert "Staged chunk 2 is missing" in job.error_message and "again" in job.error_message
    wait_for(lambda: no_multipart_uploads(cos_client, new_bucket, "lost/file.bin"), 30, "abort")
    wait_for(lambda: not UploadPart.objects.filter(job_id=job_id).exists(), 30, "part records")
    assert not cos_client.object_exists(Bucket=new_bucket, Key="lost/file.bin")
    assert not (job_settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}").exists()


def test_a_long_upload_is_worked_in_slices_and_still_finishes(
    client, alice, cos_client, coslocal, new_bucket, job_settings, start_worker, tmp_path
) -> None:
    chunk = job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    data = os.urandom(5 * chunk + 99)  # 6 parts, one at a time, 0.5 s each
    start_worker(CONSOLE_JOB_SLICE_SECONDS="1", CONSOLE_UPLOAD_THREADS="1")
    client.force_login(alice)
    with slowed(coslocal, method="PUT", query_contains="partNumber", delay=0.5):
        job_id = send_file(client, new_bucket, "s/file.bin", data, chunk)
        job = wait_for_job(job_id, timeout=60)
    assert job.state == JobState.SUCCEEDED, job.error_message
    head = cos_client.head_object(Bucket=new_bucket, Key="s/file.bin")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(data)
    # Each slice was a task of its own (a fresh message), so no task outlives its time limit.
    log = (tmp_path / "worker-0.log").read_text()
    slices = re.findall(r"objects_app\.jobs\.upload\[[-0-9a-f]+\] received", log)
    assert len(slices) >= 2, log[-2000:]


def test_upload_under_503s_and_resets_finishes_with_every_part_exact(
    client, alice, cos_client, new_bucket, coslocal, job_settings, start_worker
) -> None:
    from objects_app.models import UploadPart

    chunk = job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    data = os.urandom(8 * chunk - 1000)  # 8 parts
    start_worker()
    client.force_login(alice)
    slow_down = {"mode": "error", "status": 503, "code": "SlowDown", "method": "PUT",
                 "query_contains": "partNumber"}  # fmt: skip
    reset = {"mode": "reset", "method": "PUT", "query_contains": "partNumber"}
    # Count rules first, so each kind fires at least once whatever the random shares do.
    rules = [
        {**slow_down, "count": 1}, {**reset, "count": 1},
        {**slow_down, "fraction": 0.3}, {**reset, "fraction": 0.2},
    ]  # fmt: skip
    coslocal._admin("POST", rules)
    try:
        job_id = send_file(client, new_bucket, "f/file.bin", data, chunk)
        job = wait_for_job(job_id, timeout=90)
        fired = coslocal.fault_state()
    finally:
        coslocal.clear_faults()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert [rule["fired"] for rule in fired["rules"][:2]] == [1, 1], fired
    assert not UploadPart.objects.filter(job_id=job_id).exists()  # not kept once finished
    head = cos_client.head_object(Bucket=new_bucket, Key="f/file.bin")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(data)
    assert cos_client.get_object(Bucket=new_bucket, Key="f/file.bin")["Body"].read_all() == data
    assert no_multipart_uploads(cos_client, new_bucket, "f/file.bin")


def claimed(job_id: int):  # type: ignore[no-untyped-def]
    """This process claims the job, as a worker's run would (no task, no heartbeat thread)."""
    import time

    from objects_app.jobs import engine, registry

    token = engine.job_claim(job_id)
    assert token is not None
    return engine.JobRun(Job.objects.get(pk=job_id), registry.get("upload"), token,
                         time.monotonic() + 60)  # fmt: skip


def pumped(client, user, settings, bucket: str, key: str):  # type: ignore[no-untyped-def]
    """A 3-part upload whose parts are all in COS (sent in this process), not yet completed."""
    from objects_app.jobs.kinds.upload import finish
    from objects_app.jobs.kinds.upload.params import UploadParams
    from objects_app.jobs.kinds.upload.pump import Pump, PumpResult

    chunk = settings.CONSOLE_UPLOAD_CHUNK_BYTES
    data = os.urandom(2 * chunk + 10)
    client.force_login(user)
    job_id = send_file(client, bucket, key, data, chunk)  # no worker: the chunks wait
    run = claimed(job_id)
    params = UploadParams.from_json(run.job.params)
    assert Pump(run, params, finish.begin(run, params)).run() is PumpResult.ALL_SENT
    return run, params, data


def complete(run, params) -> Job:  # type: ignore[no-untyped-def]
    """The complete phase of the run, its result applied as the engine does."""
    from objects_app.jobs import engine
    from objects_app.jobs.kinds.upload import finish

    engine.apply_result(run, finish.step_complete(run, params))
    return Job.objects.get(pk=run.job.pk)


def test_complete_done_by_a_run_that_died_before_recording_it_is_recognised(
    client, alice, cos_client, new_bucket, job_settings
) -> None:
    from objects_app.models import UploadPart

    run, params, data = pumped(client, alice, job_settings, new_bucket, "d/file.bin")
    parts = [
        {"PartNumber": p.number, "ETag": p.etag} for p in UploadPart.objects.filter(job=run.job)
    ]
    upload_id = UploadSession.objects.get(job=run.job).upload_id
    cos_client.complete_multipart_upload(  # the earlier run got this far, then died
        Bucket=new_bucket, Key="d/file.bin", UploadId=upload_id, MultipartUpload={"Part": parts},
    )  # fmt: skip
    job = complete(run, params)  # the next run: NoSuchUpload, so the object's CRC-64 decides
    assert job.state == JobState.SUCCEEDED and int(job.result["crc64"]) == crc64(data)


def test_an_object_whose_crc_does_not_match_the_file_is_removed_and_the_job_fails(
    client, alice, cos_client, new_bucket, job_settings
) -> None:
    from objects_app.models import UploadPart

    run, params, _data = pumped(client, alice, job_settings, new_bucket, "m/file.bin")
    # The staged bytes said something else than what COS assembled (a damaged record).
    UploadPart.objects.filter(job=run.job, number=2).update(crc64="12345")
    job = complete(run, params)
    assert job.state == JobState.FAILED and "does not match" in job.error_message
    assert not cos_client.object_exists(Bucket=new_bucket, Key="m/file.bin")
    assert not (job_settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job.pk}").exists()


def test_a_slice_without_any_chunk_hands_back_whatever_the_idle_setting(
    client, alice, cos_client, new_bucket, job_settings, start_worker
) -> None:
    chunk = job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    data = os.urandom(3 * chunk + 1)
    # An idle limit longer than a slice must not keep an abandoned upload cycling forever.
    start_worker(CONSOLE_JOB_SLICE_SECONDS="1", CONSOLE_UPLOAD_IDLE_SECONDS="600")
    client.force_login(alice)
    url = reverse("objects:upload-start", args=[new_bucket])
    state = client.post(url, {"key": "i/file.bin", "size": len(data), "fingerprint": "i:1"}).json()
    send_chunks(client, state["job_id"], data, chunk, range(2))
    wait_for(
        lambda: Job.objects.get(pk=state["job_id"]).state == JobState.AWAITING_INPUT,
        30,
        "hand-back",
    )
    send_chunks(client, state["job_id"], data, chunk, range(2, 4))
    job = wait_for_job(state["job_id"])
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert int(job.result["crc64"]) == crc64(data)


def test_sweep_aborts_what_ended_uploads_left_on_cos_and_survives_a_failing_abort(
    alice, cos_client, coslocal, new_bucket, job_settings
) -> None:
    from objects_app.jobs.kinds.upload.finish import housekeeping
    from tests.jobs.factories import make_job

    def ended_upload(key: str) -> Job:
        upload_id = cos_client.create_multipart_upload(Bucket=new_bucket, Key=key)["UploadId"]
        job = make_job(alice, "upload", state=JobState.CANCELLED, bucket=new_bucket,
                       params={"key": key})  # fmt: skip
        UploadSession.objects.filter(job=job).update(upload_id=upload_id)
        return job

    first, second = ended_upload("o/1.bin"), ended_upload("o/2.bin")
    # COS refuses the first abort with a 503 on every retry: logged, the other is still aborted.
    refuse = {"mode": "error", "status": 503, "code": "SlowDown", "method": "DELETE"}
    coslocal._admin("POST", [{**refuse, "query_contains": "uploadId", "count": 5}])
    try:
        housekeeping()
    finally:
        coslocal.clear_faults()
    closed = UploadSession.objects.filter(job__in=[first, second], upload_closed=True)
    assert closed.count() == 1
    housekeeping()  # the next sweep retries the one that failed
    assert UploadSession.objects.filter(job__in=[first, second], upload_closed=True).count() == 2
    assert no_multipart_uploads(cos_client, new_bucket, "o/1.bin")
    assert no_multipart_uploads(cos_client, new_bucket, "o/2.bin")


def test_an_upload_begun_after_its_job_ended_is_aborted_at_once(
    client, alice, cos_client, new_bucket, job_settings
) -> None:
    from objects_app.jobs import engine
    from objects_app.jobs.kinds.upload import finish
    from objects_app.jobs.kinds.upload.params import UploadParams

    data = os.urandom(job_settings.CONSOLE_UPLOAD_CHUNK_BYTES + 1)
    client.force_login(alice)
    job_id = send_file(
        client, new_bucket, "e/file.bin", data, job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    )
    run = claimed(job_id)
    engine.job_finish(job_id, state=JobState.CANCELLED)  # the cancel lands before it begins
    with pytest.raises(finish.UploadEnded):
        finish.begin(run, UploadParams.from_json(run.job.params))
    assert no_multipart_uploads(cos_client, new_bucket, "e/file.bin")
    assert UploadSession.objects.get(job_id=job_id).upload_id == ""


def test_a_cancel_that_lands_during_complete_keeps_the_object_and_says_so(
    client, alice, cos_client, new_bucket, job_settings, monkeypatch
) -> None:
    from objects_app.jobs import engine
    from objects_app.models import AuditEvent
    from objects_app.storage import get_cos_client

    run, params, data = pumped(client, alice, job_settings, new_bucket, "k/file.bin")
    cos = get_cos_client()
    real_complete = cos.complete_multipart_upload

    def cancelled_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        engine.job_finish(run.job.pk, state=JobState.CANCELLED)
        return real_complete(*args, **kwargs)

    monkeypatch.setattr(cos, "complete_multipart_upload", cancelled_meanwhile)
    job = complete(run, params)
    assert job.state == JobState.CANCELLED and "was kept" in job.error_message
    assert int(job.result["crc64"]) == crc64(data)
    assert cos_client.object_exists(Bucket=new_bucket, Key="k/file.bin")
    end = AuditEvent.objects.get(action="job.upload.finish", key="k/file.bin")
    assert end.detail.startswith("cancelled at 3 of 3")


def test_a_complete_that_fails_inside_its_200_is_retried_by_the_job(
    client, alice, cos_client, new_bucket, coslocal, job_settings, start_worker
) -> None:
    chunk = job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    data = os.urandom(2 * chunk + 7)
    start_worker()
    client.force_login(alice)
    # More failures than the client's own retries: the task must back off and try again.
    rule = {"mode": "error200", "code": "InternalError", "method": "POST"}
    coslocal._admin("POST", [{**rule, "query_contains": "uploadId", "count": 6}])
    try:
        job_id = send_file(client, new_bucket, "c2/file.bin", data, chunk)
        job = wait_for_job(job_id, timeout=90)
        fired = coslocal.fault_state()["rules"][0]["fired"]
    finally:
        coslocal.clear_faults()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert fired == 6
    head = cos_client.head_object(Bucket=new_bucket, Key="c2/file.bin")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(data)
