"""Large uploads: the browser sends chunks into a staging file; a job uploads it to COS.

Chunks must arrive in order (the browser resumes from the count the server reports), each is
streamed to disk at its offset in 1 MiB blocks (never whole in memory), and the count advances by
conditional UPDATE, so a resent chunk is harmless. When the last chunk lands, the job is queued;
the worker calls the client's upload_file (parallel parts, resumes an interrupted multipart
upload, verifies CRC-64) and removes the staging files.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from objects_app.cos import CosClientError, CosServiceError
from objects_app.errors import ObjectsError
from objects_app.models import TERMINAL_STATES, Job, JobKind, JobState
from objects_app.services.audit import audit_record
from objects_app.services.jobs import (
    job_claim,
    job_dispatch,
    job_finish,
    job_heartbeat,
    job_state,
)
from objects_app.storage import get_cos_client

log = logging.getLogger(__name__)

MAX_KEY_BYTES = 850  # COS's limit on an object key, in UTF-8 bytes
BLOCK = 1024 * 1024
HEARTBEAT_EVERY = 0.5  # seconds between progress writes during the COS upload
ABANDONED_AFTER_DAYS = 7  # a pending upload with no chunk for this long is cancelled


class Readable(Protocol):
    """A request body (Django's HttpRequest reads the WSGI input stream)."""

    def read(self, n: int = -1, /) -> bytes: ...


class JobStopped(Exception):
    """Raised from the progress callback to stop an upload whose job was cancelled."""


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


def staging_file(job_id: int) -> Path:
    return staging_dir(job_id) / "data"


def chunk_length(job: Job, index: int) -> int:
    chunk = int(job.params["chunk_size"])
    return min(chunk, int(job.bytes_total or 0) - index * chunk)


@transaction.atomic
def upload_start(*, user: Any, bucket: str, key: str, size: int, fingerprint: str) -> Job:
    """Begin a chunked upload, or find the unfinished one of the same file to resume."""
    validate_key(key)
    if size <= 0:
        raise ObjectsError("The file is empty; nothing to upload.")
    existing = (
        Job.objects.filter(
            kind=JobKind.UPLOAD,
            user=user,
            bucket=bucket,
            prefix=key,
            bytes_total=size,
            state=JobState.PENDING,
            params__fingerprint=fingerprint,
        )  # fmt: skip
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return existing
    chunk = settings.CONSOLE_UPLOAD_CHUNK_BYTES
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
    staging_dir(job.pk).mkdir(parents=True, exist_ok=True)
    staging_file(job.pk).touch()
    audit_record(user=user, action="job.upload.start", bucket=bucket, key=key, detail=f"{size}")
    return job


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
    if job.state != JobState.PENDING:
        raise ObjectsError("This upload no longer accepts chunks.", status=409)
    if index > job.done:
        raise ObjectsError(f"Chunk {index} is out of order: expected chunk {job.done}.", status=409)
    offset = index * int(job.params["chunk_size"])
    _write_at(staging_file(job.pk), offset, expected, stream)
    Job.objects.filter(pk=job.pk, state=JobState.PENDING, done=index).update(
        done=index + 1, bytes_done=F("bytes_done") + expected, heartbeat_at=timezone.now()
    )
    job.refresh_from_db()
    if job.done == job.total:
        _queue(job)
        job.refresh_from_db()
    return job


def _write_at(path: Path, offset: int, expected: int, stream: Readable) -> None:
    """Stream exactly `expected` bytes to `path` at `offset`; on a short body, undo the write."""
    written = 0
    with path.open("r+b") as fp:
        fp.seek(offset)
        while written < expected:
            block = stream.read(min(BLOCK, expected - written))
            if not block:
                break
            fp.write(block)
            written += len(block)
        if written != expected:
            fp.truncate(offset)
            raise ObjectsError(
                f"The chunk ended after {written} of {expected} bytes; send it again.", status=400
            )


@transaction.atomic
def _queue(job: Job) -> None:
    with staging_file(job.pk).open("r+b") as fp:
        fp.truncate(int(job.bytes_total or 0))  # drop anything past the file's end
    if Job.objects.filter(pk=job.pk, state=JobState.PENDING).update(
        state=JobState.QUEUED, bytes_done=0, heartbeat_at=timezone.now()
    ):
        job_dispatch(job)


def upload_run(*, job_id: int) -> None:
    """The task body: upload the staged file to COS, or clean up after a cancel."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    if job.is_terminal:
        upload_cleanup(job)
        return
    if not job_claim(job_id):
        return
    path = staging_file(job_id)
    if not path.exists() or path.stat().st_size != job.bytes_total:
        job_finish(job_id, state=JobState.FAILED, error_message="The staged file is missing.")
        return
    try:
        result = _send(job, path)
    except (JobStopped, CosClientError, CosServiceError):
        if job_state(job_id) in TERMINAL_STATES:
            upload_cleanup(job)  # cancelled mid-way: abort the multipart upload
            return
        raise
    if job_finish(
        job_id, state=JobState.SUCCEEDED, bytes_done=job.bytes_total, result=_summary(result)
    ):
        audit_record(user=job.user, action="job.upload.finish", bucket=job.bucket, key=job.prefix)
    shutil.rmtree(staging_dir(job_id), ignore_errors=True)


def _send(job: Job, path: Path) -> dict[str, Any]:
    last = 0.0

    def progress(consumed: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < HEARTBEAT_EVERY and consumed < total:
            return
        last = now
        if not job_heartbeat(job.pk, bytes_done=consumed):
            raise JobStopped(f"job {job.pk} is no longer running")

    return get_cos_client().upload_file(
        Bucket=job.bucket,
        Key=job.prefix,
        LocalFilePath=str(path),
        PartSize=settings.CONSOLE_UPLOAD_PART_MB,
        MAXThread=settings.CONSOLE_UPLOAD_THREADS,
        progress_callback=progress,
        upload_id_callback=lambda upload_id: _remember_upload_id(job.pk, upload_id),
    )


def _remember_upload_id(job_id: int, upload_id: str) -> None:
    # Persisted before any part is sent, so a cancel (even after a worker crash) aborts exactly
    # this job's multipart upload and never another upload of the same key.
    params = Job.objects.values_list("params", flat=True).get(pk=job_id)
    Job.objects.filter(pk=job_id).update(params={**params, "upload_id": upload_id})


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    lowered = {str(k).lower(): v for k, v in result.items()}
    return {
        "etag": str(lowered.get("etag", "")).strip('"'),
        "crc64": str(lowered.get("x-cos-hash-crc64ecma", "")),
    }


def upload_cleanup(job: Job) -> None:
    """Abort the job's own multipart upload, if it began one (no orphaned parts); drop staging."""
    upload_id = Job.objects.values_list("params", flat=True).get(pk=job.pk).get("upload_id")
    if job.state != JobState.SUCCEEDED and upload_id:
        try:
            get_cos_client().abort_multipart_upload(
                Bucket=job.bucket, Key=job.prefix, UploadId=upload_id
            )
        except CosServiceError as exc:
            if exc.get_status_code() >= 500:
                raise
            log.info("upload %s cleanup: %s", job.pk, exc)
    shutil.rmtree(staging_dir(job.pk), ignore_errors=True)


def uploads_sweep() -> int:
    """Expire abandoned uploads; remove staging that no running upload needs any more."""
    stale = timezone.now() - timedelta(days=ABANDONED_AFTER_DAYS)
    Job.objects.filter(kind=JobKind.UPLOAD, state=JobState.PENDING, heartbeat_at__lt=stale).update(
        state=JobState.CANCELLED,
        finished_at=timezone.now(),
        error_message="No chunk arrived for a week; the staged part was removed.",
    )
    root = Path(settings.CONSOLE_UPLOAD_STAGING_DIR)
    if not root.is_dir():
        return 0
    removed = 0
    for path in root.glob("upload-*"):
        job = Job.objects.filter(pk=int(path.name.removeprefix("upload-") or 0)).first()
        if job is None or job.is_terminal:
            if job is not None:
                upload_cleanup(job)
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed
