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

    def reads(entries: list[scanner.Entry]) -> list[Future[scanner.Finding]]:
        return scanner.submit_entries(entries, reader, pool, bucket_acl=b_acl, policy=policy)

    # No idle threads at page boundaries: the next listing page is fetched while this page's
    # ACLs are read, and the next page's reads start before this page is committed. Commits
    # stay one page at a time, in order, so a killed worker still redoes exactly one page.
    with ThreadPoolExecutor(threads) as pool, ThreadPoolExecutor(1) as lister:
        entries, nxt = listing((job.listing_marker, job.listing_version_marker)).result()
        pending = reads(entries)
        try:
            while True:
                following = listing(nxt) if nxt is not None else None
                found = [future.result() for future in pending]
                more = following is not None and not run.sliced()
                if more:
                    assert following is not None
                    next_entries, next_nxt = following.result()
                    pending = reads(next_entries)
                else:
                    pending = []
                if not _commit(run, len(entries), _rows(job.pk, found), nxt):
                    return Stopped()
                if nxt is None:
                    return NextPhase("finish")
                if not more:
                    return Continue()
                entries, nxt = next_entries, next_nxt
        finally:
            for future in pending:  # a slice ending early: reads are redone by the next one
                future.cancel()
