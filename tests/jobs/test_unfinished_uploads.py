"""A bucket's unfinished multipart uploads: the paged page, parts on demand, abort one, and the
abort job (a selection, or everything older than N days) with its dry run and report; uploads a
running console upload job uses are protected. Real coslocal, Redis and workers."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from django.urls import reverse

from objects_app.models import AuditEvent, ItemOutcome, Job, JobItem, JobState, UploadSession
from tests.jobs.conftest import wait_for, wait_for_job
from tests.jobs.test_uploads import send_chunks

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("console_cos")]

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = 86400.0
MIB = 1024 * 1024


def seed_uploads(server, bucket: str, uploads: list[tuple[str, str, float]]) -> None:  # type: ignore[no-untyped-def]
    """Insert uploads (key, upload id, initiated epoch) straight into coslocal's store: thousands
    of HTTP initiates would dominate the test, and only an insert can date one in the past."""
    from coslocal.store import Store

    rows = [(uid, bucket, key, at, "{}", "STANDARD", "{}") for key, uid, at in uploads]
    with Store(Path(server.data_dir)).db.write() as conn:
        conn.executemany(
            "INSERT INTO uploads (upload_id, bucket, key, initiated, headers, storage_class, acl)"
            " VALUES (?,?,?,?,?,?,?)",
            rows,
        )


def listed(cos_client, bucket: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {u["UploadId"] for u in cos_client.iter_multipart_uploads(Bucket=bucket)}


def real_upload(cos_client, bucket: str, key: str, size: int = MIB) -> str:  # type: ignore[no-untyped-def]
    upload_id = cos_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    cos_client.upload_part(
        Bucket=bucket, Key=key, Body=os.urandom(size), PartNumber=1, UploadId=upload_id
    )
    return str(upload_id)


def test_the_page_walks_2500_uploads_by_key_and_upload_id_marker(
    client, alice, coslocal, new_bucket
) -> None:
    from qcloud_cos import CosConfig, CosS3Client

    from coslocal.testing import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

    now = time.time()
    # 500 keys with 5 uploads each: pages end in the middle of a key's uploads.
    seeded = [(f"k/{k:04d}", f"{k:04d}u{n}", now - k) for k in range(500) for n in range(5)]
    seed_uploads(coslocal, new_bucket, seeded)
    client.force_login(alice)
    page = client.get(reverse("objects:unfinished-list", args=[new_bucket])).content.decode()
    seen: list[str] = []
    requests = 0
    while True:
        requests += 1
        rows = re.findall(r'class="upload-row" data-upload-id="([^"]+)"', page)
        assert 0 < len(rows) <= 50
        seen += rows
        more = re.search(r'id="load-more-uploads">\s*<td[^>]*>\s*<a href="([^"]+)"', page)
        if not more:
            break
        url = more.group(1).replace("&amp;", "&")
        page = client.get(url, HTTP_HX_TARGET="load-more-uploads", **HTMX).content.decode()
        assert "<html" not in page
    assert requests == 50 and len(seen) == len(set(seen)) == 2500
    assert seen == [uid for _key, uid, _at in sorted(seeded)]
    # The official SDK, the referee, pages coslocal the same way with the same markers.
    config = CosConfig(Region="ap-guangzhou", SecretId=DEFAULT_SECRET_ID,
                       SecretKey=DEFAULT_SECRET_KEY, Scheme="http", IP=coslocal.host,
                       Port=coslocal.port)  # fmt: skip
    sdk = CosS3Client(config)
    referee, key_marker, id_marker = [], "", ""
    while True:
        answer = sdk.list_multipart_uploads(
            Bucket=new_bucket, KeyMarker=key_marker, UploadIdMarker=id_marker, MaxUploads=50
        )
        referee += [u["UploadId"] for u in answer.get("Upload", [])]
        if answer["IsTruncated"] != "true":
            break
        key_marker, id_marker = answer["NextKeyMarker"], answer["NextUploadIdMarker"]
    assert referee == seen
    filtered = client.get(reverse("objects:unfinished-list", args=[new_bucket]),
                          {"prefix": "k/0499"}).content.decode()  # fmt: skip
    assert re.findall(r'data-upload-id="([^"]+)"', filtered) == [f"0499u{n}" for n in range(5)]


def test_parts_on_demand_abort_one_and_the_buckets_page_summary(
    client, alice, bob, cos_client, new_bucket
) -> None:
    upload_id = real_upload(cos_client, new_bucket, "one/file.bin", size=MIB + 5)
    other = real_upload(cos_client, new_bucket, "two/file.bin")
    client.force_login(bob)  # a viewer sees and counts, and may not abort
    summary = client.get(reverse("objects:unfinished-summary", args=[new_bucket]), **HTMX)
    assert "2 uploads" in summary.content.decode() and "2.0\xa0MB" in summary.content.decode()
    parts_url = reverse("objects:unfinished-parts", args=[new_bucket])
    parts = client.get(parts_url, {"key": "one/file.bin", "upload_id": upload_id}, **HTMX)
    assert "1 part, 1.0\xa0MB" in parts.content.decode()
    abort = reverse("objects:unfinished-abort", args=[new_bucket])
    form = {"key": "one/file.bin", "upload_id": upload_id}
    assert client.post(abort, {**form, "confirmed": "on"}, **HTMX).status_code == 403
    client.force_login(alice)
    dialog = client.post(abort, form, **HTMX).content.decode()  # first the confirmation
    assert "Abort this upload?" in dialog and listed(cos_client, new_bucket) == {upload_id, other}
    done = client.post(abort, {**form, "confirmed": "on"}, **HTMX)
    assert done.status_code == 200 and "uploads-changed" in done["HX-Trigger"]
    assert listed(cos_client, new_bucket) == {other}
    again = client.post(abort, {**form, "confirmed": "on"}, **HTMX)
    assert again.status_code == 404 and "no longer exists" in again.content.decode()
    event = AuditEvent.objects.filter(action="multipart.abort", key="one/file.bin").first()
    assert event is not None and upload_id in event.detail


def test_abort_of_a_selection_plans_confirms_and_reports(
    client, alice, cos_client, new_bucket, start_worker
) -> None:
    ids = {key: real_upload(cos_client, new_bucket, key) for key in ("s/a", "s/b", "s/c", "s/d")}
    start_worker()
    client.force_login(alice)
    chosen = [f"{ids[key]}/{key}" for key in ("s/a", "s/c", "s/d")]
    url = reverse("objects:unfinished-abort-selected", args=[new_bucket])
    response = client.post(url, {"selected": chosen}, **HTMX)
    assert response.status_code == 200 and "cos-job-started" in response["HX-Trigger"]
    job = wait_for_job(Job.objects.get().pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})
    assert job.plan["free"] == {"objects": 3, "bytes": 3 * MIB} and job.plan["owned"] == 0
    assert len(listed(cos_client, new_bucket)) == 4  # a dry run aborts nothing
    panel = client.get(reverse("objects:job-detail", args=[job.pk]), **HTMX).content.decode()
    assert "Abort 3 uploads (frees 3.0\xa0MB)" in panel and "including those in use" not in panel
    confirm = client.post(reverse("objects:job-confirm", args=[job.pk]), {"choice": "free"}, **HTMX)
    assert confirm.status_code == 200
    job = wait_for_job(job.pk)
    assert (job.state, job.done, job.failed, job.skipped) == (JobState.SUCCEEDED, 3, 0, 0)
    assert job.bytes_done == 3 * MIB
    assert listed(cos_client, new_bucket) == {ids["s/b"]}
    report = JobItem.objects.filter(job=job).order_by("seq")
    assert [(i.key, i.outcome) for i in report] == [
        ("s/a", ItemOutcome.DONE), ("s/c", ItemOutcome.DONE), ("s/d", ItemOutcome.DONE)
    ]  # fmt: skip


def test_abort_older_than_n_days_dry_run_first_then_only_those(
    client, alice, coslocal, cos_client, new_bucket, start_worker
) -> None:
    now = time.time()
    old = [(f"logs/old-{n}", f"old{n}", now - 10 * DAY) for n in range(4)]
    new = [(f"logs/new-{n}", f"new{n}", now - 1 * DAY) for n in range(3)]
    elsewhere = [(f"keep/old-{n}", f"keep{n}", now - 30 * DAY) for n in range(2)]
    seed_uploads(coslocal, new_bucket, old + new + elsewhere)
    start_worker()
    client.force_login(alice)
    url = reverse("objects:unfinished-abort-older", args=[new_bucket])
    assert client.post(url, {"prefix": "logs/", "days": "-1"}, **HTMX).status_code == 422
    response = client.post(url, {"prefix": "logs/", "days": "7"}, **HTMX)
    assert response.status_code == 200
    job = wait_for_job(Job.objects.get().pk, {JobState.AWAITING_CONFIRM, JobState.FAILED})
    assert job.plan["all"] == {"objects": 4, "bytes": 0}
    assert len(listed(cos_client, new_bucket)) == 9
    panel = client.get(reverse("objects:job-detail", args=[job.pk]), **HTMX).content.decode()
    assert "Found 4 unfinished uploads holding 0\xa0bytes." in panel
    client.post(reverse("objects:job-confirm", args=[job.pk]), {"choice": "free"}, **HTMX)
    job = wait_for_job(job.pk)
    assert (job.state, job.done) == (JobState.SUCCEEDED, 4)
    remaining = listed(cos_client, new_bucket)
    assert remaining == {uid for _k, uid, _a in new + elsewhere}
    end = AuditEvent.objects.get(action="job.abort_uploads.finish")
    assert end.key == "logs/" and end.detail.startswith("succeeded: 4 done")


def test_an_upload_a_running_console_job_uses_is_protected_unless_the_user_says_so(
    client, alice, coslocal, cos_client, new_bucket, job_settings, start_worker
) -> None:
    chunk = job_settings.CONSOLE_UPLOAD_CHUNK_BYTES
    data = os.urandom(3 * chunk)
    seed_uploads(coslocal, new_bucket, [("stale.bin", "stale1", time.time() - 9 * DAY)])
    start_worker(CONSOLE_UPLOAD_IDLE_SECONDS="1")
    client.force_login(alice)
    start = reverse("objects:upload-start", args=[new_bucket])
    state = client.post(start, {"key": "busy.bin", "size": len(data), "fingerprint": "b:1"}).json()
    send_chunks(client, state["job_id"], data, chunk, range(1))  # then the browser pauses
    console_job = state["job_id"]
    wait_for(lambda: Job.objects.get(pk=console_job).state == JobState.AWAITING_INPUT, 30, "idle")
    owned = UploadSession.objects.get(job_id=console_job).upload_id
    assert owned and listed(cos_client, new_bucket) == {owned, "stale1"}
    page = client.get(reverse("objects:unfinished-list", args=[new_bucket])).content.decode()
    assert f"Job #{console_job}" in page and "in use" in page

    abort = reverse("objects:unfinished-abort", args=[new_bucket])
    form = {"key": "busy.bin", "upload_id": owned, "confirmed": "on"}
    refused = client.post(abort, form, **HTMX)
    assert refused.status_code == 409 and f"job #{console_job} is using" in refused.content.decode()
    client.post(reverse("objects:unfinished-abort-older", args=[new_bucket]),
                {"prefix": "", "days": "0"}, **HTMX)  # fmt: skip
    job = wait_for_job(Job.objects.get(kind="abort_uploads").pk, {JobState.AWAITING_CONFIRM})
    assert job.plan["owned"] == 1 and job.plan["free"]["objects"] == 1
    panel = client.get(reverse("objects:job-detail", args=[job.pk]), **HTMX).content.decode()
    assert "Abort 1 uploads" in panel and "Abort all 2, including those in use" in panel
    client.post(reverse("objects:job-confirm", args=[job.pk]), {"choice": "free"}, **HTMX)
    job = wait_for_job(job.pk)
    assert (job.state, job.done, job.skipped) == (JobState.SUCCEEDED, 1, 1)
    skipped = JobItem.objects.get(job=job, outcome=ItemOutcome.SKIPPED)
    assert skipped.ref == owned and f"console upload job #{console_job}" in skipped.reason
    assert listed(cos_client, new_bucket) == {owned}
    # The protected upload is intact: the browser comes back and the file completes.
    send_chunks(client, console_job, data, chunk, range(1, 3))
    assert wait_for_job(console_job).state == JobState.SUCCEEDED
    body = cos_client.get_object(Bucket=new_bucket, Key="busy.bin")["Body"].read_all()
    assert body == data


def test_abort_anyway_cancels_the_console_job_that_used_it(
    client, alice, cos_client, new_bucket
) -> None:
    from tests.jobs.factories import make_job

    upload_id = real_upload(cos_client, new_bucket, "big.bin")
    console_job = make_job(alice, "upload", state=JobState.AWAITING_INPUT, bucket=new_bucket)
    UploadSession.objects.filter(job=console_job).update(upload_id=upload_id)
    client.force_login(alice)
    abort = reverse("objects:unfinished-abort", args=[new_bucket])
    form = {"key": "big.bin", "upload_id": upload_id, "confirmed": "on"}
    dialog = client.post(abort, {"key": "big.bin", "upload_id": upload_id}, **HTMX)
    assert "Abort it anyway" in dialog.content.decode()
    assert client.post(abort, form, **HTMX).status_code == 409
    assert client.post(abort, {**form, "force": "on"}, **HTMX).status_code == 200
    assert listed(cos_client, new_bucket) == set()
    console_job.refresh_from_db()
    assert console_job.state == JobState.CANCELLED and "aborted" in console_job.error_message


def test_an_abort_cos_refuses_is_reported_per_upload_and_the_rest_go_on(
    client, alice, coslocal, cos_client, new_bucket, start_worker
) -> None:
    now = time.time()
    seed_uploads(coslocal, new_bucket, [(f"r/{n}", f"refuse{n}", now - 2 * DAY) for n in range(3)])
    start_worker()
    client.force_login(alice)
    client.post(reverse("objects:unfinished-abort-older", args=[new_bucket]),
                {"prefix": "r/", "days": "1"}, **HTMX)  # fmt: skip
    job = wait_for_job(Job.objects.get().pk, {JobState.AWAITING_CONFIRM})
    rule = {"mode": "error", "status": 403, "code": "AccessDenied", "method": "DELETE",
            "path_prefix": "/r/1", "count": 1}  # fmt: skip
    coslocal._admin("POST", [rule])
    try:
        client.post(reverse("objects:job-confirm", args=[job.pk]), {"choice": "free"}, **HTMX)
        job = wait_for_job(job.pk)
    finally:
        coslocal.clear_faults()
    assert (job.state, job.done, job.failed) == (JobState.PARTIALLY_FAILED, 2, 1)
    failed = JobItem.objects.get(job=job, outcome=ItemOutcome.FAILED)
    assert (failed.key, failed.reason_code) == ("r/1", "AccessDenied")
    assert listed(cos_client, new_bucket) == {"refuse1"}
    csv = client.get(reverse("objects:job-report", args=[job.pk]), {"outcome": "failed"})
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert len(lines) == 2 and lines[1].startswith("1,r/1,refuse1,0,failed,AccessDenied,")
