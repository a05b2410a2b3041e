"""Batch deletes as jobs: a dry run that fixes the plan, then deletion in 1,000-key calls.

The dry run lists the prefix once and stores every key (or key version) as a numbered JobItem.
The delete phase walks the plan in windows of `CONSOLE_DELETE_PARALLEL` x 1,000 items, several
delete_objects calls in flight, and commits each window with ONE conditional UPDATE on the cursor.
A window redone after a crash deletes the same keys again, which COS reports as deleted, so the
counts stay exact, and nothing the user did not confirm is ever deleted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from objects_app.errors import ObjectsError
from objects_app.models import Job, JobItem, JobKind, JobState
from objects_app.services.audit import audit_record
from objects_app.services.jobs import (
    job_claim,
    job_dispatch,
    job_finish,
    job_heartbeat,
    job_release,
)
from objects_app.storage import get_cos_client

BATCH = 1000  # COS's limit for one delete_objects call
MODES = ("current", "all")


def protected_prefix_for(prefix: str) -> str | None:
    """The protected prefix a delete of everything under `prefix` would touch, if any."""
    for protected in settings.CONSOLE_PROTECTED_PREFIXES:
        if prefix.startswith(protected) or protected.startswith(prefix):
            return protected
    return None


def _refuse_protected(prefixes: Iterable[str], *, exact: bool) -> None:
    for value in prefixes:
        hit = (
            next((p for p in settings.CONSOLE_PROTECTED_PREFIXES if value.startswith(p)), None)
            if exact
            else protected_prefix_for(value)
        )
        if hit is not None:
            raise ObjectsError(
                f"Deletes under the protected prefix {hit!r} are refused "
                "(CONSOLE_PROTECTED_PREFIXES). Nothing was deleted.",
                status=403,
            )


@transaction.atomic
def delete_plan_start(*, user: Any, bucket: str, prefix: str) -> Job:
    """Queue the dry run of deleting everything under `prefix` (counts objects and bytes)."""
    _refuse_protected([prefix], exact=False)
    job = Job.objects.create(
        kind=JobKind.DELETE, user=user, bucket=bucket, prefix=prefix, params={"phase": "plan"}
    )
    audit_record(user=user, action="job.delete.plan", bucket=bucket, key=prefix)
    job_dispatch(job)
    return job


@transaction.atomic
def delete_selection_start(
    *, user: Any, bucket: str, items: list[tuple[str, str]], source: Job | None = None
) -> Job:
    """Plan a delete of chosen keys (key, version id) at once; it still waits for confirmation."""
    if not items:
        raise ObjectsError("Nothing selected to delete.")
    _refuse_protected([key for key, _ in items], exact=True)
    versioned = any(version for _, version in items)
    job = Job.objects.create(
        kind=JobKind.DELETE,
        user=user,
        bucket=bucket,
        state=JobState.PENDING,
        params={"phase": "confirm", "versioned": versioned, "retry_of": source and source.pk},
    )
    JobItem.objects.bulk_create(
        JobItem(job=job, seq=n, key=key, version_id=version, current=not version)
        for n, (key, version) in enumerate(items)
    )
    Job.objects.filter(pk=job.pk).update(result=_plan_summary(job.pk, versioned))
    audit_record(user=user, action="job.delete.plan", bucket=bucket, detail=f"{len(items)} keys")
    job.refresh_from_db()
    return job


def delete_retry_failed(*, user: Any, job: Job) -> Job:
    """A new delete job for the items that failed in `job`."""
    failed = job.items.exclude(error_code="").order_by("seq")
    items = [(item.key, item.version_id) for item in failed]
    if not items:
        raise ObjectsError("This job has no failed items to retry.", status=409)
    return delete_selection_start(user=user, bucket=job.bucket, items=items, source=job)


@transaction.atomic
def delete_confirm(*, user: Any, job: Job, mode: str) -> Job:
    """Start deleting what the dry run found: current versions only, or every version."""
    if mode not in MODES or (mode == "all" and not job.params.get("versioned")):
        raise ObjectsError("Choose what to delete.")
    counts = job.result.get(mode) or {"objects": 0, "bytes": 0}
    params = {**job.params, "phase": "delete", "mode": mode}
    updated = Job.objects.filter(pk=job.pk, state=JobState.PENDING).update(
        state=JobState.QUEUED,
        params=params,
        total=counts["objects"],
        bytes_total=counts["bytes"],
        cursor="",
    )
    if updated != 1:
        raise ObjectsError("This delete was already started or cancelled.", status=409)
    audit_record(
        user=user,
        action="job.delete",
        bucket=job.bucket,
        key=job.prefix,
        detail=f"{counts['objects']} objects, {counts['bytes']} bytes, {mode} versions",
    )
    job.refresh_from_db()
    job_dispatch(job)
    return job


def delete_run(*, job_id: int) -> None:
    """The task body: the dry run, or a slice of the delete phase."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_terminal or not job_claim(job_id):
        return
    if job.params.get("phase") == "plan":
        _plan(job)
    else:
        _delete(job)


# --- dry run -------------------------------------------------------------------------------------


def _listing(job: Job, versioned: bool) -> Iterator[JobItem]:
    client = get_cos_client()
    if not versioned:
        for obj in client.iter_objects(Bucket=job.bucket, Prefix=job.prefix):
            yield JobItem(key=obj["Key"], size=int(obj.get("Size") or 0))
        return
    for entry in client.iter_object_versions(Bucket=job.bucket, Prefix=job.prefix):
        marker = bool(entry.get("IsDeleteMarker"))
        yield JobItem(
            key=entry["Key"],
            version_id=str(entry.get("VersionId") or ""),
            size=0 if marker else int(entry.get("Size") or 0),
            current=entry.get("IsLatest") == "true" and not marker,
        )


