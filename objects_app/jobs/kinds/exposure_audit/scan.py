"""The scan phase: page by page, every ACL read and judged; public and unknown objects stored.

A page's findings and the listing marker after it are committed in one transaction, so a
worker killed mid-page redoes exactly that page (and the unique constraint refuses doubles).
The last page also moves the job to its finish phase in that same commit: a run killed before
the engine applies NextPhase resumes at the finish, never at the start of the listing.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import transaction

from objects_app.exposure import scanner
from objects_app.jobs.engine import JobRun
from objects_app.jobs.kind import Continue, NextPhase, StepResult, Stopped
from objects_app.models import ExposureFinding, Job
from objects_app.selectors.permissions import bucket_acl, bucket_policy


def _rows(job_id: int, findings: list[scanner.Finding]) -> list[ExposureFinding]:
    return [
        ExposureFinding(
            job_id=job_id,
            key=f.entry.key,
            version_id=f.entry.version_id,
            is_latest=f.entry.is_latest,
            status=f.status,
            reason=f.reason,
            detail=f.detail[:2000],
        )  # fmt: skip
        for f in findings
        if f.status != scanner.PRIVATE
    ]


def _live(job: Job, rows: list[ExposureFinding]) -> dict[str, Any]:
    """The running totals (shown while the scan goes on), committed with the page."""
    live = dict((job.result or {}).get("live") or {"public": 0, "unknown": 0, "by_reason": {}})
    by_reason = dict(live["by_reason"])
    for row in rows:
        live[row.status] = live.get(row.status, 0) + 1
        if row.status == ExposureFinding.Status.PUBLIC:
            by_reason[row.reason] = by_reason.get(row.reason, 0) + 1
    live["by_reason"] = by_reason
    return {**(job.result or {}), "live": live}


def _commit(run: JobRun, scanned: int, rows: list[ExposureFinding],
            nxt: scanner.Marker | None) -> bool:  # fmt: skip
    marker = nxt or ("", "")
    done = run.job.done + scanned
    result = _live(run.job, rows)
    fields: dict[str, object] = {"listing_marker": marker[0], "listing_version_marker": marker[1],
                                 "result": result}  # fmt: skip
    if nxt is None:
        fields["phase"] = "finish"
    with transaction.atomic():
        if not run.beat(done=done, **fields):
            return False
        ExposureFinding.objects.bulk_create(rows, ignore_conflicts=True)
    run.job.done, run.job.result = done, result
    return True


def step_scan(run: JobRun, *, prefix: str, versions: bool) -> StepResult:
    job = run.job
    b_acl, policy = bucket_acl(job.bucket), bucket_policy(job.bucket)
    threads = settings.CONSOLE_EXPOSURE_THREADS
    limiter = scanner.RateLimiter(settings.CONSOLE_EXPOSURE_RATE)
    reader = scanner.AclReader(run.client, job.bucket, threads=threads, limiter=limiter)

    def listing(marker: scanner.Marker) -> Future[tuple[list[scanner.Entry], Any]]:
        return lister.submit(scanner.list_page, run.client, job.bucket, prefix, marker, versions)

    # The next listing page is fetched while the ACLs of this one are read: no idle threads
    # at page boundaries.
    with ThreadPoolExecutor(threads) as pool, ThreadPoolExecutor(1) as lister:
        ahead = listing((job.listing_marker, job.listing_version_marker))
        while True:
            entries, nxt = ahead.result()
            if nxt is not None:
                ahead = listing(nxt)
            found = scanner.scan_entries(entries, reader, pool, bucket_acl=b_acl, policy=policy)
            if not _commit(run, len(entries), _rows(job.pk, found), nxt):
                return Stopped()
            if nxt is None:
                return NextPhase("finish")
            if run.sliced():
                return Continue()
