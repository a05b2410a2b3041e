"""Abort unfinished multipart uploads: a dry run counts them and the bytes their parts hold,
the user confirms (uploads a running console upload job is using are left alone unless they
say so), then each upload is aborted and reported: done, failed with the reason, or skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from objects_app.errors import ObjectsError
from objects_app.jobs import display, registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult
from objects_app.jobs.kind import Action, JobParams, Kind, Phase, ProgressView, StepResult
from objects_app.jobs.kinds.abort_uploads import plan, run
from objects_app.jobs.task import job_task
from objects_app.models import ItemOutcome, Job, JobItem, JobState


@dataclass(frozen=True)
class AbortParams(JobParams):
    prefix: str = ""
    older_than_days: int | None = None  # None: every upload (a selection)
    selection: list[list[str]] = field(default_factory=list)  # [key, upload id] pairs


abort_uploads_task = job_task("abort_uploads")


@registry.register
class AbortUploads(Kind):
    name = "abort_uploads"
    label = gettext_lazy("Abort unfinished uploads")
    Params = AbortParams
    phases = (Phase("plan", gettext_lazy("Dry run")), Phase("abort", gettext_lazy("Aborting")))
    run_phase = "abort"
    max_live_per_user = 5
    max_running = 2  # each runs CONSOLE_ABORT_PARALLEL calls at once: bound the total on COS
    confirm = True
    task = abort_uploads_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("prefix", ""))

    def step_plan(self, run_: JobRun) -> StepResult:
        return plan.step_plan(run_, self.params(run_.job))

    def step_abort(self, run_: JobRun) -> StepResult:
        return run.step_abort(run_)

    def reconcile(self, run_: JobRun, items: list[Item]) -> dict[int, ItemResult]:
        return run.reconcile(run_, items)

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        if choice not in ("free", "all") or (choice == "all" and not job.plan.get("owned")):
            raise ObjectsError(_("Choose which uploads to abort."))
        skipped = 0
        if choice == "free":
            owned = JobItem.objects.filter(job=job, group=plan.OWNED)
            for item in owned:
                item.outcome, item.reason_code = ItemOutcome.SKIPPED, "InUse"
                item.reason = _("In use by console upload job %(job)s; not aborted.") % {
                    "job": item.reason
                }
            JobItem.objects.bulk_update(owned, ["outcome", "reason_code", "reason"])
            skipped = len(owned)
        everything = job.plan["all"]
        return {"choice": choice, "total": everything["objects"],
                "bytes_total": job.plan[choice]["bytes"], "skipped": skipped}  # fmt: skip

    def progress(self, job: Job) -> ProgressView:
        if job.phase == "plan":
            return _plan_view(job)
        handled = job.done + job.failed + job.skipped
        lines = [
            _("%(done)s aborted, %(failed)s failed, %(skipped)s skipped of %(total)s") % {
                "done": display.number(job.done), "failed": display.number(job.failed),
                "skipped": display.number(job.skipped), "total": display.number(job.total),
            },
            _("%(size)s freed") % {"size": display.size(job.bytes_done)},
        ]  # fmt: skip
        eta = display.eta(job, handled, job.total)
        if eta:
            lines.append(eta)
        return ProgressView(
            status=display.state_label(job), percent=display.percent(handled, job.total),
            lines=lines, poll_seconds=display.poll_seconds(job),
        )  # fmt: skip


def _plan_view(job: Job) -> ProgressView:
    if job.state != JobState.AWAITING_CONFIRM:
        listed = ngettext("%(n)s upload found", "%(n)s uploads found", job.done) % {
            "n": display.number(job.done)
        }
        if job.is_terminal:
            status = _("%(state)s during the dry run") % {"state": display.state_label(job)}
            return ProgressView(status=status, lines=[listed])
        return ProgressView(status=_("Dry run: looking for unfinished uploads…"), lines=[listed],
                            poll_seconds=display.poll_seconds(job))  # fmt: skip
    free, owned = job.plan["free"], int(job.plan.get("owned") or 0)
    everything = job.plan["all"]
    note = _("Found %(n)s unfinished uploads holding %(size)s.") % {
        "n": display.number(everything["objects"]), "size": display.size(everything["bytes"])
    }  # fmt: skip
    if owned:
        note += " " + ngettext(
            "%(n)s of them is in use by a running console upload job.",
            "%(n)s of them are in use by running console upload jobs.", owned,
        ) % {"n": display.number(owned)}  # fmt: skip
    url = reverse("objects:job-confirm", args=[job.pk])
    label = _("Abort %(n)s uploads (frees %(size)s)") % {
        "n": display.number(free["objects"]),
        "size": display.size(free["bytes"]),
    }
    actions = [Action(url, label, (("choice", "free"),), danger=True,
                      disabled=not free["objects"], name="abort-free")]  # fmt: skip
    if owned:
        label = _("Abort all %(n)s, including those in use") % {
            "n": display.number(job.plan["all"]["objects"])
        }
        actions.append(Action(url, label, (("choice", "all"),), danger=True, name="abort-all"))
    return ProgressView(status=_("Dry run done: confirm below"), note=note, actions=actions)
