"""The dry run of deleting noncurrent versions: which versions under the prefix are beyond
the newest K noncurrent ones of their key and/or noncurrent for more than N days
(history.NoncurrentPlanner). A key's current version (or its latest delete marker) is never
chosen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from objects_app.history import Doomed, NoncurrentPlanner, cutoff_for
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import items_counts
from objects_app.jobs.kind import StepResult, Stopped
from objects_app.jobs.kinds.history_walk import Planner, plan_walk
from objects_app.models import Job, JobItem

DELETED_KEY = "deleted"  # JobItem.group: the key's latest entry is a delete marker


def step_plan(run: JobRun, params: Any) -> StepResult:
    job = run.job
    if "cutoff" not in job.plan:
        cutoff = cutoff_for(params.older_than_days, timezone.now())
        job.plan = {"cutoff": cutoff.isoformat() if cutoff else ""}
        if not run.beat(plan=job.plan):
            return Stopped()
    cutoff = datetime.fromisoformat(job.plan["cutoff"]) if job.plan["cutoff"] else None

    def planner(carry: dict[str, Any] | None) -> Planner:
        return NoncurrentPlanner(params.keep, cutoff, carry)

    return plan_walk(run, params.prefix, planner, _items, _summary)


def _items(doomed: list[Doomed]) -> list[JobItem]:
    # reason_code: when the key's latest entry was written; the run keeps the versions of a
    # key whose current version is older than that (its newer versions were deleted meanwhile).
    return [
        JobItem(
            key=d.key,
            ref=d.version_id,
            size=d.size,
            group=DELETED_KEY if d.key_deleted else "",
            reason_code=d.head.isoformat() if d.head else "",
        )
        for d in doomed
    ]


def _summary(job: Job, plan: dict[str, Any]) -> dict[str, Any]:
    return {
        "cutoff": plan["cutoff"],
        "doomed": items_counts(job.pk),
        "of_deleted_keys": items_counts(job.pk, Q(group=DELETED_KEY)),
        "kept": int((plan.get("carry") or {}).get("kept") or 0),
    }
