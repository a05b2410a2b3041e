"""The large-upload chunk protocol (web side): validation, order, sizes, resume, hand-off."""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from objects_app.errors import ObjectsError
from objects_app.jobs.kinds.upload import receive as services
from objects_app.jobs.kinds.upload import staging
from objects_app.models import Job, JobState, UploadSession

JSON = {"HTTP_ACCEPT": "application/json"}  # as large-upload.js asks

BUCKET = "up-1250000000"
CHUNK = 1024 * 1024  # COS's smallest part (but the last); chunks are parts


@pytest.fixture
def uploads(settings, tmp_path, alice, client, console_cos, cos_client):  # type: ignore[no-untyped-def]
    if not cos_client.bucket_exists(Bucket=BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
    settings.CONSOLE_UPLOAD_STAGING_DIR = tmp_path / "staging"
    settings.CONSOLE_UPLOAD_CHUNK_BYTES = CHUNK
    client.force_login(alice)
    return client


def start(client, key="big/file.bin", size=2 * CHUNK + 100, fp="f:1", bucket=BUCKET):  # type: ignore[no-untyped-def]
    url = reverse("objects:upload-start", args=[bucket])
    return client.post(url, {"key": key, "size": size, "fingerprint": fp}, **JSON)


def put(client, job_id: int, index: int, data: bytes):  # type: ignore[no-untyped-def]
    url = reverse("objects:upload-chunk", args=[job_id, index])
    return client.generic("PUT", url, data, content_type="application/octet-stream", **JSON)


def staged(job_id: int, settings) -> bytes:  # type: ignore[no-untyped-def]
    """Everything in the job's staging directory, chunk files in order (nothing else allowed)."""
    folder = settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}"
    files = sorted(folder.iterdir()) if folder.exists() else []  # made by the first chunk
    assert all(f.name.startswith("chunk-") and "." not in f.name for f in files), files
    return b"".join(f.read_bytes() for f in files)


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
        ("folder/", 10, "ending with / is a folder"),
        ("/rooted", 10, "must not start with /"),
        ("a\r\nb", 10, "control characters"),
        ("big/file.bin", 10**30, "less than or equal to"),  # was a 500 (an integer overflow)
        ("big/file.bin", -1, "greater than or equal to 0"),
        ("big/file.bin", "1e3", "whole number"),
    ],
)
def test_bad_start_is_refused_clearly(uploads, key: str, size: object, message: str) -> None:
    response = start(uploads, key=key, size=size)
    assert response.status_code == 422
    assert message in response.json()["error"]
    assert not Job.objects.exists()


def test_an_upload_to_a_missing_bucket_is_refused_before_any_chunk(uploads, settings) -> None:
    response = start(uploads, bucket="nosuch-1250000000")
    assert response.status_code == 404
    assert response.json()["error"] == "There is no bucket named nosuch-1250000000."
    assert not Job.objects.exists()
    assert not settings.CONSOLE_UPLOAD_STAGING_DIR.exists()


def test_chunks_out_of_order_or_wrong_size_are_refused_and_nothing_half_written(
    uploads, settings, monkeypatch
) -> None:
    # Chunk 1 may come before chunk 0 (sent at the same time): it waits for chunk 0, briefly here.
    monkeypatch.setattr(services, "ORDER_WAIT_SECONDS", 0.3)
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
    assert put(uploads, job_id, 2, b"c" * 100).status_code == 409  # chunk 1 never came
    settings.CONSOLE_UPLOAD_AHEAD_CHUNKS = 1  # one at a time: refused without waiting
    started = time.monotonic()
    assert put(uploads, job_id, 2, b"c" * 100).status_code == 409
    assert time.monotonic() - started < 0.25
    assert staged(job_id, settings) == b"a" * CHUNK
    assert Job.objects.get(pk=job_id).state == JobState.QUEUED  # for the worker, from chunk 0


def test_a_chunk_cut_short_leaves_no_staged_bytes(uploads, settings) -> None:
    job = Job.objects.get(pk=start(uploads).json()["job_id"])
    # The request promised a whole chunk, but the body ends early (a dropped connection).
    with pytest.raises(ObjectsError, match="ended after 10 of"):
        services.upload_chunk(job=job, index=0, length=CHUNK, stream=io.BytesIO(b"a" * 10))
    assert staged(job.pk, settings) == b""
    assert UploadSession.objects.get(job=job).received == 0


