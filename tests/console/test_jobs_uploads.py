"""The large-upload chunk protocol (web side): validation, order, sizes, resume, hand-off."""

from __future__ import annotations

import pytest
from django.urls import reverse

from objects_app.models import Job, JobState

BUCKET = "up-1250000000"
CHUNK = 1024


@pytest.fixture
def uploads(settings, tmp_path, alice, client):  # type: ignore[no-untyped-def]
    settings.CONSOLE_UPLOAD_STAGING_DIR = tmp_path / "staging"
    settings.CONSOLE_UPLOAD_CHUNK_BYTES = CHUNK
    client.force_login(alice)
    return client


def start(client, key: str = "big/file.bin", size: int = 2 * CHUNK + 100, fp: str = "f:1"):  # type: ignore[no-untyped-def]
    url = reverse("objects:upload-start", args=[BUCKET])
    return client.post(url, {"key": key, "size": size, "fingerprint": fp})


def put(client, job_id: int, index: int, data: bytes):  # type: ignore[no-untyped-def]
    url = reverse("objects:upload-chunk", args=[job_id, index])
    return client.generic("PUT", url, data, content_type="application/octet-stream")


def staged(job_id: int, settings) -> bytes:  # type: ignore[no-untyped-def]
    return (settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}" / "data").read_bytes()


def test_start_reports_chunking_and_resumes_the_same_file(uploads) -> None:
    first = start(uploads).json()
    assert (first["chunks"], first["received"], first["chunk_size"]) == (3, 0, CHUNK)
    assert put(uploads, first["job_id"], 0, b"a" * CHUNK).json()["received"] == 1
    again = start(uploads).json()  # after a reload: the same file is picked again
    assert again["job_id"] == first["job_id"] and again["received"] == 1
    other = start(uploads, fp="f:2").json()  # a different file under the same key
    assert other["job_id"] != first["job_id"]


@pytest.mark.parametrize(
    ("key", "size", "message"),
    [
        ("big/file.bin", 0, "empty"),
        ("k" * 851, 10, "850 bytes"),
        ("é" * 426, 10, "850 bytes"),  # 852 bytes in UTF-8
        ("folder/", 10, "nor ends with /"),
        ("/rooted", 10, "neither starts"),
    ],
)
def test_bad_start_is_refused_clearly(uploads, key: str, size: int, message: str) -> None:
    response = start(uploads, key=key, size=size)
    assert response.status_code == 422
    assert message in response.json()["error"]
    assert not Job.objects.exists()


def test_chunks_out_of_order_or_wrong_size_are_refused_and_nothing_half_written(
    uploads, settings
) -> None:
    job_id = start(uploads).json()["job_id"]
    skipped = put(uploads, job_id, 1, b"b" * CHUNK)
    assert skipped.status_code == 409 and "expected chunk 0" in skipped.json()["error"]
    short = put(uploads, job_id, 0, b"a" * (CHUNK - 1))
    assert short.status_code == 400 and f"must be {CHUNK} bytes" in short.json()["error"]
    assert put(uploads, job_id, 7, b"x").status_code == 400  # out of range
    assert staged(job_id, settings) == b""  # nothing was written
    assert put(uploads, job_id, 0, b"a" * CHUNK).status_code == 200
    assert put(uploads, job_id, 0, b"a" * CHUNK).json()["received"] == 1  # a resend is harmless
    assert put(uploads, job_id, 2, b"c" * CHUNK).status_code == 400  # the last chunk is 100 bytes
    assert put(uploads, job_id, 2, b"c" * 100).status_code == 409  # chunk 1 still missing
    assert staged(job_id, settings) == b"a" * CHUNK
    assert Job.objects.get(pk=job_id).state == JobState.PENDING


def test_last_chunk_queues_the_upload_job(uploads, settings, django_capture_on_commit_callbacks):
    job_id = start(uploads).json()["job_id"]
    put(uploads, job_id, 0, b"a" * CHUNK)
    put(uploads, job_id, 1, b"b" * CHUNK)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        final = put(uploads, job_id, 2, b"c" * 100).json()
    assert final["state"] == "queued" and final["received"] == 3
    assert len(callbacks) == 1  # the upload task, dispatched after commit
    assert staged(job_id, settings) == b"a" * CHUNK + b"b" * CHUNK + b"c" * 100
    late = put(uploads, job_id, 2, b"c" * 100)
    assert late.status_code == 200  # an already-stored chunk is acknowledged, not rewritten


def test_only_the_uploader_may_send_chunks(uploads, client, bob) -> None:
    job_id = start(uploads).json()["job_id"]
    client.force_login(bob)  # a viewer, and not the uploader
    assert put(client, job_id, 0, b"a" * CHUNK).status_code == 403
    assert start(client).status_code == 403


def test_an_expired_session_keeps_the_staged_chunks(uploads, client) -> None:
    job_id = start(uploads).json()["job_id"]
    put(uploads, job_id, 0, b"a" * CHUNK)
    client.logout()
    assert put(client, job_id, 1, b"b" * CHUNK).status_code == 302  # to the login page
    client.force_login(Job.objects.get(pk=job_id).user)
    assert start(client).json()["received"] == 1


@pytest.mark.usefixtures("console_cos")  # the cleanup asks COS for unfinished multipart uploads
def test_sweep_expires_abandoned_uploads_and_removes_their_staging(uploads, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from objects_app.services.uploads import uploads_sweep

    old = start(uploads, key="old.bin").json()["job_id"]
    fresh = start(uploads, key="fresh.bin").json()["job_id"]
    put(uploads, old, 0, b"a" * CHUNK)
    Job.objects.filter(pk=old).update(heartbeat_at=timezone.now() - timedelta(days=8))
    assert uploads_sweep() == 1
    assert Job.objects.get(pk=old).state == JobState.CANCELLED
    assert not (settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{old}").exists()
    assert Job.objects.get(pk=fresh).state == JobState.PENDING
    assert (settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{fresh}" / "data").exists()
