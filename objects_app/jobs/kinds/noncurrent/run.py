"""Deleting the confirmed noncurrent versions, CONSOLE_DELETE_PARALLEL delete_objects calls of
1,000 versions at a time (items.walk).

Before each window, the current version of every key in it is read from the object listing
(one request per 1,000 keys): a key whose current version is older than its latest entry was
at the dry run lost newer versions (or its delete marker, to an undelete) meanwhile, so one of
its planned versions may be current now; that key's versions are kept. A current version is
never deleted. Deleting a version twice changes nothing, so a window a dead run left is done again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import ItemResult, walk
from objects_app.jobs.kind import Finished, StepResult
from objects_app.jobs.kinds.history_walk import current_stamps, tidy_report
from objects_app.models import ItemOutcome, JobItem

BATCH = 1000  # COS's limit for one delete_objects call


def step_delete(run: JobRun) -> StepResult:
    parallel = max(1, settings.CONSOLE_DELETE_PARALLEL)
    with ThreadPoolExecutor(max_workers=parallel) as pool:

        def act(window: list[JobItem]) -> dict[int, ItemResult]:
            results = _became_current(run, window)
            rest = [item for item in window if item.seq not in results]
            batches = [rest[i : i + BATCH] for i in range(0, len(rest), BATCH)]
            for found in pool.map(lambda b: _delete_batch(run, b), batches):
                results.update(found)
            return results

        result = walk(run, window=parallel * BATCH, act=act, intent=False)
    if isinstance(result, Finished):
        tidy_report(run.job.pk)
    return result


def _became_current(run: JobRun, window: list[JobItem]) -> dict[int, ItemResult]:
    """The items of keys whose current version is now older than the key's latest entry was
    when planned: newer versions (or the delete marker) went meanwhile, so one of the planned
    versions may be current now. All of that key's planned versions are kept."""
    before = (
        JobItem.objects.filter(job_id=run.job.pk, seq__lt=window[0].seq, key__lt=window[0].key)
        .order_by("-seq")
        .values_list("key", flat=True)
        .first()
    )
    prefix = str(run.job.params.get("prefix") or "")
    current = current_stamps(run.client, run.job.bucket, prefix, before or "", window[-1].key)
    why = gettext_noop(
        "Newer versions of this key were deleted after the dry run, so this one may be "
        "current now; kept."
    )
    skipped = ItemResult(ItemOutcome.SKIPPED, "BecameCurrent", why)
    results = {}
    for item in window:
        now, head = current.get(item.key), parse_datetime(item.reason_code)
        if now is not None and head is not None and now < head:
            results[item.seq] = skipped
    return results


def _delete_batch(run: JobRun, batch: list[JobItem]) -> dict[int, ItemResult]:
    objects = [{"Key": item.key, "VersionId": item.ref} for item in batch]
    answer = run.client.delete_objects(
        Bucket=run.job.bucket, Delete={"Quiet": "true", "Object": objects}
    )
    by_target = {(item.key, item.ref): item.seq for item in batch}
    results: dict[int, ItemResult] = {}
    for error in answer.get("Error", []):
        seq = by_target.get((str(error.get("Key", "")), str(error.get("VersionId") or "")))
        if seq is not None:
            code, message = str(error.get("Code") or "Error"), str(error.get("Message") or "")
            results[seq] = ItemResult(ItemOutcome.FAILED, code, message)
    return results
