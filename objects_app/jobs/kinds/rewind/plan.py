"""The rewind's dry run: for each key under the prefix, what brings back the state it had at
time T (history.RewindPlanner): make version V current, add a delete marker, or nothing.

Each key becomes one item: `group` is the action, `ref` the version to copy (followed by its
storage class when that is not STANDARD: the copy keeps it), and `reason_code` the id of the
key's latest entry when the plan looked (the run checks it is still the latest before acting,
so a write that raced the rewind stays current).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_noop

from objects_app.history import COPY, MARKER, NOTHING, RewindPlanner, RewindStep
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import items_counts
from objects_app.jobs.kind import StepResult
from objects_app.jobs.kinds.history_walk import Planner, plan_walk
from objects_app.models import Job, JobItem

ACTIONS = (COPY, MARKER, NOTHING)
# What the report says is done for each key (fixed texts: shown in the reader's language).
WHAT = {
    COPY: gettext_noop("Make this version current again (copied onto the key)."),
    MARKER: gettext_noop("Add a delete marker (the key did not exist then)."),
    NOTHING: gettext_noop("Nothing to do: it is as it was then."),
}


def step_plan(run: JobRun, params: Any) -> StepResult:
    at = datetime.fromisoformat(params.at)

    def planner(carry: dict[str, Any] | None) -> Planner:
        return RewindPlanner(at, carry)

    def finish(current: Planner) -> list[Any]:
        assert isinstance(current, RewindPlanner)
        return current.finish()

    return plan_walk(run, params.prefix, planner, _items, _summary, finish=finish)


def _items(steps: list[RewindStep]) -> list[JobItem]:
    return [
        JobItem(
            key=s.key,
            ref=version_ref(s.version_id, s.storage_class),
            size=s.size,
            group=s.action,
            reason_code=s.seen_id[:64],
            reason=WHAT.get(s.action, ""),
        )
        for s in steps
    ]


def version_ref(version_id: str, storage_class: str) -> str:
    """What the report shows as the version: its id, and its class unless STANDARD (version
    ids never hold a space)."""
    if storage_class in ("", "STANDARD"):
        return version_id
    return f"{version_id} {storage_class}"


def parse_ref(ref: str) -> tuple[str, str]:
    version_id, _space, storage_class = ref.partition(" ")
    return version_id, storage_class or "STANDARD"


def _summary(job: Job, plan: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"at": job.params["at"]}
    for action in ACTIONS:
        summary[action] = items_counts(job.pk, Q(group=action))
    return summary