def _is_versioned(bucket: str) -> bool:
    status = get_cos_client().get_bucket_versioning(Bucket=bucket).get("Status")
    return status in ("Enabled", "Suspended")


def _plan(job: Job) -> None:
    versioned = _is_versioned(job.bucket)
    JobItem.objects.filter(job=job).delete()  # a redone dry run starts from scratch
    batch: list[JobItem] = []
    for seq, item in enumerate(_listing(job, versioned)):
        item.job, item.seq = job, seq
        batch.append(item)
        if len(batch) == BATCH:
            JobItem.objects.bulk_create(batch)
            batch = []
            if not job_heartbeat(job.pk, done=seq + 1):
                return  # cancelled
    JobItem.objects.bulk_create(batch)
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.PENDING,
        done=0,
        params={**job.params, "phase": "confirm", "versioned": versioned},
        result=_plan_summary(job.pk, versioned),
    )


def _plan_summary(job_id: int, versioned: bool) -> dict[str, Any]:
    def counts(q: Q) -> dict[str, int]:
        agg = JobItem.objects.filter(q, job_id=job_id).aggregate(n=Count("id"), b=Sum("size"))
        return {"objects": agg["n"] or 0, "bytes": agg["b"] or 0}

    summary: dict[str, Any] = {"current": counts(Q(current=True))}
    if versioned:
        summary["all"] = counts(Q())  # every version and delete marker
    return summary


# --- delete phase --------------------------------------------------------------------------------


def _window(job: Job, cursor: int) -> list[JobItem]:
    items = JobItem.objects.filter(job=job, seq__gt=cursor)
    if job.params.get("mode") == "current":
        items = items.filter(current=True)
    size = max(1, settings.CONSOLE_DELETE_PARALLEL) * BATCH
    return list(items.order_by("seq")[:size])


def _delete(job: Job) -> None:
    deadline = time.monotonic() + settings.CONSOLE_JOB_SLICE_SECONDS
    with_versions = job.params.get("mode") == "all"
    with ThreadPoolExecutor(max_workers=max(1, settings.CONSOLE_DELETE_PARALLEL)) as pool:
        while True:
            job.refresh_from_db()
            if job.state != JobState.RUNNING:
                return  # cancelled, or another worker took over
            cursor = int(job.cursor or -1)
            window = _window(job, cursor)
            if not window:
                _finish(job)
                return
            batches = [window[i : i + BATCH] for i in range(0, len(window), BATCH)]
            errors: dict[int, tuple[str, str]] = {}
            for result in pool.map(lambda b: _delete_batch(job, b, with_versions), batches):
                errors.update(result)
            if not _commit(job, window, errors):
                return
            if time.monotonic() > deadline and job_release(job.pk):
                job_dispatch(job)  # the next slice; the sweep covers a lost message
                return


def _delete_batch(
    job: Job, batch: list[JobItem], with_versions: bool
) -> dict[int, tuple[str, str]]:
    """One delete_objects call; returns {seq: (code, message)} for the keys COS refused."""
    errors: dict[int, tuple[str, str]] = {}
    allowed = []
    for item in batch:
        if any(item.key.startswith(p) for p in settings.CONSOLE_PROTECTED_PREFIXES):
            errors[item.seq] = ("Protected", "Under a protected prefix; not deleted.")
        else:
            allowed.append(item)
    objects = [
        {"Key": i.key, **({"VersionId": i.version_id} if with_versions and i.version_id else {})}
        for i in allowed
    ]
    if not objects:
        return errors
    result = get_cos_client().delete_objects(
        Bucket=job.bucket, Delete={"Quiet": "true", "Object": objects}
    )
    by_target = {(i.key, i.version_id if with_versions else ""): i.seq for i in allowed}
    for error in result.get("Error", []):
        target = (error.get("Key", ""), str(error.get("VersionId") or "") if with_versions else "")
        seq = by_target.get(target)
        if seq is not None:
            errors[seq] = (str(error.get("Code") or "Error"), str(error.get("Message") or ""))
    return errors


@transaction.atomic
def _commit(job: Job, window: list[JobItem], errors: dict[int, tuple[str, str]]) -> bool:
    """Advance the cursor past `window` once; False when someone else already moved it."""
    ok = [i for i in window if i.seq not in errors]
    updated = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, cursor=job.cursor).update(
        cursor=str(window[-1].seq),
        done=F("done") + len(ok),
        failed=F("failed") + len(errors),
        bytes_done=F("bytes_done") + sum(i.size for i in ok),
        heartbeat_at=timezone.now(),
    )
    if updated != 1:
        return False
    failed = [i for i in window if i.seq in errors]
    for item in failed:
        item.error_code, item.error_message = errors[item.seq]
    JobItem.objects.bulk_update(failed, ["error_code", "error_message"])
    return True


def _finish(job: Job) -> None:
    if job.failed == 0:
        state = JobState.SUCCEEDED
    elif job.done == 0:
        state = JobState.FAILED
    else:
        state = JobState.PARTIALLY_FAILED
    summary = {"deleted": job.done, "failed": job.failed, "bytes": job.bytes_done}
    if job_finish(job.pk, state=state, result={**job.result, **summary}):
        audit_record(
            user=job.user,
            action="job.delete.finish",
            bucket=job.bucket,
            key=job.prefix,
            outcome="ok" if state == JobState.SUCCEEDED else "error",
            detail=f"{job.done} deleted, {job.failed} failed",
        )
