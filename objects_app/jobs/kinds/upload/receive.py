"""The web side of a large upload: start (or resume the same file), then chunks in order.

Each chunk is exactly one multipart part. The browser resumes from the count the server
reports; a resent chunk is acknowledged, a chunk out of order is refused (409). The first chunk
after a pause queues the worker, which sends parts to COS while later chunks still arrive.
While a live worker is a window of chunks behind, a chunk request waits for room (briefly), so
staging stays near window x chunk size.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app import keys
from objects_app.cos import CosServiceError
from objects_app.errors import ObjectsError
from objects_app.jobs import engine, registry
from objects_app.jobs.dispatch import enqueue
from objects_app.jobs.kinds.upload import staging
from objects_app.jobs.kinds.upload.params import MAX_PARTS, UploadParams
from objects_app.jobs.pulse import pulse_seconds
from objects_app.models import TERMINAL_STATES, Job, JobState, UploadPart, UploadSession
from objects_app.storage import get_cos_client

MB = 1024 * 1024
ROOM_WAIT_SECONDS = 10.0  # the longest a chunk request waits for the worker to catch up
ORDER_WAIT_SECONDS = 30.0  # the longest a chunk sent ahead waits for the chunks before it
# A chunk sent ahead usually finishes arriving just after its predecessor: polls start short
# (so that wait adds no visible pause to every other chunk) and back off to the longest.
TURN_POLL_SECONDS = (0.002, 0.02)


def validate_key(key: str) -> str:
    """COS's rule for a key the console creates (objects_app.keys), and a file needs a name."""
    try:
        keys.check_new_key(key)
    except keys.NameRuleError as exc:
        raise ObjectsError(str(exc)) from None
    if key.endswith("/"):
        raise ObjectsError(_("Give the object a name: a key ending with / is a folder."))
    return key


def choose_chunk_size(size: int) -> int:
    """The configured chunk size, grown (in whole MiB) so the file fits in COS's 10,000 parts."""
    floor = max(settings.CONSOLE_UPLOAD_CHUNK_BYTES, MB)  # COS's smallest part but the last
    return max(floor, math.ceil(size / MAX_PARTS / MB) * MB)


def upload_start(*, user: Any, bucket: str, key: str, size: int, fingerprint: str) -> Job:
    """Begin a chunked upload, or find the unfinished one of the same file to resume."""
    validate_key(key)
    if size <= 0:
        raise ObjectsError(_("The file is empty; nothing to upload."))
    kind = registry.get("upload")
    dedupe = _dedupe_key(user, bucket, key, size, fingerprint)
    existing = engine.job_find_live(kind=kind, dedupe_key=dedupe)
    if existing is not None:
        return existing
    _check_bucket(bucket)  # outside any transaction: no database lock held over a COS call
    chunk = choose_chunk_size(size)
    params = UploadParams(key=key, size=size, fingerprint=fingerprint, chunk_size=chunk)
    with transaction.atomic():
        job = engine.job_create(
            kind=kind, user=user, bucket=bucket, params=params, dedupe_key=dedupe,
            state=JobState.AWAITING_INPUT, total=math.ceil(size / chunk), bytes_total=size,
            heartbeat_at=timezone.now(),
        )  # fmt: skip
        UploadSession.objects.get_or_create(job=job)
    return job


def _dedupe_key(user: Any, bucket: str, key: str, size: int, fingerprint: str) -> str:
    """One live upload per user, bucket, key and file (size and the browser's fingerprint)."""
    parts = [str(getattr(user, "pk", "")), bucket, key, str(size), fingerprint]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _check_bucket(bucket: str) -> None:
    """Refuse before the first byte is sent, not after the worker's first COS call."""
    try:
        get_cos_client().head_bucket(Bucket=bucket)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            raise ObjectsError(
                _("There is no bucket named %(bucket)s.") % {"bucket": bucket}, status=404
            ) from None
        raise


def chunk_length(params: UploadParams, index: int) -> int:
    return min(params.chunk_size, params.size - index * params.chunk_size)


def upload_chunk(*, job: Job, index: int, length: int | None, stream: staging.Readable) -> Job:
    """Store chunk `index` (the next one expected); resent earlier chunks are acknowledged."""
    params = UploadParams.from_json(job.params)
    chunks = int(job.total or 0)
    if not 0 <= index < chunks:
        raise ObjectsError(
            _("Chunk %(index)s is out of range (0..%(last)s).") % {"index": index,
                                                                   "last": chunks - 1},
            status=400,
        )  # fmt: skip
    expected = chunk_length(params, index)
    if length != expected:
        raise ObjectsError(
            _("Chunk %(index)s must be %(expected)s bytes, not %(length)s.")
            % {"index": index, "expected": expected, "length": length},
            status=400,
        )
    received = job.upload.received  # loaded with the job, in this request
    if index < received:
        return job  # already stored (a retry after a lost response)
    if job.is_terminal:
        raise _no_longer()
    if index >= received + ahead_chunks():
        raise _out_of_order(index, received)
    _wait_for_room(job.pk)
    _store(job, index, expected, stream)
    return job


