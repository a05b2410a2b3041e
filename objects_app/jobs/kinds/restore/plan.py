"""A campaign's dry run: list the folders it covers (keeping the archived classes asked for),
then HEAD every object once to give it its verdict: request it, follow it (already restoring),
already readable, or a reason to leave it alone. Nothing is requested here.

Both parts commit page by page (listing marker, judged count), so a killed worker resumes where
it was; a window judged twice is harmless (a HEAD changes nothing).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum

from objects_app.jobs.engine import JobRun
from objects_app.jobs.kind import Continue, PlanReady, StepResult, Stopped
from objects_app.jobs.kinds.restore.targets import reset_counters
from objects_app.models import Job
from objects_app.restore_models import RestoreState, RestoreTarget
from objects_app.services.restore_plan import ACTIONABLE, Judged, Verdict, head_and_judge

LIST_PAGE = 1000
JUDGE_WINDOW = 1000
STATE_OF = {
    Verdict.REQUEST: RestoreState.QUEUED,
    Verdict.IN_PROGRESS: RestoreState.IN_PROGRESS,
    Verdict.RESTORED: RestoreState.READY,
}


def step_plan(run: JobRun, params: Any) -> StepResult:
    if not run.job.plan.get("listed"):
        listed = _list_folders(run, params)
        if not isinstance(listed, bool):
            return listed  # sliced or stopped while listing
    return _judge(run)


# --- listing the folders ----------------------------------------------------------------------


def _list_folders(run: JobRun, params: Any) -> StepResult | bool:
    """Targets for every object of the wanted classes under each folder; True when done."""
    job = run.job
    index = int(job.listing_version_marker or 0)
    marker = job.listing_marker
    while index < len(params.prefixes):
        answer = run.client.list_objects(
            Bucket=job.bucket, Prefix=params.prefixes[index], Marker=marker, MaxKeys=LIST_PAGE
        )
        truncated = str(answer.get("IsTruncated", "false")).lower() == "true"
        marker = str(answer.get("NextMarker") or "") if truncated else ""
        if not marker:
            index += 1
        if not _store_page(run, params, answer.get("Contents") or [], index, marker):
            return Stopped()
        if run.sliced():
            return Continue()
    job.plan = {**job.plan, "listed": True}
    return True if run.beat(plan=job.plan) else Stopped()


def _store_page(run: JobRun, params: Any, contents: list[dict[str, Any]], index: int,
                marker: str) -> bool:  # fmt: skip
    job = run.job
    wanted = set(params.classes)
    keep = [item for item in contents if (item.get("StorageClass") or "STANDARD") in wanted]
    other = len(contents) - len(keep)
    with transaction.atomic():
        first = (RestoreTarget.objects.filter(job=job).aggregate(m=Max("seq"))["m"] or 0) + 1
        chosen = _already_there(job, keep) if params.source == "selection" else {}
        RestoreTarget.objects.bulk_create(
            _listed_target(job, first + n, item, chosen) for n, item in enumerate(keep)
        )
        job.plan = {**job.plan, "other_classes": int(job.plan.get("other_classes", 0)) + other}
        if not run.beat(plan=job.plan, listing_marker=marker, listing_version_marker=str(index)):
            transaction.set_rollback(True)
            return False
    return True


def _already_there(job: Job, items: list[dict[str, Any]]) -> dict[str, int]:
    """Keys of this page the user also ticked one by one (or another ticked folder holds):
    key -> its line. Only selections mix sources, and they are small."""
    keys = [str(item["Key"]) for item in items]
    rows = RestoreTarget.objects.filter(job=job, key__in=keys).values_list("key", "seq")
    return dict(rows)


def _listed_target(
    job: Job, seq: int, item: dict[str, Any], chosen: dict[str, int]
) -> RestoreTarget:
    key = str(item["Key"])
    target = RestoreTarget(
        job=job, seq=seq, key=key, storage_class=str(item.get("StorageClass") or ""),
        size=int(item.get("Size") or 0),
    )  # fmt: skip
    if key in chosen:
        target.verdict, target.state = Verdict.DUPLICATE, RestoreState.SKIPPED
        target.detail = str(chosen[key])
    return target


# --- judging each object by its HEAD -------------------------------------------------------------


def _judge(run: JobRun) -> StepResult:
    job = run.job
    threads = max(1, settings.CONSOLE_RESTORE_THREADS)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            window = list(
                RestoreTarget.objects.filter(job=job, verdict="").order_by("seq")[:JUDGE_WINDOW]
            )
            if not window:
                return _ready(run)
            answers = list(
                pool.map(lambda t: head_and_judge(run.client, job.bucket, t.key), window)
            )
            for target, judged in zip(window, answers, strict=True):
                _apply(target, judged)
            if not _commit_judged(run, window):
                return Stopped()
            if run.sliced():
                return Continue()


def _apply(target: RestoreTarget, judged: Judged) -> None:
    target.verdict, target.detail = judged.verdict, judged.detail[:128]
    if judged.storage_class:
        target.storage_class, target.size = judged.storage_class, judged.size
    target.expiry = judged.expiry
    target.state = STATE_OF.get(Verdict(judged.verdict), RestoreState.SKIPPED)


def _commit_judged(run: JobRun, window: list[RestoreTarget]) -> bool:
    fields = ["verdict", "detail", "storage_class", "size", "expiry", "state"]
    with transaction.atomic():
        judged = RestoreTarget.objects.filter(job=run.job).exclude(verdict="").count()
        RestoreTarget.objects.bulk_update(window, fields, batch_size=500)
        if not run.beat(done=judged + len(window)):
            transaction.set_rollback(True)
            return False
    return True


def _ready(run: JobRun) -> StepResult:
    job = run.job
    reset_counters(job.pk)
    return PlanReady({**job.plan, **plan_summary(job.pk)})


def plan_summary(job_id: int) -> dict[str, Any]:
    """Counts and bytes per archived class and verdict, and how many lines were left alone."""
    rows = (
        RestoreTarget.objects.filter(job_id=job_id)
        .values_list("verdict", "storage_class")
        .annotate(n=Count("id"), size=Sum("size"))
    )
    classes: dict[str, dict[str, dict[str, int]]] = {}
    verdicts: dict[str, int] = {}
    for verdict, storage_class, n, size in rows:
        verdicts[verdict] = verdicts.get(verdict, 0) + n
        if verdict in ACTIONABLE:
            per = classes.setdefault(storage_class, {})
            per[verdict] = {"objects": n, "bytes": int(size or 0)}
    actionable = sum(n for verdict, n in verdicts.items() if verdict in ACTIONABLE)
    to_request = sum(per.get(Verdict.REQUEST, {}).get("bytes", 0) for per in classes.values())
    return {"classes": classes, "verdicts": verdicts, "actionable": actionable,
            "request_bytes": to_request, "lines": sum(verdicts.values())}  # fmt: skip
