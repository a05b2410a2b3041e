"""Deleting the confirmed noncurrent versions, CONSOLE_DELETE_PARALLEL delete_objects calls of
1,000 versions at a time (items.walk).

Right before each call, the current version of every key in its batch is read from the object
listing (one request per batch): a key whose current version is older than its latest entry
was at the dry run lost newer versions (or its delete marker, to an undelete) meanwhile, so one
of its planned versions may be current now; that key's versions are kept. A current version is
never deleted. Each batch checks and deletes on its own thread, so one batch's check runs while
the others delete, and the check is as close as it can be to its delete. Deleting a version
twice changes nothing, so a window a dead run left is done again.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult, Results, walk
from objects_app.jobs.kind import StepResult
from objects_app.jobs.kinds.history_walk import (
    PAGE,
    checked_chunks,
    current_stamps,
)
from objects_app.models import ItemOutcome

BATCH = 1000  # COS's limit for one delete_objects call
BECAME_CURRENT = gettext_noop(
    "Newer versions of this key were deleted after the dry run, so this one may be current now; "
    "kept."
)


def step_delete(run: JobRun) -> StepResult:
    parallel = max(1, settings.CONSOLE_DELETE_PARALLEL)
    client = run.client
    with ThreadPoolExecutor(max_workers=parallel) as pool:

        def act(window: list[Item]) -> Callable[[], Results]:
            return checked_chunks(run, pool, window, BATCH, check_and_delete)

        def check_and_delete(batch: list[Item], after: str) -> Results:
            return _check_and_delete(run, client, batch, after)

        return walk(run, window=parallel * BATCH, act=act, intent=False, clear_codes=True)


def _check_and_delete(
    run: JobRun, client: Any, batch: list[Item], after: str
) -> dict[int, ItemResult]:
    results = _became_current(run, client, batch, after)
    rest = [item for item in batch if item.seq not in results]
    if rest:
        results.update(_delete_batch(run, client, rest))
    return results


def _became_current(
    run: JobRun, client: Any, batch: list[Item], after: str
) -> dict[int, ItemResult]:
    """The items of keys whose current version is now older than the key's latest entry was
    when planned: newer versions (or the delete marker) went meanwhile, so one of the planned
    versions may be current now. All of that key's planned versions are kept."""
    prefix = str(run.job.params.get("prefix") or "")
    keys = len({item.key for item in batch})
    current = current_stamps(client, run.job.bucket, prefix, after, batch[-1].key,
                             max_keys=min(PAGE, keys + 1))  # fmt: skip
    skipped = ItemResult(ItemOutcome.SKIPPED, "BecameCurrent", BECAME_CURRENT)
    results = {}
    for item in batch:
        now, head = current.get(item.key), parse_datetime(item.reason_code)
        if now is not None and head is not None and now < head:
            results[item.seq] = skipped
    return results


def _delete_batch(run: JobRun, client: Any, batch: list[Item]) -> dict[int, ItemResult]:
    objects = [{"Key": item.key, "VersionId": item.ref} for item in batch]
    answer = client.delete_objects(
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
