"""The dry run of "make these private": which objects it would change, leave alone, or could not
make private (a bucket policy statement still exposes them), checked object by object.

Objects come from an audit's public set (filtered by reason and prefix) or from a prefix
listing; each chunk's items are committed with the cursor after it, so the dry run works in
slices and resumes where it stopped.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from objects_app.access.acl import Acl
from objects_app.access.policy import Policy
from objects_app.cos import CosClientError, CosServiceError
from objects_app.exposure import fix, scanner
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import items_add
from objects_app.jobs.kind import Continue, PlanReady, StepResult, Stopped
from objects_app.models import ExposureFinding, Job, JobItem
from objects_app.selectors.exposure import ReportFilter, filtered_findings
from objects_app.selectors.permissions import bucket_acl, bucket_policy

CHANGE, KEEP = "change", "keep"
CHUNK = 1000


def _audit_chunk(
    params: Any, marker: scanner.Marker
) -> tuple[list[scanner.Entry], scanner.Marker | None]:
    audit = Job.objects.get(pk=params.audit)
    rows = filtered_findings(audit, ReportFilter(show="public", reason=params.reason,
                                                 prefix=params.prefix))  # fmt: skip
    key, version = marker
    if key or version:
        rows = rows.filter(Q(key__gt=key) | Q(key=key, version_id__gt=version))
    chunk: list[ExposureFinding] = list(rows.order_by("key", "version_id")[:CHUNK])
    entries = [scanner.Entry(r.key, r.version_id, r.is_latest) for r in chunk]
    nxt = (chunk[-1].key, chunk[-1].version_id) if len(chunk) == CHUNK else None
    return entries, nxt


def _item(entry: scanner.Entry, outcome: fix.FixOutcome | None, error: str) -> JobItem:
    if outcome is None:
        return JobItem(key=entry.key, ref=entry.version_id, group=KEEP, reason_code="unreadable",
                       reason=error)  # fmt: skip
    code = {fix.STILL_PUBLIC: "still-public", fix.ALREADY_PRIVATE: "already-private"}.get(
        outcome.outcome, ""
    )
    group = CHANGE if outcome.changed else KEEP
    return JobItem(key=entry.key, ref=entry.version_id, group=group, reason_code=code,
                   reason=outcome.still_public)  # fmt: skip


def check(client: Any, bucket: str, entry: scanner.Entry, b_acl: Acl, policy: Policy,
          *, dry_run: bool) -> tuple[fix.FixOutcome | None, str]:  # fmt: skip
    try:
        return fix.make_private(client, bucket, entry, bucket_acl=b_acl, policy=policy,
                                dry_run=dry_run), ""  # fmt: skip
    except (CosServiceError, CosClientError) as exc:
        return None, scanner.error_text(exc)


def step_plan(run: JobRun, params: Any) -> StepResult:
    job = run.job
    b_acl, policy = bucket_acl(job.bucket), bucket_policy(job.bucket)
    marker: scanner.Marker = (job.listing_marker, job.listing_version_marker)
    with ThreadPoolExecutor(settings.CONSOLE_EXPOSURE_THREADS) as pool:
        while True:
            if params.audit is not None:
                entries, nxt = _audit_chunk(params, marker)
            else:
                entries, nxt = scanner.list_page(run.client, job.bucket, params.prefix, marker,
                                                 False)  # fmt: skip
            checked = pool.map(lambda e: check(run.client, job.bucket, e, b_acl, policy,
                                               dry_run=True), entries)  # fmt: skip
            items = [_item(e, *c) for e, c in zip(entries, checked, strict=True)]
            if not _commit(run, items, nxt):
                return Stopped()
            if nxt is None:
                return PlanReady(plan_summary(job.pk))
            marker = nxt
            if run.sliced():
                return Continue()


def _commit(run: JobRun, items: list[JobItem], nxt: scanner.Marker | None) -> bool:
    marker = nxt or ("", "")
    done = run.job.done + len(items)
    with transaction.atomic():
        if not run.beat(done=done, listing_marker=marker[0], listing_version_marker=marker[1]):
            return False
        items_add(run.job, items, first_seq=run.job.done)
    run.job.done = done
    return True


def plan_summary(job_id: int) -> dict[str, int]:
    counts = JobItem.objects.filter(job_id=job_id).values("group", "reason_code")
    summary = {"change": 0, "keep": 0, "still_public": 0, "already_private": 0, "unreadable": 0}
    for row in counts.annotate(n=Count("id")):
        summary[row["group"]] += row["n"]
        code = row["reason_code"].replace("-", "_")
        if code in summary:
            summary[code] += row["n"]
    return summary