def test_the_first_chunk_queues_the_worker_and_a_handed_back_upload_is_requeued(
    uploads, settings, django_capture_on_commit_callbacks
) -> None:
    job_id = start(uploads).json()["job_id"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = put(uploads, job_id, 0, b"a" * CHUNK).json()
    assert first["state"] == "queued" and len(callbacks) == 1  # the task, after commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        put(uploads, job_id, 1, b"b" * CHUNK)  # still queued: no second message
    assert callbacks == []
    # The worker handed the job back while the browser paused: the next chunk requeues it.
    Job.objects.filter(pk=job_id).update(state=JobState.AWAITING_INPUT)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        final = put(uploads, job_id, 2, b"c" * 100).json()
    assert final["state"] == "queued" and final["received"] == 3 and len(callbacks) == 1
    assert staged(job_id, settings) == b"a" * CHUNK + b"b" * CHUNK + b"c" * 100
    late = put(uploads, job_id, 2, b"c" * 100)
    assert late.status_code == 200  # an already-stored chunk is acknowledged, not rewritten


@pytest.mark.django_db(transaction=True)
def test_chunks_sent_together_are_received_in_parallel_and_counted_in_order(
    uploads, alice, settings
) -> None:
    from django.db import connection
    from django.test import Client

    settings.CONSOLE_UPLOAD_AHEAD_CHUNKS = 2
    state = start(uploads, size=5 * CHUNK).json()
    assert state["ahead"] == 2
    job_id = state["job_id"]
    other_tab = Client()
    other_tab.force_login(alice)
    second: list[int] = []

    def send_chunk_1() -> None:
        try:
            second.append(put(other_tab, job_id, 1, b"b" * CHUNK).status_code)
        finally:
            connection.close()

    # Chunk 1 arrives first and waits for its turn; chunk 0 comes, and both are counted.
    early = threading.Thread(target=send_chunk_1)
    early.start()
    time.sleep(0.5)
    assert UploadSession.objects.get(job_id=job_id).received == 0
    assert staging.staged_chunks(job_id) == 0  # received, but not visible to the worker yet
    assert put(uploads, job_id, 0, b"a" * CHUNK).status_code == 200
    early.join(10)
    assert second == [200] and UploadSession.objects.get(job_id=job_id).received == 2
    assert staged(job_id, settings) == b"a" * CHUNK + b"b" * CHUNK
    started = time.monotonic()
    far = put(uploads, job_id, 4, b"x" * CHUNK)  # beyond the chunks allowed at once
    assert far.status_code == 409 and "expected chunk 2" in far.json()["error"]
    assert time.monotonic() - started < 1.0  # refused at once, not after a wait


def test_chunks_wait_while_the_worker_is_a_window_behind(uploads, settings, monkeypatch) -> None:
    settings.CONSOLE_UPLOAD_WINDOW_CHUNKS = 1
    monkeypatch.setattr(services, "ROOM_WAIT_SECONDS", 5.0)
    job_id = start(uploads).json()["job_id"]
    put(uploads, job_id, 0, b"a" * CHUNK)
    # A worker is on it, beating.
    Job.objects.filter(pk=job_id).update(state=JobState.RUNNING, heartbeat_at=timezone.now())
    drained = threading.Timer(0.5, staging.chunk_path(job_id, 0).unlink)  # chunk 0 sent
    started = time.monotonic()
    drained.start()
    assert put(uploads, job_id, 1, b"b" * CHUNK).json()["received"] == 2
    waited = time.monotonic() - started
    drained.join()
    assert 0.4 <= waited < 5.0, waited  # held until there was room, not until the deadline
    # No worker on the job: chunks are stored at once, however many are staged.
    Job.objects.filter(pk=job_id).update(state=JobState.QUEUED)
    started = time.monotonic()
    assert put(uploads, job_id, 2, b"c" * 100).json()["received"] == 3
    assert time.monotonic() - started < 4.0
    assert staged(job_id, settings) == b"b" * CHUNK + b"c" * 100


def test_chunks_do_not_wait_for_a_worker_that_died_and_its_job_is_rescued_at_once(
    uploads, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    settings.CONSOLE_UPLOAD_WINDOW_CHUNKS = 1
    settings.CONSOLE_JOB_STALE_SECONDS = 3
    monkeypatch.setattr(services, "ROOM_WAIT_SECONDS", 5.0)
    job_id = start(uploads).json()["job_id"]
    put(uploads, job_id, 0, b"a" * CHUNK)
    # The worker was killed mid-upload: still "running", but its heartbeat stopped 10 s ago.
    dead = timezone.now() - timedelta(seconds=10)
    Job.objects.filter(pk=job_id).update(state=JobState.RUNNING, heartbeat_at=dead)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert put(uploads, job_id, 1, b"b" * CHUNK).json()["received"] == 2
    assert time.monotonic() - started < 2.0  # not held for the 5 s a live worker would get
    assert len(callbacks) == 1  # a new task, which claims the job from the dead run


def test_chunk_size_grows_so_huge_files_fit_in_10000_parts(uploads) -> None:
    size = 200 * 1024**3  # 200 GiB: 8 MiB chunks would make 25,600 parts
    state = start(uploads, key="huge.bin", size=size).json()
    chunk, chunks = state["chunk_size"], state["chunks"]
    assert chunks <= 10_000 and chunk % (1024 * 1024) == 0 and chunk > CHUNK
    assert (chunks - 1) * chunk < size <= chunks * chunk


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

    from objects_app.jobs.kinds.upload.finish import housekeeping as uploads_sweep

    old = start(uploads, key="old.bin").json()["job_id"]
    fresh = start(uploads, key="fresh.bin").json()["job_id"]
    put(uploads, old, 0, b"a" * CHUNK)
    put(uploads, fresh, 0, b"f" * CHUNK)
    # Both handed back by the worker (the browser went away); only one is a week old.
    Job.objects.filter(pk__in=[old, fresh]).update(state=JobState.AWAITING_INPUT)
    Job.objects.filter(pk=old).update(heartbeat_at=timezone.now() - timedelta(days=8))
    assert uploads_sweep() == 1
    assert Job.objects.get(pk=old).state == JobState.CANCELLED
    assert not (settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{old}").exists()
    assert Job.objects.get(pk=fresh).state == JobState.AWAITING_INPUT
    assert staged(fresh, settings) == b"f" * CHUNK


def test_chunks_for_a_cancelled_upload_are_refused_and_leave_nothing(uploads, settings) -> None:
    from objects_app.jobs.engine import job_finish

    job_id = start(uploads).json()["job_id"]
    put(uploads, job_id, 0, b"a" * CHUNK)
    job_finish(job_id, state=JobState.CANCELLED)
    response = put(uploads, job_id, 1, b"b" * CHUNK)  # before the cleanup task has run
    assert response.status_code == 409 and "no longer accepts" in response.json()["error"]
    from objects_app.jobs.kinds.upload.finish import cleanup
    from objects_app.storage import get_cos_client

    cleanup(Job.objects.get(pk=job_id), get_cos_client())  # what the cancel's task does
    response = put(uploads, job_id, 1, b"b" * CHUNK)  # after it: staging is gone
    assert response.status_code == 409 and "no longer accepts" in response.json()["error"]
    assert not (settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}").exists()


def test_a_chunk_raced_by_a_cancel_is_refused_and_its_staging_removed(
    uploads, settings, monkeypatch
) -> None:
    from objects_app.jobs.engine import job_finish

    job_id = start(uploads).json()["job_id"]
    real_receive = staging.receive_chunk

    def cancelled_while_receiving(path, expected, stream):  # type: ignore[no-untyped-def]
        temp = real_receive(path, expected, stream)
        job_finish(job_id, state=JobState.CANCELLED)  # the user pressed Cancel meanwhile
        return temp

    monkeypatch.setattr(staging, "receive_chunk", cancelled_while_receiving)
    response = put(uploads, job_id, 0, b"a" * CHUNK)
    assert response.status_code == 409 and "no longer accepts" in response.json()["error"]
    assert UploadSession.objects.get(job_id=job_id).received == 0
    assert not (settings.CONSOLE_UPLOAD_STAGING_DIR / f"upload-{job_id}").exists()


@pytest.mark.django_db(transaction=True)
def test_two_tabs_starting_the_same_upload_at_once_get_one_job(uploads, alice, monkeypatch):
    """Both requests look for a live upload of the file, find none, and create one: the
    database's conditional unique constraint lets only one in, the other returns it."""
    from django.db import connection

    barrier = threading.Barrier(2, timeout=20)
    real_check = services._check_bucket

    def both_past_the_lookup(bucket: str) -> None:
        real_check(bucket)
        barrier.wait()  # neither has created its job yet

    monkeypatch.setattr(services, "_check_bucket", both_past_the_lookup)
    found: list[int] = []
    errors: list[BaseException] = []

    def tab() -> None:
        try:
            job = services.upload_start(
                user=alice, bucket=BUCKET, key="twin.bin", size=3 * CHUNK, fingerprint="t:1"
            )
            found.append(job.pk)
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connection.close()

    tabs = [threading.Thread(target=tab) for _ in range(2)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(30)
    assert not errors, errors
    assert len(found) == 2 and found[0] == found[1]
    assert Job.objects.filter(kind="upload").count() == 1
    assert UploadSession.objects.filter(job_id=found[0]).count() == 1


# --- Served by console.asgi (what `make run` serves): the body is read straight into staging ---


def asgi_put(client, job_id: int, index: int, body: bytes, length: int | None = None):  # type: ignore[no-untyped-def]
    """PUT a chunk through console.asgi's application in-process, as granian would call it
    (the body in several messages); returns (status, JSON). Signed in as `client` is."""
    import asyncio
    import json

    from asgiref.sync import async_to_sync
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    from console.asgi import application

    probe = RequestFactory().get("/")
    masked = get_token(probe)
    cookies = {k: v.value for k, v in client.cookies.items()} | {
        "csrftoken": probe.META["CSRF_COOKIE"]
    }
    url = reverse("objects:upload-chunk", args=[job_id, index])
    headers = {
        "host": "testserver", "accept": "application/json", "x-csrftoken": masked,
        "content-type": "application/octet-stream",
        "content-length": str(len(body) if length is None else length),
        "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }  # fmt: skip
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT",
        "scheme": "http", "path": url, "raw_path": url.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("testserver", 80),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    step = max(1, len(body) // 4)
    pieces = [body[i : i + step] for i in range(0, len(body), step)] or [b""]
    incoming = [
        {"type": "http.request", "body": p, "more_body": n < len(pieces) - 1}
        for n, p in enumerate(pieces)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)  # the client stays connected while the view runs
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    # As Django's own ASGI tests do: the request signals would close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(application)(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(payload) if payload.startswith(b"{") else {"body": payload}


def staging_leftovers(settings) -> list[str]:  # type: ignore[no-untyped-def]
    """Anything in staging outside the upload directories' chunk files."""
    root = settings.CONSOLE_UPLOAD_STAGING_DIR
    found = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return [str(p) for p in found if not p.name.startswith("chunk-") or "." in p.name]


def test_a_chunk_served_over_asgi_is_linked_into_staging_not_copied(uploads, settings, monkeypatch):  # type: ignore[no-untyped-def]
    adopted: list[int] = []
    real_adopt = staging.StagedBody.adopt

    def spy(self, path, expected):  # type: ignore[no-untyped-def]
        adopted.append(expected)
        return real_adopt(self, path, expected)

    monkeypatch.setattr(staging.StagedBody, "adopt", spy)
    monkeypatch.setattr(staging, "BLOCK", None)  # a copy through receive_chunk's loop would fail
    job_id = start(uploads).json()["job_id"]
    first, second = bytes(range(256)) * (CHUNK // 256), b"b" * CHUNK
    for index, body in enumerate((first, second)):
        status, state = asgi_put(uploads, job_id, index, body)
        assert (status, state["received"]) == (200, index + 1)
    assert adopted == [CHUNK, CHUNK]
    assert staged(job_id, settings) == first + second
    assert staging_leftovers(settings) == []  # the bodies had no other name


def test_a_short_chunk_over_asgi_is_refused_and_leaves_nothing(uploads, settings) -> None:  # type: ignore[no-untyped-def]
    job_id = start(uploads).json()["job_id"]
    status, body = asgi_put(uploads, job_id, 0, b"a" * (CHUNK - 10), length=CHUNK)
    assert status == 400
    assert body["error"] == f"The chunk ended after {CHUNK - 10} of {CHUNK} bytes; send it again."
    assert UploadSession.objects.get(job_id=job_id).received == 0
    assert staged(job_id, settings) == b"" and staging_leftovers(settings) == []


def test_a_refused_chunk_over_asgi_leaves_nothing_in_staging(uploads, settings, client) -> None:  # type: ignore[no-untyped-def]
    job_id = start(uploads).json()["job_id"]
    client.logout()
    status, _body = asgi_put(client, job_id, 0, b"a" * CHUNK)
    assert status == 302  # to the login page, before any view code ran
    assert UploadSession.objects.get(job_id=job_id).received == 0
    assert staging_leftovers(settings) == [] and staged(job_id, settings) == b""