def ahead_chunks() -> int:
    """How many chunks a browser may send at once (each waits for its predecessors' turn)."""
    return max(1, settings.CONSOLE_UPLOAD_AHEAD_CHUNKS)


def _out_of_order(index: int, expected: int) -> ObjectsError:
    return ObjectsError(
        _("Chunk %(index)s is out of order: expected chunk %(expected)s.")
        % {"index": index, "expected": expected},
        status=409,
    )


def _store(job: Job, index: int, expected: int, stream: staging.Readable) -> None:
    path = staging.chunk_path(job.pk, index)
    # Made here, not at start: the sweep removes staging no live job owns, and a job row is
    # only visible to it once committed.
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        temp = staging.receive_chunk(path, expected, stream)
    except FileNotFoundError:  # staging is gone: the job was cancelled meanwhile
        raise _no_longer() from None
    if not _await_turn(job, index):
        temp.unlink(missing_ok=True)  # its predecessor never came: the browser sends it again
        raise _out_of_order(index, _received(job))
    try:
        staging.publish_chunk(temp, path)
    except FileNotFoundError:  # staging is gone: the job was cancelled meanwhile
        raise _no_longer() from None
    if _count_chunk(job, index):
        return
    if Job.objects.filter(pk=job.pk, state__in=TERMINAL_STATES).exists():
        staging.drop_staging(job.pk)  # the cleanup may have run first
        raise _no_longer()
    if UploadPart.objects.filter(job_id=job.pk, number=index + 1).exists():
        path.unlink(missing_ok=True)  # a twin request counted it, and COS already has it


def _received(job: Job) -> int:
    return int(UploadSession.objects.values_list("received", flat=True).get(job=job))


def _await_turn(job: Job, index: int) -> bool:
    """Wait (bounded) until the chunks before `index` are counted; False if they never came.

    A chunk sent ahead is received at once, in parallel with its predecessors, and only its
    counting waits: chunks are counted in order, so "received" stays a simple count.
    """
    deadline = time.monotonic() + ORDER_WAIT_SECONDS
    pause, longest = TURN_POLL_SECONDS
    while _received(job) < index:
        if time.monotonic() > deadline or job.state in TERMINAL_STATES:
            return False
        time.sleep(pause)
        pause = min(pause * 2, longest)
        job.refresh_from_db(fields=["state"])
    return True


def _no_longer() -> ObjectsError:
    return ObjectsError(_("This upload no longer accepts chunks."), status=409)


@transaction.atomic
def _count_chunk(job: Job, index: int) -> bool:
    """Advance the received count; the first chunk after a pause (re)queues the worker, and a
    chunk that finds the worker dead queues a rescue at once instead of waiting for the sweep.

    The count moves by a conditional UPDATE of the session row, which also locks that row until
    commit: the worker's hand-back (Pump.still_waiting) locks it too, so a chunk is never left
    waiting for a worker that just handed the job back.
    """
    live = UploadSession.objects.filter(job_id=job.pk, received=index)
    if not live.exclude(job__state__in=TERMINAL_STATES).update(received=index + 1):
        return False
    now = timezone.now()
    rows = Job.objects.filter(pk=job.pk)
    if rows.filter(state=JobState.AWAITING_INPUT).update(state=JobState.QUEUED, heartbeat_at=now):
        enqueue(job)
    elif rows.filter(state=JobState.RUNNING, heartbeat_at__lt=engine.stale_before()).exists():
        enqueue(job)  # its run died: the new task claims it (the heartbeat is stale)
    return True


def _wait_for_room(job_id: int) -> None:
    """Hold the request while a live worker is a full window behind (bounded, never fails).

    Only while a worker beats: with none on the job (or a dead one), chunks simply pile up in
    staging and wait, at full speed.
    """
    window = max(settings.CONSOLE_UPLOAD_WINDOW_CHUNKS, 1)
    deadline = time.monotonic() + ROOM_WAIT_SECONDS
    while staging.staged_chunks(job_id) >= window and time.monotonic() < deadline:
        if not _worker_beating(job_id):
            return
        time.sleep(0.05)


def _worker_beating(job_id: int) -> bool:
    recent = timezone.now() - timedelta(seconds=3 * pulse_seconds() + 1)
    return Job.objects.filter(pk=job_id, state=JobState.RUNNING, heartbeat_at__gte=recent).exists()
