"""The dry run shared by the version-history jobs (issue 12): walk every version and delete
marker under a prefix, newest first per key, feeding a planner from objects_app/history.py.

Each page's planned items, the listing markers and the planner's carry (its state inside the
key the page ended in) are committed together, so a killed worker resumes at the page it was
on, mid-key, without planning a key twice.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction

from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, Results, items_add
from objects_app.jobs.kind import Continue, PlanReady, StepResult, Stopped
from objects_app.models import Job, JobItem
from objects_app.selectors.browse import parse_cos_time
from objects_app.selectors.versions import VersionRow, merged_rows

PAGE = 1000


class Planner(Protocol):
    def feed(self, rows: list[VersionRow]) -> list[Any]: ...

    def carry(self) -> dict[str, Any]: ...


def versions_page(
    client: Any, bucket: str, prefix: str, markers: tuple[str, str], max_keys: int = PAGE
) -> tuple[list[VersionRow], tuple[str, str] | None]:
    """One listing page after `markers` (key, version id) and the markers after it (None: end)."""
    answer = client.list_objects_versions(
        Bucket=bucket, Prefix=prefix, KeyMarker=markers[0], VersionIdMarker=markers[1],
        MaxKeys=max_keys,
    )  # fmt: skip
    rows = merged_rows(answer)
    truncated = str(answer.get("IsTruncated", "false")).lower() == "true"
    if not truncated or not answer.get("NextKeyMarker"):
        return rows, None
    return rows, (str(answer["NextKeyMarker"]), str(answer.get("NextVersionIdMarker") or ""))


def plan_walk(
    run: JobRun,
    prefix: str,
    planner: Callable[[dict[str, Any] | None], Planner],
    to_items: Callable[[list[Any]], list[JobItem]],
    summary: Callable[[Job, dict[str, Any]], dict[str, Any]],
    finish: Callable[[Planner], list[Any]] | None = None,
) -> StepResult:
    """Plan page by page from the job's markers; PlanReady(summary) at the end."""
    job = run.job
    markers = (job.listing_marker, job.listing_version_marker)
    while True:
        rows, after = versions_page(run.client, job.bucket, prefix, markers)
        current = planner(job.plan.get("carry"))
        decided = current.feed(rows)
        if after is None and finish is not None:
            decided += finish(current)
        plan = {**job.plan, "carry": current.carry()}
        if not _commit_page(run, to_items(decided), after or markers, plan):
            return Stopped()
        if after is None:
            return PlanReady(summary(job, plan))
        markers = after
        if run.sliced():
            return Continue()


def _commit_page(
    run: JobRun, items: list[JobItem], markers: tuple[str, str], plan: dict[str, Any]
) -> bool:
    job = run.job
    with transaction.atomic():
        listed = Job.objects.values_list("done", flat=True).get(pk=job.pk)
        items_add(job, items, first_seq=listed)
        if not run.beat(done=listed + len(items), listing_marker=markers[0],
                        listing_version_marker=markers[1], plan=plan):  # fmt: skip
            transaction.set_rollback(True)
            return False
    job.done, job.plan = listed + len(items), plan
    job.listing_marker, job.listing_version_marker = markers
    return True


def current_stamps(
    client: Any, bucket: str, prefix: str, after_key: str, last_key: str, max_keys: int = PAGE
) -> dict[str, datetime]:
    """key -> LastModified of its current version, for the keys after `after_key` up to
    `last_key` that have one (a key whose latest entry is a delete marker is not listed); read
    from the object listing, one request per `max_keys` keys."""
    stamps: dict[str, datetime] = {}
    marker = after_key
    while True:
        page = client.list_objects(Bucket=bucket, Prefix=prefix, Marker=marker, MaxKeys=max_keys)
        contents = page.get("Contents") or []
        for entry in contents:
            key = str(entry.get("Key") or "")
            if key > last_key:
                return stamps
            stamp = parse_cos_time(entry.get("LastModified"))
            if stamp is not None:
                stamps[key] = stamp
        if str(page.get("IsTruncated", "false")).lower() != "true" or not contents:
            return stamps
        marker = str(page.get("NextMarker") or contents[-1]["Key"])


def key_before(job_id: int, first: Item) -> str:
    """The last planned key before `first`'s key ("" if none): a listing that must include
    `first`'s key starts after it."""
    before = (
        JobItem.objects.filter(job_id=job_id, seq__lt=first.seq, key__lt=first.key)
        .order_by("-seq")
        .values_list("key", flat=True)
        .first()
    )
    return before or ""


def listing_start(window: list[Item], start: int, before: str) -> str:
    """Where a listing for the items from window[start] on starts (after this key): the last
    key before window[start]'s among the window's items (in key order), else `before`."""
    first = window[start].key
    for item in reversed(window[:start]):
        if item.key < first:
            return item.key
    return before


def checked_chunks(
    run: JobRun,
    pool: ThreadPoolExecutor,
    window: list[Item],
    size: int,
    work: Callable[[list[Item], str], Results],
) -> Callable[[], Results]:
    """Start `work(chunk, after)` on the pool for every `size` items of the window, `after`
    being the key a listing that covers the chunk starts after; return the wait for all their
    results (items.walk reads the next window meanwhile)."""
    before = key_before(run.job.pk, window[0])
    started = [
        pool.submit(work, window[i : i + size], listing_start(window, i, before))
        for i in range(0, len(window), size)
    ]
    return lambda: {seq: r for f in started for seq, r in f.result().items()}
