"""A large upload's ends: begin the multipart upload, complete it with its CRC-64 checked, or
abort it and drop staging (cancel, failure, the sweep's retries)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app.cos import CosClientError, CosS3Client, CosServiceError
from objects_app.cos.crc64 import combine_parts
from objects_app.cos.errors import CosCrcMismatchError, is_retryable
from objects_app.cos.transfer import UploadedPart, header
from objects_app.jobs.engine import JobRun, record_outcome
from objects_app.jobs.kind import Finished, StepResult, Stopped
from objects_app.jobs.kinds.upload import staging
from objects_app.jobs.kinds.upload.params import UploadParams
from objects_app.jobs.kinds.upload.pump import recorded_parts
from objects_app.models import TERMINAL_STATES, Job, JobState, UploadPart, UploadSession
from objects_app.storage import get_cos_client

log = logging.getLogger(__name__)

ABANDONED_AFTER_DAYS = 7  # an upload waiting for the browser this long is cancelled
SWEEP_BATCH = 100  # ended uploads whose multipart upload the sweep aborts per run


class UploadEnded(Exception):
    """The job ended before its multipart upload began (that upload was aborted at once)."""


def begin(run: JobRun, params: UploadParams) -> str:
    """The job's own multipart upload: its id is persisted before any part is sent, so a cancel
    (even after a worker crash) aborts exactly this upload, never another of the same key."""
    session = UploadSession.objects.get(job_id=run.job.pk)
    if session.upload_id:
        return session.upload_id
    client: CosS3Client = run.client
    created = client.create_multipart_upload(Bucket=run.job.bucket, Key=params.key)
    upload_id = str(created["UploadId"])
    live = UploadSession.objects.filter(job_id=run.job.pk).exclude(job__state__in=TERMINAL_STATES)
    if not live.update(upload_id=upload_id):
        client.abort_multipart_upload(Bucket=run.job.bucket, Key=params.key, UploadId=upload_id)
        raise UploadEnded(f"job {run.job.pk} ended before its upload began")
    return upload_id


def step_complete(run: JobRun, params: UploadParams) -> StepResult:
    """Complete the multipart upload and check the object's CRC-64 against the staged bytes
    (the client's complete_and_verify; a run that died after COS completed the upload finds
    the object there with the right CRC)."""
    job, client = run.job, run.client
    session = UploadSession.objects.get(job_id=job.pk)
    parts = [UploadedPart(p.number, p.etag, p.crc64, p.size) for p in recorded_parts(job.pk)]
    try:
        result = client.complete_and_verify(
            job.bucket, params.key, session.upload_id, parts, AlreadyCompletedOk=True
        )
    except CosCrcMismatchError as exc:
        UploadSession.objects.filter(job_id=job.pk).update(upload_closed=True)
        if exc.completed_here:  # the damaged object is this run's own: remove exactly it
            version = {"VersionId": exc.version_id} if exc.version_id not in (None, "null") else {}
            client.delete_object(Bucket=job.bucket, Key=params.key, **version)
        message = _(
            "The object's CRC-64 (%(remote)s) does not match the file's (%(local)s); it was "
            "removed. Upload the file again."
        ) % {"remote": exc.remote_crc, "local": exc.local_crc}
        return Finished(state=JobState.FAILED, message=message)
    UploadSession.objects.filter(job_id=job.pk).update(upload_closed=True)
    whole = combine_parts((p.crc64, p.size) for p in parts)
    summary = {"etag": str(header(result, "ETag") or "").strip('"'), "crc64": str(whole)}
    if run.alive():
        return Finished(summary, fields={"bytes_done": params.size, "done": len(parts)})
    # The cancel landed while COS was assembling the object: it exists now. Say so.
    Job.objects.filter(pk=job.pk, state=JobState.CANCELLED).update(
        result=summary, bytes_done=params.size, done=len(parts),
        error_message=_("Cancelled while COS was completing the upload: the object was already "
                        "complete and was kept."),
    )  # fmt: skip
    return Stopped()


def cleanup(job: Job, client: CosS3Client) -> None:
    """Abort the job's own multipart upload, if it began one and it is not done; drop staging.

    A successful abort is remembered, so the sweep keeps retrying only the ones that failed.
    """
    session = UploadSession.objects.filter(job_id=job.pk).first()
    if session is not None and session.upload_id and not session.upload_closed:
        params = UploadParams.from_json(job.params)
        try:
            client.abort_multipart_upload(
                Bucket=job.bucket, Key=params.key, UploadId=session.upload_id
            )
        except CosServiceError as exc:
            if is_retryable(exc):
                raise
            log.info("upload %s cleanup: %s", job.pk, exc)  # NoSuchUpload: nothing to abort
        UploadSession.objects.filter(job_id=job.pk).update(upload_closed=True)
    staging.drop_staging(job.pk)
    UploadPart.objects.filter(job_id=job.pk).delete()


def housekeeping() -> int:
    """Expire abandoned uploads; abort what ended uploads left on COS; remove stray staging.

    Each upload is handled on its own: one that COS keeps refusing is logged and retried at the
    next sweep, and never stops the others.
    """
    stale = timezone.now() - timedelta(days=ABANDONED_AFTER_DAYS)
    abandoned = Job.objects.filter(
        kind="upload", state=JobState.AWAITING_INPUT, heartbeat_at__lt=stale
    )
    for job_id in list(abandoned.values_list("pk", flat=True)):
        if abandoned.filter(pk=job_id).update(
            state=JobState.CANCELLED, finished_at=timezone.now(),
            error_message=_("No chunk arrived for a week; the staged part was removed."),
        ):  # fmt: skip
            record_outcome(job_id)
    ended = Job.objects.filter(kind="upload", state__in=TERMINAL_STATES)
    unaborted = ended.filter(upload__upload_closed=False).exclude(upload__upload_id="")
    cleaned = sum(_cleanup_quietly(job) for job in unaborted[:SWEEP_BATCH])
    for path, owner_id in staging.staging_job_ids():
        owner = Job.objects.filter(pk=owner_id).first() if owner_id is not None else None
        if owner is None:
            staging.drop_staging_path(path)
            cleaned += 1
        elif owner.is_terminal:
            cleaned += _cleanup_quietly(owner)
    return cleaned


def _cleanup_quietly(job: Job) -> int:
    try:
        cleanup(job, get_cos_client())
    except (CosClientError, CosServiceError) as exc:
        log.warning("sweep: upload %s cleanup failed, retried next sweep: %s", job.pk, exc)
        return 0
    return 1
