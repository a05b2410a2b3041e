"""Following a campaign until every object is readable: HEAD each object when it is due (at most
once per polling interval, backing off while COS is still restoring), copy each ready object to
a readable class if the plan asked for it, and mark copies whose days are over as expired.

Between due times the job is not held by any worker: the step hands it back with the time of the
next due HEAD (Continue(after=...)), so following 10,000 objects for two days costs a few HEADs
per object and no waiting worker.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from objects_app import keys
from objects_app.archive import ARCHIVE_CLASSES
from objects_app.cos import CosClientError, CosServiceError
from objects_app.jobs.engine import JobRun
from objects_app.jobs.failures import is_retryable
from objects_app.jobs.kind import Continue, Finished, StepResult, Stopped
from objects_app.jobs.kinds.restore import targets as t
from objects_app.models import JobState
from objects_app.restore_models import (
    TRACKED_STATES,
    CopyState,
    RestoreCampaign,
    RestoreState,
    RestoreTarget,
)
from objects_app.selectors.objects import detail_from_headers
from objects_app.services.objects import SDK_HEADER_NAMES

WINDOW = 1000


def step_track(run: JobRun, params: Any) -> StepResult:
    job = run.job
    threads = max(1, settings.CONSOLE_RESTORE_THREADS)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            t.expire_due(job.pk)
            copies = _pending_copies(job.pk)
            if copies and not _commit(run, _copy_all(run, params, pool, copies)):
                return Stopped()
            due = _due(job.pk)
            if due and not _commit(run, _head_all(run, params, pool, due)):
                return Stopped()
            if not copies and not due:
                return _wait_or_finish(run)
            if not run.alive():
                return Stopped()
            if run.sliced():
                return Continue()


def _pending_copies(job_id: int) -> list[RestoreTarget]:
    pending = RestoreTarget.objects.filter(
        job_id=job_id, copy_state=CopyState.PENDING, state=RestoreState.READY
    )
    return list(pending.order_by("seq")[:WINDOW])


def _due(job_id: int) -> list[RestoreTarget]:
    due = RestoreTarget.objects.filter(
        job_id=job_id, state__in=TRACKED_STATES, next_check_at__lte=timezone.now()
    )
    return list(due.order_by("next_check_at")[:WINDOW])


def _wait_or_finish(run: JobRun) -> StepResult:
    job_id = run.job.pk
    earliest = t.refresh_next_check(job_id)
    if earliest is None:
        return _finished(job_id)  # nothing restoring or waiting for a copy: all settled
    wait = (earliest - timezone.now()).total_seconds()
    return Continue(after=min(max(wait, 1.0), float(settings.CONSOLE_RESTORE_POLL_MAX_SECONDS)))


def _finished(job_id: int) -> Finished:
    """Succeeded only if every object became readable and every copy asked for was made."""
    campaign = RestoreCampaign.objects.get(pk=job_id)
    if campaign.copy_failed and not campaign.failed:
        message = ngettext(
            "%(n)s copy to a readable class failed; the campaign page lists it.",
            "%(n)s copies to a readable class failed; the campaign page lists them.",
            campaign.copy_failed,
        ) % {"n": campaign.copy_failed}
        return Finished(state=JobState.PARTIALLY_FAILED, message=message)
    return Finished()


Outcome = tuple[RestoreTarget, t.Change, Exception | None]


def _commit(run: JobRun, outcomes: list[Outcome]) -> bool:
    """Save a window; a transient COS error is raised after the rest was saved (the engine
    retries the task; that object is simply due again)."""
    changes = [change for _, change, error in outcomes if error is None]
    fields = ["state", "expiry", "ready_at", "next_check_at", "checks", "error_code",
              "storage_class", "copy_state", "copy_key", "copy_error"]  # fmt: skip
    with transaction.atomic():
        moved = t.save(changes, fields)
        if not run.beat(**t.job_deltas(moved)):
            transaction.set_rollback(True)
            return False
    retry = next((error for _, _, error in outcomes if error is not None), None)
    if retry is not None:
        raise retry
    return True


# --- following restores -------------------------------------------------------------------------


def _head_all(run: JobRun, params: Any, pool: ThreadPoolExecutor,
              due: list[RestoreTarget]) -> list[Outcome]:  # fmt: skip
    return list(pool.map(lambda target: _head(run, params, target), due))


def _head(run: JobRun, params: Any, target: RestoreTarget) -> Outcome:
    change = t.Change.of(target)
    now = timezone.now()
    try:
        headers = run.client.head_object(Bucket=run.job.bucket, Key=target.key)
    except (CosServiceError, CosClientError) as exc:
        if is_retryable(exc):
            return target, change, exc
        target.state = RestoreState.FAILED
        target.error_code = _code(exc)
        return target, change, None
    target.checks += 1
    _observe(target, detail_from_headers(run.job.bucket, target.key, headers), params, now)
    return target, change, None


def _observe(target: RestoreTarget, detail: Any, params: Any, now: datetime) -> None:
    """Move a followed object on from what HEAD says."""
    if detail.storage_class not in ARCHIVE_CLASSES:
        target.state, target.ready_at, target.expiry = RestoreState.READY, now, None
        target.storage_class = detail.storage_class  # changed class meanwhile: readable as is
    elif detail.restore_ongoing:
        target.state = RestoreState.IN_PROGRESS
        target.next_check_at = t.next_check(target.checks, now)
    elif detail.is_restored:
        target.state, target.ready_at, target.expiry = (
            RestoreState.READY,
            now,
            detail.restore_expiry,
        )
        if params.copy_to:
            target.copy_state = CopyState.PENDING
    else:
        # Archived with no restore at all: its copy came and went between two looks.
        target.state, target.error_code = RestoreState.EXPIRED, "ExpiredUnseen"


def _code(exc: CosServiceError | CosClientError) -> str:
    if isinstance(exc, CosServiceError):
        code = exc.get_error_code()
        if exc.get_status_code() == 404:
            return "NoSuchKey"
        return (code if code not in ("", "Unknown") else str(exc.get_status_code()))[:64]
    return "ClientError"


# --- the optional copy to a readable class -------------------------------------------------------


def _copy_all(run: JobRun, params: Any, pool: ThreadPoolExecutor,
              pending: list[RestoreTarget]) -> list[Outcome]:  # fmt: skip
    return list(pool.map(lambda target: _copy(run, params, target), pending))


def _copy(run: JobRun, params: Any, target: RestoreTarget) -> Outcome:
    change = t.Change.of(target)
    dest = params.copy_prefix + target.key
    try:
        keys.check_key(dest)
    except keys.NameRuleError:
        target.copy_state, target.copy_error = CopyState.FAILED, "KeyTooLong"
        return target, change, None
    try:
        copy_to_readable(run.client, run.job.bucket, target.key, dest, params.copy_to)
    except (CosServiceError, CosClientError) as exc:
        if is_retryable(exc):
            return target, change, exc
        target.copy_state, target.copy_error = CopyState.FAILED, _code(exc)
        return target, change, None
    target.copy_state, target.copy_key = CopyState.DONE, dest
    if dest == target.key:
        target.expiry = None  # the object itself is readable for good now
    return target, change, None


def copy_to_readable(client: Any, bucket: str, key: str, dest: str, storage_class: str) -> None:
    """Copy a restored object into `storage_class`, keeping its content headers and metadata
    (onto itself, COS needs them sent again: Replaced). Large objects go by multipart copy."""
    source = {"Bucket": bucket, "Key": key}
    if dest != key:
        client.copy(Bucket=bucket, Key=dest, CopySource=source, CopyStatus="Copy",
                    StorageClass=storage_class)  # fmt: skip
        return
    detail = detail_from_headers(bucket, key, client.head_object(Bucket=bucket, Key=key))
    headers = {SDK_HEADER_NAMES[name]: value for name, value in detail.content_headers.items()}
    client.copy(Bucket=bucket, Key=key, CopySource=source, CopyStatus="Replaced",
                StorageClass=storage_class, Metadata=detail.metadata, **headers)  # fmt: skip
