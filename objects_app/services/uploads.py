"""Large uploads: the browser sends chunks into staging; a worker turns them into COS parts.

Each chunk is exactly one multipart part. Chunks arrive in order (the browser resumes from the
count the server reports); each is streamed to its own staging file in 1 MiB blocks (never whole
in memory) and made visible by rename, and the count advances by conditional UPDATE, so a resent
chunk is harmless. The first chunk queues the job: the worker uploads parts while later chunks
are still arriving (parallel parts, CRC-64 checked per part and for the whole object), records
each part, then deletes its chunk. So staged bytes are read back while still in the page cache
and, deleted within seconds, mostly never reach the disk; a large file costs one disk write (in
COS), not two. When the browser pauses, the worker hands the job back and the next chunk queues it
again. While a worker is on the job, a chunk request waits briefly once a window of chunks is
staged, so staging holds about window x chunk size (with no worker running, chunks simply wait
in staging until one comes).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from objects_app.cos import CosClientError, CosS3Client, CosServiceError
from objects_app.cos.crc64 import combine_parts, crc64
from objects_app.cos.transfer import header
from objects_app.errors import ObjectsError
from objects_app.models import TERMINAL_STATES, Job, JobKind, JobState, UploadPart
from objects_app.services.audit import audit_record
from objects_app.services.jobs import (
    job_claim,
    job_dispatch,
    job_finish,
    job_heartbeat,
    job_params_merge,
    job_release,
    job_state,
)
from objects_app.storage import get_cos_client

log = logging.getLogger(__name__)

MAX_KEY_BYTES = 850  # COS's limit on an object key, in UTF-8 bytes
MAX_PARTS = 10_000  # COS's limit on parts per multipart upload
MB = 1024 * 1024
BLOCK = MB
HEARTBEAT_EVERY = 0.5  # seconds between progress writes during the COS upload
POLL_SECONDS = 0.2  # how often the worker looks for newly staged chunks
ROOM_WAIT_SECONDS = 10.0  # the longest a chunk request waits for the worker to catch up
ABANDONED_AFTER_DAYS = 7  # a pending upload with no chunk for this long is cancelled
SWEEP_BATCH = 100  # ended uploads whose multipart upload the sweep aborts per run


class Readable(Protocol):
    """A request body (Django's HttpRequest reads the WSGI input stream)."""

    def read(self, n: int = -1, /) -> bytes: ...


class JobStopped(Exception):
    """Raised in the worker's loop when the job was cancelled (or taken over) meanwhile."""


def validate_key(key: str) -> str:
    if not key or key.endswith("/") or key.startswith("/"):
        raise ObjectsError("Give the object a name (a key that neither starts nor ends with /).")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ObjectsError(f"The key is longer than COS's limit of {MAX_KEY_BYTES} bytes.")
    if any(ord(c) < 32 for c in key):
        raise ObjectsError("The key contains control characters.")
    return key


def staging_dir(job_id: int) -> Path:
    return Path(settings.CONSOLE_UPLOAD_STAGING_DIR) / f"upload-{job_id}"


def chunk_path(job_id: int, index: int) -> Path:
    return staging_dir(job_id) / f"chunk-{index:05d}"


def staged_chunks(job_id: int) -> int:
    """Chunks on disk that COS does not hold yet (the worker deletes each once its part is in)."""
    try:
        with os.scandir(staging_dir(job_id)) as entries:
            return sum(1 for e in entries if e.name.startswith("chunk-") and "." not in e.name)
    except FileNotFoundError:
        return 0


def chunk_length(job: Job, index: int) -> int:
    chunk = int(job.params["chunk_size"])
    return min(chunk, int(job.bytes_total or 0) - index * chunk)


def choose_chunk_size(size: int) -> int:
    """The configured chunk size, grown (in whole MiB) so the file fits in COS's 10,000 parts."""
    floor = max(settings.CONSOLE_UPLOAD_CHUNK_BYTES, MB)  # COS's smallest part but the last
    return max(floor, math.ceil(size / MAX_PARTS / MB) * MB)


def upload_start(*, user: Any, bucket: str, key: str, size: int, fingerprint: str) -> Job:
    """Begin a chunked upload, or find the unfinished one of the same file to resume."""
    validate_key(key)
    if size <= 0:
        raise ObjectsError("The file is empty; nothing to upload.")
    _check_bucket(bucket)  # outside the transaction: no database lock held over a COS call
    return _start_or_resume(user=user, bucket=bucket, key=key, size=size, fingerprint=fingerprint)


@transaction.atomic
def _start_or_resume(*, user: Any, bucket: str, key: str, size: int, fingerprint: str) -> Job:
    existing = (
        Job.objects.filter(
            kind=JobKind.UPLOAD,
            user=user,
            bucket=bucket,
            prefix=key,
            bytes_total=size,
            params__fingerprint=fingerprint,
        )  # fmt: skip
        .exclude(state__in=TERMINAL_STATES)
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return existing
    chunk = choose_chunk_size(size)
    job = Job.objects.create(
        kind=JobKind.UPLOAD,
        state=JobState.PENDING,
        user=user,
        bucket=bucket,
        prefix=key,
        total=math.ceil(size / chunk),
        bytes_total=size,
        heartbeat_at=timezone.now(),
        params={"fingerprint": fingerprint, "chunk_size": chunk},
    )
    audit_record(user=user, action="job.upload.start", bucket=bucket, key=key, detail=f"{size}")
    return job


def _check_bucket(bucket: str) -> None:
    """Refuse before the first byte is sent, not after the worker's first COS call."""
    try:
        get_cos_client().head_bucket(Bucket=bucket)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            raise ObjectsError(f"There is no bucket named {bucket}.", status=404) from None
        raise


def upload_chunk(*, job: Job, index: int, length: int | None, stream: Readable) -> Job:
    """Store chunk `index` (the next one expected); resent earlier chunks are acknowledged."""
    if not 0 <= index < int(job.total or 0):
        raise ObjectsError(
            f"Chunk {index} is out of range (0..{int(job.total or 0) - 1}).", status=400
        )
    expected = chunk_length(job, index)
    if length != expected:
        raise ObjectsError(f"Chunk {index} must be {expected} bytes, not {length}.", status=400)
    if index < job.done:
        return job  # already stored (a retry after a lost response)
    if job.is_terminal:
        raise ObjectsError("This upload no longer accepts chunks.", status=409)
    if index > job.done:
        raise ObjectsError(f"Chunk {index} is out of order: expected chunk {job.done}.", status=409)
    _wait_for_room(job.pk)
    path = chunk_path(job.pk, index)
    # Made here, not at start: the sweep removes staging no live job owns, and a job row is
    # only visible to it once committed.
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_chunk(path, expected, stream)
    except FileNotFoundError:  # staging is gone: the job was cancelled meanwhile
        raise ObjectsError("This upload no longer accepts chunks.", status=409) from None
    counted = _count_chunk(job, index)
    job.refresh_from_db()
    if not counted and job.is_terminal:
        shutil.rmtree(staging_dir(job.pk), ignore_errors=True)  # the cleanup may have run first
        raise ObjectsError("This upload no longer accepts chunks.", status=409)
    if not counted and UploadPart.objects.filter(job_id=job.pk, number=index + 1).exists():
        path.unlink(missing_ok=True)  # a twin request counted it, and COS already has it
    return job


def _wait_for_room(job_id: int) -> None:
    """Hold the request while a working worker is a full window behind (bounded, never fails).

    Only while the job runs: with no worker on it, chunks simply pile up in staging and wait.
    """
    window = max(settings.CONSOLE_UPLOAD_WINDOW_CHUNKS, 1)
    deadline = time.monotonic() + ROOM_WAIT_SECONDS
    while staged_chunks(job_id) >= window and time.monotonic() < deadline:
        if job_state(job_id) != JobState.RUNNING:
            return
        time.sleep(0.05)


def _write_chunk(path: Path, expected: int, stream: Readable) -> None:
    """Stream exactly `expected` bytes to a temporary file, then rename it into place."""
    # A name of its own: two requests for the same chunk (another tab) never share a file.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".incoming")
    temp, written = Path(name), 0
    try:
        with os.fdopen(fd, "wb") as fp:
            while written < expected:
                block = stream.read(min(BLOCK, expected - written))
                if not block:
                    break
                fp.write(block)
                written += len(block)
        if written != expected:
            raise ObjectsError(
                f"The chunk ended after {written} of {expected} bytes; send it again.", status=400
            )
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


@transaction.atomic
def _count_chunk(job: Job, index: int) -> bool:
    """Advance the received count; the first chunk after a pause (re)queues the worker."""
    now = timezone.now()
    counted = (
        Job.objects.filter(pk=job.pk, done=index)
        .exclude(state__in=TERMINAL_STATES)
        # heartbeat_at is the worker's while it runs; while pending it dates the last chunk
        .update(
            done=index + 1,
            heartbeat_at=Case(
                When(state=JobState.PENDING, then=Value(now)), default=F("heartbeat_at")
            ),
        )
    )
    if counted and Job.objects.filter(pk=job.pk, state=JobState.PENDING).update(
        state=JobState.QUEUED, heartbeat_at=now
    ):
        job_dispatch(job)
    return bool(counted)


# --- the worker side -------------------------------------------------------------------------


@dataclass
class SentPart:
    number: int
    size: int
    etag: str
    crc64: int


class StagingLost(Exception):
    """A staged chunk that COS does not hold yet is gone or damaged: the file must be sent again."""


def upload_run(*, job_id: int) -> None:
    """The task body: send staged chunks as parts, complete when all are in; or clean up."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    if job.is_terminal:
        upload_cleanup(job)
        return
    if not job_claim(job_id):
        return
    try:
        all_sent = _pump(job)
    except StagingLost as exc:
        job_finish(job_id, state=JobState.FAILED, error_message=f"{exc} Upload the file again.")
        all_sent = False
    except JobStopped:
        all_sent = False
    except (CosClientError, CosServiceError):
        if job_state(job_id) not in TERMINAL_STATES:
            raise  # the task decides: retry later, or fail the job
        all_sent = False
    if all_sent:
        _complete(Job.objects.get(pk=job_id))  # reloaded: this run may have begun the upload
    elif job_state(job_id) in TERMINAL_STATES:
        upload_cleanup(Job.objects.get(pk=job_id))  # cancelled or failed: abort, drop staging


class _Pump:
    """Uploads staged chunks as parts, THREADS at a time, while the browser keeps sending."""

    def __init__(self, job: Job, client: CosS3Client, upload_id: str) -> None:
        self.job, self.client, self.upload_id = job, client, upload_id
        self.sent = {p.number: p for p in _recorded_parts(job.pk)}
        self.bytes_done = sum(p.size for p in self.sent.values())
        _drop_sent_chunks(job.pk, set(self.sent))
        self.received = 0
        self.todo: deque[int] = deque()
        self.inflight: dict[Future[SentPart], int] = {}
        self.last_beat = 0.0

    def run(self) -> bool:
        """True when every part is in COS; False when handed back (idle, or end of slice)."""
        idle_since = time.monotonic()
        # A slow browser can take hours; each task works one slice, then requeues the rest.
        deadline = idle_since + settings.CONSOLE_JOB_SLICE_SECONDS
        threads = max(settings.CONSOLE_UPLOAD_THREADS, 1)
        self._poll_received()
        first_received = self.received
        with ThreadPoolExecutor(threads, thread_name_prefix=f"upload-{self.job.pk}") as pool:
            while True:
                if self._poll_received():
                    idle_since = time.monotonic()
                sliced = time.monotonic() > deadline
                while self.todo and len(self.inflight) < threads and not sliced:
                    index = self.todo.popleft()
                    self.inflight[pool.submit(self._send, index)] = index
                if self.inflight:
                    self._collect()
                elif len(self.sent) == self.job.total:
                    self._beat(force=True)
                    return True
                elif sliced and not self.todo and self.received == first_received:
                    if self._hand_back():  # a whole slice without a chunk: idle, whatever IDLE is
                        return False
                elif sliced and self._requeue():
                    return False
                elif time.monotonic() - idle_since > settings.CONSOLE_UPLOAD_IDLE_SECONDS:
                    if self._hand_back():
                        return False
                else:
                    time.sleep(POLL_SECONDS)
                self._beat()

    def _collect(self) -> None:
        finished, _ = wait(self.inflight, POLL_SECONDS, FIRST_COMPLETED)
        failures: list[BaseException] = []
        for future in finished:
            index, error = self.inflight.pop(future), future.exception()
            if error is None:
                self._record(index, future.result())
            else:
                failures.append(error)
        if failures:  # the parts that did arrive are recorded first, so a retry skips them
            raise failures[0]

    def _requeue(self) -> bool:
        if not job_release(self.job.pk):
            return False  # no longer running here: the next heartbeat says why
        job_dispatch(self.job)  # the next slice; the sweep covers a lost message
        return True

    def _poll_received(self) -> bool:
        received = Job.objects.values_list("done", flat=True).get(pk=self.job.pk)
        if received == self.received:
            return False
        self.todo.extend(i for i in range(self.received, received) if i + 1 not in self.sent)
        self.received = received
        return True

    def _send(self, index: int) -> SentPart:
        expected = chunk_length(self.job, index)
        try:
            data = chunk_path(self.job.pk, index).read_bytes()
        except FileNotFoundError:
            recorded = UploadPart.objects.filter(job_id=self.job.pk, number=index + 1).first()
            if recorded is None:  # neither staged nor in COS: those bytes are gone
                raise StagingLost(f"Staged chunk {index} is missing.") from None
            # Another run (one that the sweep took for dead) sent it meanwhile.
            return SentPart(recorded.number, recorded.size, recorded.etag, int(recorded.crc64))
        if len(data) != expected:
            raise StagingLost(f"Staged chunk {index} is {len(data)} bytes, not {expected}.")
        local = crc64(data)
        result = self.client.upload_part(
            self.job.bucket, self.job.prefix, data, index + 1, self.upload_id
        )
        remote = header(result, "x-cos-hash-crc64ecma")
        if remote is not None and int(remote) != local:
            raise CosClientError(f"part {index + 1} arrived damaged (CRC-64 {remote} != {local})")
        return SentPart(index + 1, expected, str(header(result, "ETag") or ""), local)

    def _record(self, index: int, part: SentPart) -> None:
        # Recorded first, then the chunk goes: a crash between the two only leaves a stray file.
        UploadPart.objects.update_or_create(
            job_id=self.job.pk,
            number=part.number,
            defaults={"size": part.size, "etag": part.etag, "crc64": str(part.crc64)},
        )
        chunk_path(self.job.pk, index).unlink(missing_ok=True)
        self.sent[part.number] = part
        self.bytes_done += part.size

    def _beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_beat < HEARTBEAT_EVERY:
            return
        self.last_beat = now
        if not job_heartbeat(self.job.pk, bytes_done=self.bytes_done):
            raise JobStopped(f"job {self.job.pk} is no longer running here")

    def _hand_back(self) -> bool:
        """Back to pending unless a chunk arrived meanwhile; that chunk's request requeues it."""
        return bool(
            Job.objects.filter(pk=self.job.pk, state=JobState.RUNNING, done=self.received).update(
                state=JobState.PENDING, heartbeat_at=timezone.now()
            )
        )


def _drop_sent_chunks(job_id: int, sent: set[int]) -> None:
    """Chunks whose parts COS already has (a crash came between record and delete) go now, so
    they neither count against the backpressure window nor sit in staging until the end."""
    try:
        with os.scandir(staging_dir(job_id)) as entries:
            names = [e.name for e in entries if e.name.startswith("chunk-") and "." not in e.name]
    except FileNotFoundError:
        return
    for name in names:
        index = name.removeprefix("chunk-")
        if index.isdigit() and int(index) + 1 in sent:
            chunk_path(job_id, int(index)).unlink(missing_ok=True)


def _recorded_parts(job_id: int) -> Iterator[SentPart]:
    for row in UploadPart.objects.filter(job_id=job_id):
        yield SentPart(row.number, row.size, row.etag, int(row.crc64))


def _pump(job: Job) -> bool:
    client = get_cos_client()
    upload_id = job.params.get("upload_id") or _begin(job, client)
    return _Pump(job, client, upload_id).run()


def _begin(job: Job, client: CosS3Client) -> str:
    upload_id = str(client.create_multipart_upload(Bucket=job.bucket, Key=job.prefix)["UploadId"])
    # Persisted before any part is sent, so a cancel (even after a worker crash) aborts exactly
    # this job's multipart upload and never another upload of the same key. The row is updated
    # only while the job is live; if it ended meanwhile, this upload is aborted right here.
    if not job_params_merge(job.pk, live_only=True, upload_id=upload_id):
        client.abort_multipart_upload(Bucket=job.bucket, Key=job.prefix, UploadId=upload_id)
        raise JobStopped(f"job {job.pk} ended before its upload began")
    return upload_id


def _complete(job: Job) -> None:
    """Complete the multipart upload and check the object's CRC-64 against the staged bytes."""
    if not job_heartbeat(job.pk):  # no longer ours: cancelled (abort), or another run's now
        if job_state(job.pk) in TERMINAL_STATES:
            upload_cleanup(Job.objects.get(pk=job.pk))
        return
    client = get_cos_client()
    parts = list(_recorded_parts(job.pk))
    parts.sort(key=lambda p: p.number)
    whole = combine_parts((p.crc64, p.size) for p in parts)
    listing = [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
    completed_here = True
    try:
        result = client.complete_multipart_upload(
            Bucket=job.bucket,
            Key=job.prefix,
            UploadId=job.params["upload_id"],
            MultipartUpload={"Part": listing},
        )
    except CosServiceError as exc:
        if exc.get_error_code() != "NoSuchUpload":
            raise
        # Completed by an earlier run that died before recording it: the object decides.
        result, completed_here = client.head_object(Bucket=job.bucket, Key=job.prefix), False
    remote = header(result, "x-cos-hash-crc64ecma")
    if remote is None:  # Complete reports it only if every part had one; ask HEAD
        head = client.head_object(Bucket=job.bucket, Key=job.prefix)
        remote = header(head, "x-cos-hash-crc64ecma")
    if remote is None or int(remote) != whole:
        _discard_damaged(job, client, result if completed_here else None)
        job_finish(
            job.pk,
            state=JobState.FAILED,
            error_message=f"The object's CRC-64 ({remote}) does not match the file's ({whole});"
            " it was removed. Upload the file again.",
        )
        _drop_local_state(job.pk)
        return
    summary = {"etag": str(header(result, "ETag") or "").strip('"'), "crc64": str(whole)}
    if job_finish(job.pk, state=JobState.SUCCEEDED, bytes_done=job.bytes_total, result=summary):
        audit_record(user=job.user, action="job.upload.finish", bucket=job.bucket, key=job.prefix)
    elif job_state(job.pk) == JobState.CANCELLED:
        # The cancel landed while COS was assembling the object: it exists now. Say so.
        Job.objects.filter(pk=job.pk).update(
            result=summary,
            bytes_done=job.bytes_total,
            error_message="Cancelled while COS was completing the upload: the object was"
            " already complete and was kept.",
        )
        audit_record(
            user=job.user, action="job.upload.finish", bucket=job.bucket, key=job.prefix,
            detail="completed while the cancel arrived",
        )  # fmt: skip
    _drop_local_state(job.pk)


def _drop_local_state(job_id: int) -> None:
    """An ended upload needs neither its staged chunks nor its part records (result has the CRC)."""
    shutil.rmtree(staging_dir(job_id), ignore_errors=True)
    UploadPart.objects.filter(job_id=job_id).delete()


def _discard_damaged(job: Job, client: CosS3Client, completed: dict[str, Any] | None) -> None:
    """Remove an object this run just completed with the wrong bytes (never anyone else's)."""
    if completed is None:
        return
    version = header(completed, "x-cos-version-id")
    extra = {"VersionId": version} if version and version != "null" else {}
    client.delete_object(Bucket=job.bucket, Key=job.prefix, **extra)


def upload_cleanup(job: Job) -> None:
    """Abort the job's own multipart upload, if it began one (no orphaned parts); drop staging.

    A successful abort is remembered, so the sweep keeps retrying only the ones that failed.
    """
    params = Job.objects.values_list("params", flat=True).get(pk=job.pk)
    upload_id = params.get("upload_id")
    if job.state != JobState.SUCCEEDED and upload_id and not params.get("aborted"):
        try:
            get_cos_client().abort_multipart_upload(
                Bucket=job.bucket, Key=job.prefix, UploadId=upload_id
            )
        except CosServiceError as exc:
            if exc.get_status_code() >= 500:
                raise
            log.info("upload %s cleanup: %s", job.pk, exc)  # NoSuchUpload: nothing left to abort
        job_params_merge(job.pk, aborted=True)
    _drop_local_state(job.pk)


def uploads_sweep() -> int:
    """Expire abandoned uploads; abort what ended uploads left on COS; remove stray staging.

    Each upload is handled on its own: one that COS keeps refusing is logged and retried at the
    next sweep, and never stops the others (or the jobs sweep that runs after this).
    """
    stale = timezone.now() - timedelta(days=ABANDONED_AFTER_DAYS)
    Job.objects.filter(kind=JobKind.UPLOAD, state=JobState.PENDING, heartbeat_at__lt=stale).update(
        state=JobState.CANCELLED,
        finished_at=timezone.now(),
        error_message="No chunk arrived for a week; the staged part was removed.",
    )
    unaborted = (
        Job.objects.filter(kind=JobKind.UPLOAD, state__in=[JobState.CANCELLED, JobState.FAILED])
        .filter(params__has_key="upload_id")
        .exclude(params__has_key="aborted")  # set only once the abort is done
    )
    cleaned = 0
    for job in unaborted[:SWEEP_BATCH]:
        cleaned += _cleanup_quietly(job)
    root = Path(settings.CONSOLE_UPLOAD_STAGING_DIR)
    if root.is_dir():
        for path in root.glob("upload-*"):
            cleaned += _sweep_staging(path)
    return cleaned


def _sweep_staging(path: Path) -> int:
    """Remove a staging directory that no live upload owns."""
    job_id = path.name.removeprefix("upload-")
    job = Job.objects.filter(pk=int(job_id)).first() if job_id.isdigit() else None
    if job is not None and not job.is_terminal:
        return 0
    if job is not None:
        return _cleanup_quietly(job)
    shutil.rmtree(path, ignore_errors=True)
    return 1


def _cleanup_quietly(job: Job) -> int:
    try:
        upload_cleanup(job)
    except (CosClientError, CosServiceError) as exc:
        log.warning("sweep: upload %s cleanup failed, retried next sweep: %s", job.pk, exc)
        return 0
    return 1
