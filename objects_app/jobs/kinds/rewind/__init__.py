"""Rewind a folder to a point in time T (issue 12): a dry run decides per key (make version V
current, add a delete marker, or nothing), the user confirms, then the run copies versions back
and adds delete markers. It never deletes a version: its page offers "undo", a rewind to the
moment the run started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from objects_app.errors import ObjectsError
from objects_app.history import COPY, MARKER, NOTHING
from objects_app.jobs import display, registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult
from objects_app.jobs.kind import Action, JobParams, Kind, Phase, ProgressView, StepResult
from objects_app.jobs.kinds.rewind import plan, run
from objects_app.jobs.task import job_task
from objects_app.models import ItemOutcome, Job, JobItem, JobState


@dataclass(frozen=True)
class RewindParams(JobParams):
    prefix: str
    at: str  # ISO 8601, UTC, to the microsecond
    undo_of: int | None = None  # the rewind this one undoes


rewind_task = job_task("rewind")


def when_text(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S UTC")


@registry.register
class Rewind(Kind):
    name = "rewind"
    label = gettext_lazy("Rewind a folder")
    Params = RewindParams
    phases = (Phase("plan", gettext_lazy("Dry run")), Phase("rewind", gettext_lazy("Rewinding")))
    run_phase = "rewind"
    confirm = True
    changes_objects = True
    max_live_per_user = 5
    task = rewind_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("prefix", ""))

    def step_plan(self, run_: JobRun) -> StepResult:
        return plan.step_plan(run_, self.params(run_.job))

    def step_rewind(self, run_: JobRun) -> StepResult:
        return run.step_rewind(run_)

    def reconcile(self, run_: JobRun, items: list[Item]) -> dict[int, ItemResult]:
        return run.reconcile(run_, items)

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        if choice != "run":
            raise ObjectsError(_("Choose what to do with this dry run."))
        unchanged = JobItem.objects.filter(job=job, group=NOTHING)
        reason = _("Already as it was at %(at)s; left alone.") % {"at": when_text(job.plan["at"])}
        skipped = unchanged.update(
            outcome=ItemOutcome.SKIPPED, reason_code="Unchanged", reason=reason
        )
        total = sum(int(job.plan[a]["objects"]) for a in plan.ACTIONS)
        return {"choice": choice, "total": total, "bytes_total": job.plan[COPY]["bytes"],
                "skipped": skipped}  # fmt: skip

    def progress(self, job: Job) -> ProgressView:
        if job.phase == "plan":
            return _plan_view(job)
        return _run_view(job)

    def notice(self, job: Job) -> str:
        if job.state == JobState.SUCCEEDED:
            return _("%(prefix)s is back as it was at %(at)s.") % {
                "prefix": self.subject(job) or "/", "at": when_text(job.params["at"])
            }  # fmt: skip
        return super().notice(job)


def _plan_text(job: Job) -> str:
    counts = {a: int(job.plan[a]["objects"]) for a in plan.ACTIONS}
    return _(
        "To bring it back as it was at %(at)s: make an older version current for %(copy)s, "
        "add a delete marker for %(marker)s (they did not exist then), nothing for %(nothing)s. "
        "No version is deleted."
    ) % {
        "at": when_text(job.plan["at"]), "copy": display.objects(counts[COPY]),
        "marker": display.objects(counts[MARKER]), "nothing": display.objects(counts[NOTHING]),
    }  # fmt: skip


def _plan_view(job: Job) -> ProgressView:
    if job.state == JobState.AWAITING_CONFIRM:
        n = int(job.plan[COPY]["objects"]) + int(job.plan[MARKER]["objects"])
        label = ngettext("Rewind %(n)s object", "Rewind %(n)s objects", n) % {
            "n": display.number(n)
        }
        url = reverse("objects:rewind-confirm", args=[job.pk])
        action = Action(url, label, (("choice", "run"),), danger=True, disabled=not n,
                        name="rewind-run")  # fmt: skip
        return ProgressView(status=_("Dry run done: confirm below"), note=_plan_text(job),
                            actions=[action])  # fmt: skip
    planned = ngettext("%(n)s key looked at", "%(n)s keys looked at", job.done) % {
        "n": display.number(job.done)
    }
    if job.is_terminal:
        status = _("%(state)s during the dry run") % {"state": display.state_label(job)}
        return ProgressView(status=status, lines=[planned])
    return ProgressView(status=_("Dry run: reading the folder's history…"), lines=[planned],
                        poll_seconds=display.poll_seconds(job))  # fmt: skip


def _run_view(job: Job) -> ProgressView:
    handled = job.done + job.failed + job.skipped
    lines = [
        _("%(done)s rewound, %(skipped)s left as they were, %(failed)s failed of %(total)s") % {
            "done": display.number(job.done), "skipped": display.number(job.skipped),
            "failed": display.number(job.failed), "total": display.number(job.total),
        }
    ]  # fmt: skip
    eta = display.eta(job, handled, job.total)
    if eta:
        lines.append(eta)
    actions = []
    started = job.plan.get("run_started")
    if job.is_terminal and started and job.done:
        label = _("Undo: rewind to %(at)s, when this rewind started") % {"at": when_text(started)}
        url = reverse("objects:rewind-undo", args=[job.pk])
        actions.append(Action(url, label, name="rewind-undo", swap="afterend"))
    return ProgressView(
        status=display.state_label(job), percent=display.percent(handled, job.total), lines=lines,
        actions=actions, poll_seconds=display.poll_seconds(job),
        note=_plan_text(job) if job.plan.get(COPY) else "",
    )  # fmt: skip
