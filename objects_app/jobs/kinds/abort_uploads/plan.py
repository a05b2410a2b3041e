"""The dry run of aborting unfinished multipart uploads: which uploads, how many bytes their
parts hold (ListParts), and which of them a running console upload job is still using.

The source is either the bucket's listing (ListMultipartUploads, paged by key and upload-id
marker, filtered by prefix and age) or the user's selection; both are walked in (key, upload
id) order, one page per commit, so a killed worker resumes at the page it was on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from objects_app.cos import CosServiceError
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import items_add, items_counts
from objects_app.jobs.kind import Continue, PlanReady, StepResult, Stopped
from objects_app.models import TERMINAL_STATES, Job, JobItem, UploadSession

PAGE = 500
OWNED = "owned"  # JobItem.group of an upload a live console upload job is using


def step_plan(run: JobRun, params: Any) -> StepResult:
    job = run.job
    if "cutoff" not in job.plan:
        cutoff = _cutoff(params.older_than_days)
        job.plan = {"cutoff": cutoff.isoformat() if cutoff else ""}
        if not run.beat(plan=job.plan):
            return Stopped()
    cutoff = parse_datetime(job.plan["cutoff"]) if job.plan["cutoff"] else None
    markers = (job.listing_marker, job.listing_version_marker)
    while True:
        uploads, markers_next = _source_page(run, params, markers)
        rows = [u for u in uploads if cutoff is None or _initiated(u) < cutoff]
        items = _measured(run, rows)
        if not _commit_page(run, items, markers_next or _last(uploads, markers)):
            return Stopped()
        if markers_next is None:
            return PlanReady(plan_summary(job.pk, job.plan["cutoff"]))
        markers = markers_next
        if run.sliced():
            return Continue()


def plan_summary(job_id: int, cutoff: str) -> dict[str, Any]:
    return {
        "cutoff": cutoff,
        "free": items_counts(job_id, ~Q(group=OWNED)),
        "all": items_counts(job_id),
        "owned": items_counts(job_id, Q(group=OWNED))["objects"],
    }


def _cutoff(days: int | None) -> datetime | None:
    if days is None:
        return None
    return datetime.now(UTC) - timedelta(days=days)


def _initiated(upload: dict[str, Any]) -> datetime:
    value = parse_datetime(str(upload.get("Initiated") or ""))
    return value or datetime.now(UTC)


def _last(uploads: list[dict[str, Any]], markers: tuple[str, str]) -> tuple[str, str]:
    if uploads:
        return str(uploads[-1]["Key"]), str(uploads[-1]["UploadId"])
    return markers


def _source_page(
    run: JobRun, params: Any, markers: tuple[str, str]
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """The next page of uploads after `markers`, and the markers after it (None: the end)."""
    if params.selection:
        chosen = sorted((k, u) for k, u in params.selection)
        after = [pair for pair in chosen if not markers[0] or pair > markers]
        page = [{"Key": k, "UploadId": u} for k, u in after[:PAGE]]
        return page, (page[-1]["Key"], page[-1]["UploadId"]) if len(after) > PAGE else None
    answer = run.client.list_multipart_uploads(
        Bucket=run.job.bucket, Prefix=params.prefix, KeyMarker=markers[0],
        UploadIdMarker=markers[1], MaxUploads=PAGE,
    )  # fmt: skip
    uploads = answer.get("Upload", [])
    if answer.get("IsTruncated") != "true" or not answer.get("NextKeyMarker"):
        return uploads, None
    return uploads, (str(answer["NextKeyMarker"]), str(answer.get("NextUploadIdMarker") or ""))


def owners(upload_ids: list[str]) -> dict[str, int]:
    """upload id -> the live console upload job using it."""
    sessions = UploadSession.objects.filter(upload_id__in=upload_ids).exclude(
        job__state__in=TERMINAL_STATES
    )
    return dict(sessions.values_list("upload_id", "job_id"))


def _measured(run: JobRun, uploads: list[dict[str, Any]]) -> list[JobItem]:
    """Items with the bytes their parts hold; uploads already gone are left out."""
    owned = owners([str(u["UploadId"]) for u in uploads])
    with ThreadPoolExecutor(max_workers=max(1, settings.CONSOLE_ABORT_PARALLEL)) as pool:
        sizes = list(pool.map(lambda u: parts_size(run.client, run.job.bucket, u), uploads))
    items = []
    for upload, size in zip(uploads, sizes, strict=True):
        if size is None:
            continue
        upload_id = str(upload["UploadId"])
        owner = owned.get(upload_id)
        items.append(JobItem(
            key=str(upload["Key"]), ref=upload_id, size=size,
            group=OWNED if owner else "", reason=f"#{owner}" if owner else "",
        ))  # fmt: skip
    return items


def parts_size(client: Any, bucket: str, upload: dict[str, Any]) -> int | None:
    """Bytes held by an upload's parts; None when the upload no longer exists."""
    try:
        return sum(
            int(p.get("Size") or 0)
            for p in client.iter_parts(bucket, str(upload["Key"]), str(upload["UploadId"]))
        )
    except CosServiceError as exc:
        if exc.get_error_code() == "NoSuchUpload":
            return None
        raise


def _commit_page(run: JobRun, items: list[JobItem], markers: tuple[str, str]) -> bool:
    job = run.job
    with transaction.atomic():
        listed = Job.objects.values_list("done", flat=True).get(pk=job.pk)
        items_add(job, items, first_seq=listed)
        if not run.beat(done=listed + len(items), listing_marker=markers[0],
                        listing_version_marker=markers[1]):  # fmt: skip
            transaction.set_rollback(True)
            return False
    job.done = listed + len(items)
    return True
