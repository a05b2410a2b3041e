"""The batch delete's dry run: size the selected keys, list what is under the chosen prefixes.

Selected keys are items from the start (numbered 0..n-1); the dry run HEADs them batch by batch
for their sizes, so the plan states the bytes it frees, and drops those already gone. Then,
page by page, each page's items and the listing position are committed together, so a killed
worker resumes at the page it was on. Prefixes are listed in order; because they are sorted and
none contains another, the last key listed says which prefix the walk is in.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import transaction

from objects_app.cos import CosServiceError
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import items_add, items_counts
from objects_app.jobs.kind import Continue, PlanReady, StepResult, Stopped
from objects_app.models import Job, JobItem

PAGE = 1000
SIZE_BATCH = 500  # selected keys HEADed per commit
CURRENT, OLDER = "current", "older"


class _Lost(Exception):
    """The run lost the job while committing a page (rolls the page back)."""


def step_plan(run: JobRun, prefixes: list[str]) -> StepResult:
    job = run.job
    if "versioned" not in job.plan:
        job.plan = {**job.plan, "versioned": _is_versioned(run, job.bucket)}
        if not run.beat(plan=job.plan):
            return Stopped()
    versioned = bool(job.plan["versioned"])
    try:
        if not _size_selected(run):
            return Continue()
    except _Lost:
        return Stopped()
    for prefix in _remaining(prefixes, job.listing_marker):
        key_marker = job.listing_marker if job.listing_marker.startswith(prefix) else ""
        version_marker = job.listing_version_marker if key_marker else ""
        while True:
            entries, next_markers = _page(run, prefix, key_marker, version_marker, versioned)
            try:
                _commit_page(run, entries, next_markers or _end_of(entries, key_marker))
            except _Lost:
                return Stopped()
            if next_markers is None:
                break
            key_marker, version_marker = next_markers
            if run.sliced():
                return Continue()
    summary = plan_summary(job.pk, versioned)
    if job.plan.get("gone"):
        summary["gone"] = job.plan["gone"]
    return PlanReady(summary)


def _size_selected(run: JobRun) -> bool:
    """HEAD the selected keys not sized yet, a batch per commit; True once all are.

    A key with no current object any more leaves the plan (counted as gone): there is nothing
    to delete. Chosen versions came with their sizes (see delete_selection_start). The position
    is in the plan, committed with each batch, so a resumed run goes on from it.
    """
    job = run.job
    selected = int(job.plan.get("selected") or 0)
    parallel = max(1, settings.CONSOLE_DELETE_PARALLEL) * 2
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        while (start := int(job.plan.get("sized") or 0)) < selected:
            end = min(selected, start + SIZE_BATCH)
            batch = list(JobItem.objects.filter(job=job, seq__gte=start, seq__lt=end, ref=""))
            sizes = list(pool.map(lambda item: _current_size(run, item.key), batch))
            plan = {**job.plan, "sized": end}
            with transaction.atomic():
                plan["gone"] = int(plan.get("gone") or 0) + _store_sizes(batch, sizes)
                if not run.beat(plan=plan):
                    raise _Lost
            job.plan = plan
            if end < selected and run.sliced():
                return False
    return True


def _current_size(run: JobRun, key: str) -> int | None:
    """The size of the key's current object; None when there is none."""
    try:
        headers = run.client.head_object(Bucket=run.job.bucket, Key=key)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return None
        raise
    return int(headers.get("Content-Length") or 0)


def _store_sizes(batch: list[JobItem], sizes: list[int | None]) -> int:
    """Record the sizes found; drop the items that were gone (returns how many)."""
    found, gone = [], []
    for item, size in zip(batch, sizes, strict=True):
        if size is None:
            gone.append(item.pk)
        else:
            item.size = size
            found.append(item)
    JobItem.objects.filter(pk__in=gone).delete()
    JobItem.objects.bulk_update(found, ["size"])
    return len(gone)


def plan_summary(job_id: int, versioned: bool) -> dict[str, Any]:
    from django.db.models import Q

    summary: dict[str, Any] = {
        "versioned": versioned,
        CURRENT: items_counts(job_id, Q(group=CURRENT)),
    }
    if versioned:
        summary["all"] = items_counts(job_id)  # every version and delete marker
    return summary


def _remaining(prefixes: list[str], marker: str) -> list[str]:
    if not marker:
        return prefixes
    return [p for p in prefixes if marker.startswith(p) or p > marker]


def _end_of(entries: list[JobItem], key_marker: str) -> tuple[str, str]:
    # The prefix is finished: remember its last key, so a resume moves on to the next prefix.
    if entries:
        return entries[-1].key, entries[-1].ref
    return key_marker, ""


def _is_versioned(run: JobRun, bucket: str) -> bool:
    status = run.client.get_bucket_versioning(Bucket=bucket).get("Status")
    return status in ("Enabled", "Suspended")


def _page(
    run: JobRun, prefix: str, key_marker: str, version_marker: str, versioned: bool
) -> tuple[list[JobItem], tuple[str, str] | None]:
    job = run.job
    if not versioned:
        page = run.client.list_objects(
            Bucket=job.bucket, Prefix=prefix, Marker=key_marker, MaxKeys=PAGE
        )
        contents = page.get("Contents", [])
        items = [JobItem(key=o["Key"], size=int(o.get("Size") or 0), group=CURRENT)
                 for o in contents]  # fmt: skip
        if page.get("IsTruncated") != "true" or not contents:
            return items, None
        return items, (str(page.get("NextMarker") or contents[-1]["Key"]), "")
    page = run.client.list_objects_versions(
        Bucket=job.bucket, Prefix=prefix, KeyMarker=key_marker,
        VersionIdMarker=version_marker, MaxKeys=PAGE,
    )  # fmt: skip
    items = [_version_item(v, marker=False) for v in page.get("Version", [])]
    items += [_version_item(m, marker=True) for m in page.get("DeleteMarker", [])]
    if page.get("IsTruncated") != "true" or not page.get("NextKeyMarker"):
        return items, None
    return items, (str(page["NextKeyMarker"]), str(page.get("NextVersionIdMarker") or ""))


def _version_item(entry: dict[str, Any], *, marker: bool) -> JobItem:
    current = entry.get("IsLatest") == "true" and not marker
    return JobItem(
        key=entry["Key"],
        ref=str(entry.get("VersionId") or ""),
        size=0 if marker else int(entry.get("Size") or 0),
        group=CURRENT if current else OLDER,
    )


def _commit_page(run: JobRun, items: list[JobItem], markers: tuple[str, str]) -> None:
    job = run.job
    with transaction.atomic():
        listed = Job.objects.values_list("done", flat=True).get(pk=job.pk)
        items_add(job, items, first_seq=listed)
        if not run.beat(
            done=listed + len(items), listing_marker=markers[0], listing_version_marker=markers[1]
        ):
            raise _Lost
    job.done, job.listing_marker, job.listing_version_marker = (
        listed + len(items), markers[0], markers[1],
    )  # fmt: skip
