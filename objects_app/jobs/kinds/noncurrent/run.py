"""Deleting the confirmed noncurrent versions, CONSOLE_DELETE_PARALLEL delete_objects calls of
1,000 versions at a time (items.walk).

Before each window, the latest entry of every key in it is read from the listing (one request
per 1,000 entries): a planned version that became current meanwhile (its newer versions were
deleted, or its delete marker removed by an undelete) is skipped, so a current version is never
deleted. Deleting a version twice changes nothing, so a window a dead run left is done again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.utils.translation import gettext as _

from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import ItemResult, walk
from objects_app.jobs.kind import StepResult
from objects_app.jobs.kinds.history_walk import latest_entries
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

        return walk(run, window=parallel * BATCH, act=act, intent=False)


def _became_current(run: JobRun, window: list[JobItem]) -> dict[int, ItemResult]:
    before = (
        JobItem.objects.filter(job_id=run.job.pk, seq__lt=window[0].seq, key__lt=window[0].key)
        .order_by("-seq")
        .values_list("key", flat=True)
        .first()
    )
    latest = latest_entries(run.client, run.job.bucket, str(run.job.params.get("prefix") or ""),
                            before or "", window[-1].key)  # fmt: skip
    why = _("This version became the current one after the dry run; kept.")
    skipped = ItemResult(ItemOutcome.SKIPPED, "BecameCurrent", why)
    return {item.seq: skipped for item in window if latest.get(item.key) == (item.ref, False)}


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
