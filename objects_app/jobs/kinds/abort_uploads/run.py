"""Aborting the confirmed uploads, CONSOLE_ABORT_PARALLEL calls at a time (items.walk)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from objects_app.cos import CosServiceError
from objects_app.cos.errors import is_retryable
from objects_app.jobs.actions import job_cancel_by_system
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult, walk
from objects_app.jobs.kind import StepResult
from objects_app.jobs.kinds.abort_uploads.plan import OWNED, owners
from objects_app.models import ItemOutcome

PER_THREAD = 64  # items per thread and window: windows long enough that the commits cost little


def step_abort(run: JobRun) -> StepResult:
    parallel = max(1, settings.CONSOLE_ABORT_PARALLEL)
    with ThreadPoolExecutor(max_workers=parallel) as pool:

        def act(window: list[Item]) -> dict[int, ItemResult]:
            _release_owned(run, window)
            found = pool.map(lambda item: _abort(run, item), window)
            return {item.seq: r for item, r in zip(window, found, strict=True) if r is not None}

        return walk(run, window=parallel * PER_THREAD, act=act)


def _release_owned(run: JobRun, window: list[Item]) -> None:
    """The user chose to abort uploads console jobs are using: stop those jobs first, so they
    end as cancelled with a reason instead of failing on a vanished upload."""
    ids = [item.ref for item in window if item.group == OWNED]
    for upload_id, job_id in owners(ids).items():
        reason = _("Its multipart upload %(id)s was aborted from the Unfinished uploads page "
                   "(job #%(job)s).") % {"id": upload_id, "job": run.job.pk}  # fmt: skip
        job_cancel_by_system(job_id, reason=reason)


def _abort(run: JobRun, item: Item) -> ItemResult | None:
    try:
        run.client.abort_multipart_upload(Bucket=run.job.bucket, Key=item.key, UploadId=item.ref)
    except CosServiceError as exc:
        if exc.get_error_code() == "NoSuchUpload":
            return ItemResult(ItemOutcome.SKIPPED, "NoSuchUpload",
                              _("Already gone (completed or aborted elsewhere)."))  # fmt: skip
        if is_retryable(exc):
            raise
        return ItemResult(ItemOutcome.FAILED, exc.get_error_code(), exc.get_error_msg())
    return None


def reconcile(run: JobRun, items: list[Item]) -> dict[int, ItemResult]:
    """Items a dead run may have aborted: an upload that no longer exists was aborted by it
    (aborting again would report it as "already gone", which would not be true)."""
    parallel = max(1, settings.CONSOLE_ABORT_PARALLEL)
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        gone = list(pool.map(lambda item: _gone(run.client, run.job.bucket, item), items))
    done = ItemResult(ItemOutcome.DONE, "", "")
    return {item.seq: done for item, g in zip(items, gone, strict=True) if g}


def _gone(client: Any, bucket: str, item: Item) -> bool:
    try:
        client.list_parts(bucket, item.key, item.ref, MaxParts=1)
    except CosServiceError as exc:
        if exc.get_error_code() == "NoSuchUpload":
            return True
        raise
    return False
