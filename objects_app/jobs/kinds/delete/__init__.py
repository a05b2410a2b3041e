"""Batch delete: a dry run lists what would go (counts and bytes), the user confirms current
objects only or every version, then the run deletes exactly that plan (plan.py, run.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from objects_app.errors import ObjectsError
from objects_app.jobs import display, registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult
from objects_app.jobs.kind import Action, JobParams, Kind, Phase, ProgressView, StepResult
from objects_app.jobs.kinds.delete import plan, run
from objects_app.jobs.task import job_task
from objects_app.models import Job, JobItem, JobState

CHOICES = ("current", "all")


@dataclass(frozen=True)
class DeleteParams(JobParams):
    # Everything under these (sorted, none inside another); the selected keys are items already.
    prefixes: list[str]
    retry_of: int | None = None


batch_delete_task = job_task("batch_delete")


@registry.register
class BatchDelete(Kind):
    name = "delete"
    label = gettext_lazy("Batch delete")
    Params = DeleteParams
    phases = (Phase("plan", gettext_lazy("Dry run")), Phase("delete", gettext_lazy("Deleting")))
    run_phase = "delete"
    max_live_per_user = 10
    confirm = True
    changes_objects = True
    task = batch_delete_task

    def subject(self, job: Job) -> str:
        prefixes = job.params.get("prefixes") or []
        return str(prefixes[0]) if len(prefixes) == 1 else ""

    def step_plan(self, run_: JobRun) -> StepResult:
        return plan.step_plan(run_, self.params(run_.job).prefixes)

    def step_delete(self, run_: JobRun) -> StepResult:
        return run.step_delete(run_)

    def reconcile(self, run_: JobRun, items: list[Item]) -> dict[int, ItemResult]:
        return run.reconcile(run_, items)

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        if choice not in CHOICES or (choice == "all" and "all" not in job.plan):
            raise ObjectsError(_("Choose what to delete."))
        if choice == "current":
            # Older versions and delete markers stay: they are not part of this job.
            JobItem.objects.filter(job=job).filter(~Q(group=plan.CURRENT)).delete()
        counts = job.plan[choice]
        return {"choice": choice, "total": counts["objects"], "bytes_total": counts["bytes"]}

    def confirm_text(self, job: Job, choice: str) -> str:
        return _typed_confirmation(job, choice)

    def progress(self, job: Job) -> ProgressView:
        if job.phase == "plan":
            return _plan_view(job)
        return _delete_view(job)


def _plan_view(job: Job) -> ProgressView:
    if job.state == JobState.AWAITING_CONFIRM:
        return ProgressView(
            status=_("Dry run done: confirm below"), note=_found(job.plan),
            actions=_confirm_actions(job),
        )  # fmt: skip
    listed = ngettext("%(n)s object listed", "%(n)s objects listed", job.done) % {
        "n": display.number(job.done)
    }
    if job.is_terminal:
        status = _("%(state)s during the dry run") % {"state": display.state_label(job)}
        return ProgressView(status=status, lines=[listed])
    status = _("Dry run: listing what would be deleted…")
    selected, sized = int(job.plan.get("selected") or 0), int(job.plan.get("sized") or 0)
    if sized < selected:
        status = _("Dry run: looking up the selected objects…")
        listed = _("%(sized)s of %(selected)s looked up") % {
            "sized": display.number(sized), "selected": display.number(selected),
        }  # fmt: skip
    return ProgressView(status=status, lines=[listed], poll_seconds=display.poll_seconds(job))


def _found(summary: dict[str, Any]) -> str:
    current = summary.get("current") or {"objects": 0, "bytes": 0}
    text = _("Found %(objects)s (%(size)s).") % {
        "objects": display.objects(current["objects"]),
        "size": display.size(current["bytes"]),
    }
    if "all" in summary:
        text += " " + _(
            "With every older version and delete marker: %(n)s (%(size)s)."
        ) % {"n": display.number(summary["all"]["objects"]),
             "size": display.size(summary["all"]["bytes"])}  # fmt: skip
    if summary.get("gone"):
        text += " " + ngettext(
            "%(n)s selected object was already gone.",
            "%(n)s selected objects were already gone.",
            summary["gone"],
        ) % {"n": display.number(summary["gone"])}
    return text


def _typed_confirmation(job: Job, choice: str) -> str:
    """Deleting everything in a bucket, or every version of anything, cannot be undone even in a
    versioned bucket: the user types the bucket's name first."""
    whole_bucket = "" in (job.params.get("prefixes") or [])
    return job.bucket if whole_bucket or choice == "all" else ""


def _confirm_actions(job: Job) -> list[Action]:
    url = reverse("objects:delete-confirm", args=[job.pk])
    current = job.plan.get("current") or {"objects": 0}
    n = current["objects"]
    actions = [
        Action(url, ngettext("Delete %(n)s current object", "Delete %(n)s current objects", n)
               % {"n": display.number(n)}, (("mode", "current"),), danger=True,
               disabled=not n, name="delete-current",
               confirm_text=_typed_confirmation(job, "current")),
    ]  # fmt: skip
    if "all" in job.plan:
        n = job.plan["all"]["objects"]
        label = _("Delete all %(n)s versions and delete markers") % {"n": display.number(n)}
        actions.append(
            Action(
                url,
                label,
                (("mode", "all"),),
                danger=True,
                name="delete-all",
                confirm_text=_typed_confirmation(job, "all"),
            )
        )
    return actions


def _delete_view(job: Job) -> ProgressView:
    handled = job.done + job.failed + job.skipped
    lines = [
        _("%(done)s deleted, %(failed)s failed of %(total)s (%(size)s)") % {
            "done": display.number(job.done), "failed": display.number(job.failed),
            "total": display.number(job.total), "size": display.size(job.bytes_done),
        }
    ]  # fmt: skip
    per_second = display.rate(job, handled)
    if job.state == JobState.RUNNING and per_second:
        lines.append(_("%(n)s objects/s") % {"n": display.number(int(per_second))})
    eta = display.eta(job, handled, job.total)
    if eta:
        lines.append(eta)
    actions = []
    if job.is_terminal and job.failed:
        label = ngettext("Retry the %(n)s failed item", "Retry the %(n)s failed items", job.failed)
        url = reverse("objects:job-retry", args=[job.pk])
        actions.append(Action(url, label % {"n": display.number(job.failed)}, name="job-retry",
                              swap="afterend"))  # fmt: skip
    return ProgressView(
        status=display.state_label(job), percent=display.percent(handled, job.total),
        lines=lines, actions=actions, poll_seconds=display.poll_seconds(job),
    )  # fmt: skip
