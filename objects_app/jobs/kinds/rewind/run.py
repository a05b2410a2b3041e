"""The rewind's run: for each planned key, check that its latest entry is still the one the dry
run saw, then copy the version back onto the key or add a delete marker. It never deletes a
version, so the rewind is undone by rewinding to the moment it started (recorded here).

A write that raced the rewind (an upload after the dry run) is left current and reported as
skipped. After a crash, a key whose latest entry is no longer the one the plan saw was acted on
(reconcile), so no key is acted on twice.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from objects_app.archive import ARCHIVE_CLASSES
from objects_app.cos import CosServiceError
from objects_app.cos.errors import is_retryable
from objects_app.history import COPY, MARKER
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import ItemResult, walk
from objects_app.jobs.kind import Finished, StepResult, Stopped
from objects_app.jobs.kinds.history_walk import tidy_report
from objects_app.jobs.kinds.rewind.plan import parse_ref
from objects_app.models import ItemOutcome, JobItem

PER_THREAD = 32
COPY_LIMIT = 5 * 1024**3  # larger versions go through the multipart copy
# Report reasons: fixed texts (the report shows them in the reader's language; the version id
# and class are in the report's version column).
CHANGED = gettext_noop("Changed after the dry run (a newer version or delete marker is current "
                       "now); left as it is.")  # fmt: skip
GONE = gettext_noop("This version was deleted after the dry run; the key was left as it is.")
ARCHIVED = gettext_noop("This version is archived: restore it, then rewind again.")


def step_rewind(run: JobRun) -> StepResult:
    if "run_started" not in run.job.plan and not _record_start(run):
        return Stopped()
    parallel = max(1, settings.CONSOLE_REWIND_PARALLEL)
    with ThreadPoolExecutor(max_workers=parallel) as pool:

        def act(window: list[JobItem]) -> dict[int, ItemResult]:
            found = pool.map(lambda item: _apply(run, item), window)
            return {item.seq: r for item, r in zip(window, found, strict=True) if r is not None}

        result = walk(run, window=parallel * PER_THREAD, act=act)
    if isinstance(result, Finished):
        tidy_report(run.job.pk)
    return result


def _record_start(run: JobRun) -> bool:
    """Remember when the run started (the moment "undo" rewinds to), then wait for the next
    whole second: COS may stamp writes to the second, and every write of this run must come
    after the recorded moment."""
    now = timezone.now()
    plan = {**run.job.plan, "run_started": now.isoformat()}
    if not run.beat(plan=plan):
        return False
    run.job.plan = plan
    time.sleep(1 - now.microsecond / 1_000_000)
    return True


def latest_of(client: Any, bucket: str, key: str) -> tuple[str, bool] | None:
    """The id of the key's latest entry and whether it is a delete marker; None if none."""
    answer = client.list_objects_versions(Bucket=bucket, Prefix=key, MaxKeys=1)
    for name, is_marker in (("Version", False), ("DeleteMarker", True)):
        for entry in answer.get(name) or []:
            if entry.get("Key") == key:
                return str(entry.get("VersionId") or "null"), is_marker
    return None


def _apply(run: JobRun, item: JobItem) -> ItemResult | None:
    bucket = run.job.bucket
    latest = latest_of(run.client, bucket, item.key)
    if (latest[0] if latest else "") != item.reason_code:
        return ItemResult(ItemOutcome.SKIPPED, "Changed", CHANGED)
    try:
        if item.group == MARKER:
            run.client.delete_object(Bucket=bucket, Key=item.key)
        elif item.group == COPY:
            return _copy_back(run.client, bucket, item)
    except CosServiceError as exc:
        if is_retryable(exc):
            raise
        return ItemResult(ItemOutcome.FAILED, exc.get_error_code(), exc.get_error_msg())
    return None


def _copy_back(client: Any, bucket: str, item: JobItem) -> ItemResult | None:
    version_id, storage_class = parse_ref(item.ref)
    if storage_class in ARCHIVE_CLASSES:  # rare: only then is the version looked at first
        refused = _archived(client, bucket, item.key, version_id, storage_class)
        if refused is not None:
            return refused
    source = {"Bucket": bucket, "Key": item.key, "VersionId": version_id}
    copy = client.copy if item.size > COPY_LIMIT else client.copy_object
    try:
        copy(Bucket=bucket, Key=item.key, CopySource=source, CopyStatus="Copy",
             StorageClass=storage_class)  # fmt: skip
    except CosServiceError as exc:
        if exc.get_status_code() != 404:
            raise
        return ItemResult(ItemOutcome.FAILED, "NoSuchVersion", GONE)
    return None


def _archived(
    client: Any, bucket: str, key: str, version_id: str, storage_class: str
) -> ItemResult | None:
    """A refusal unless the archived version is restored (a copy needs its content)."""
    try:
        head = client.head_object(Bucket=bucket, Key=key, VersionId=version_id)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return None  # the copy reports it
        raise
    if 'ongoing-request="false"' in str(head.get("x-cos-restore") or ""):
        return None
    return ItemResult(ItemOutcome.FAILED, "Archived", ARCHIVED)


def reconcile(run: JobRun, items: list[JobItem]) -> dict[int, ItemResult]:
    """Items a dead run left "started": a key whose latest entry is no longer the one the plan
    saw was acted on by that run (acting again would stack a second copy or marker)."""
    parallel = max(1, settings.CONSOLE_REWIND_PARALLEL)
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        latest = list(pool.map(lambda i: latest_of(run.client, run.job.bucket, i.key), items))
    done = ItemResult(ItemOutcome.DONE, "", "")
    return {
        item.seq: done
        for item, now in zip(items, latest, strict=True)
        if (now[0] if now else "") != item.reason_code
    }
