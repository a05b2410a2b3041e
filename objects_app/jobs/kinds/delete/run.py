"""The batch delete's run: the confirmed plan, CONSOLE_DELETE_PARALLEL delete_objects calls of
1,000 keys at a time, each window committed once (items.walk)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from objects_app.cos import CosServiceError
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult, walk
from objects_app.jobs.kind import StepResult
from objects_app.models import ItemOutcome

BATCH = 1000  # COS's limit for one delete_objects call


def step_delete(run: JobRun) -> StepResult:
    parallel = max(1, settings.CONSOLE_DELETE_PARALLEL)
    with_versions = run.job.choice == "all"
    with ThreadPoolExecutor(max_workers=parallel) as pool:

        def act(window: list[Item]) -> dict[int, ItemResult]:
            batches = [window[i : i + BATCH] for i in range(0, len(window), BATCH)]
            results: dict[int, ItemResult] = {}
            for found in pool.map(lambda b: _delete_batch(run, b, with_versions), batches):
                results.update(found)
            return results

        return walk(run, window=parallel * BATCH, act=act, intent=not _safe_to_repeat(run))


def _safe_to_repeat(run: JobRun) -> bool:
    """Deleting a key again changes nothing, except a current object in a versioned bucket
    (a second delete marker): only that case needs the "started" mark and reconcile."""
    return run.job.choice == "all" or not run.job.plan.get("versioned")


def _delete_batch(run: JobRun, batch: list[Item], with_versions: bool) -> dict[int, ItemResult]:
    """One delete_objects call; the items COS refused (or that are protected) with reasons."""
    results: dict[int, ItemResult] = {}
    allowed = []
    for item in batch:
        if any(item.key.startswith(p) for p in settings.CONSOLE_PROTECTED_PREFIXES):
            results[item.seq] = ItemResult(
                ItemOutcome.FAILED, "Protected", "Under a protected prefix; not deleted."
            )
        else:
            allowed.append(item)
    if not allowed:
        return results
    objects = [
        {"Key": i.key, **({"VersionId": i.ref} if with_versions and i.ref else {})} for i in allowed
    ]
    answer = run.client.delete_objects(
        Bucket=run.job.bucket, Delete={"Quiet": "true", "Object": objects}
    )
    by_target = {(i.key, i.ref if with_versions else ""): i.seq for i in allowed}
    for error in answer.get("Error", []):
        target = (error.get("Key", ""), str(error.get("VersionId") or "") if with_versions else "")
        seq = by_target.get(target)
        if seq is not None:
            code, message = str(error.get("Code") or "Error"), str(error.get("Message") or "")
            results[seq] = ItemResult(ItemOutcome.FAILED, code, message)
    return results


def reconcile(run: JobRun, items: list[Item]) -> dict[int, ItemResult]:
    """Items a dead run may have deleted. Deleting again is harmless, except for a current
    object in a versioned bucket: that would stack a second delete marker. There, an object
    that is no longer current (HEAD says 404) was deleted by that run."""
    if _safe_to_repeat(run):
        return {}
    parallel = max(1, settings.CONSOLE_DELETE_PARALLEL) * 4
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        gone = pool.map(lambda item: _gone(run, item.key), items)
        return {item.seq: DONE_BEFORE for item, g in zip(items, gone, strict=True) if g}


DONE_BEFORE = ItemResult(ItemOutcome.DONE, "", "")


def _gone(run: JobRun, key: str) -> bool:
    try:
        run.client.head_object(Bucket=run.job.bucket, Key=key)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return True
        raise
    return False
