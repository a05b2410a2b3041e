"""Delete noncurrent versions under a prefix (issue 12): keep the newest K noncurrent versions
of each key and/or delete those noncurrent for more than N days. A dry run counts them and the
bytes freed, an admin confirms, the run deletes exactly that plan and reports each version.
A current version is never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from objects_app.errors import ObjectsError
from objects_app.jobs import display, registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.kind import Action, JobParams, Kind, Phase, ProgressView, StepResult
from objects_app.jobs.kinds.noncurrent import plan, run
from objects_app.jobs.task import job_task
from objects_app.models import Job, JobState


@dataclass(frozen=True)
class NoncurrentParams(JobParams):
    prefix: str
    keep: int | None = None  # keep this many noncurrent versions per key (the newest)
    older_than_days: int | None = None  # delete those noncurrent for longer than this


noncurrent_task = job_task("noncurrent")


@registry.register
class DeleteNoncurrent(Kind):
    name = "noncurrent"
    label = gettext_lazy("Delete noncurrent versions")
    Params = NoncurrentParams
    phases = (Phase("plan", gettext_lazy("Dry run")), Phase("delete", gettext_lazy("Deleting")))
    run_phase = "delete"
    confirm = True
    max_live_per_user = 5
    task = noncurrent_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("prefix", ""))

    def step_plan(self, run_: JobRun) -> StepResult:
        return plan.step_plan(run_, self.params(run_.job))

    def step_delete(self, run_: JobRun) -> StepResult:
        return run.step_delete(run_)

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        if choice != "run":
            raise ObjectsError(_("Choose what to do with this dry run."))
        doomed = job.plan["doomed"]
        return {"choice": choice, "total": doomed["objects"], "bytes_total": doomed["bytes"]}

    def progress(self, job: Job) -> ProgressView:
        if job.phase == "plan":
            return _plan_view(job)
        return _delete_view(job)


def rule_text(job: Job) -> str:
    keep, days = job.params.get("keep"), job.params.get("older_than_days")
    parts = []
    if keep is not None:
        parts.append(ngettext("beyond the newest %(n)s noncurrent version of each key",
                              "beyond the newest %(n)s noncurrent versions of each key",
                              keep) % {"n": display.number(keep)})  # fmt: skip
    if days is not None:
        parts.append(ngettext("noncurrent for more than %(n)s day",
                              "noncurrent for more than %(n)s days", days)
                     % {"n": display.number(days)})  # fmt: skip
    return _(" and ").join(parts)


def _found(job: Job) -> str:
    doomed, deleted = job.plan["doomed"], job.plan["of_deleted_keys"]
    text = _("Versions %(rule)s: %(n)s, freeing %(size)s; %(kept)s noncurrent versions are kept. "
             "Current versions are never deleted.") % {
        "rule": rule_text(job), "n": display.number(doomed["objects"]),
        "size": display.size(doomed["bytes"]), "kept": display.number(job.plan["kept"]),
    }  # fmt: skip
    if deleted["objects"]:
        text += " " + ngettext(
            "%(n)s of them belongs to a deleted key: undeleting it cannot bring it back.",
            "%(n)s of them belong to deleted keys: undeleting those cannot bring them back.",
            deleted["objects"],
        ) % {"n": display.number(deleted["objects"])}  # fmt: skip
    if job.plan.get("cutoff"):
        cutoff = datetime.fromisoformat(job.plan["cutoff"]).strftime("%Y-%m-%d %H:%M:%S UTC")
        text += " " + _("(Noncurrent since before %(at)s.)") % {"at": cutoff}
    return text


def _plan_view(job: Job) -> ProgressView:
    if job.state == JobState.AWAITING_CONFIRM:
        n = int(job.plan["doomed"]["objects"])
        label = ngettext("Delete %(n)s noncurrent version for good (frees %(size)s)",
                         "Delete %(n)s noncurrent versions for good (frees %(size)s)", n) % {
            "n": display.number(n), "size": display.size(job.plan["doomed"]["bytes"])
        }  # fmt: skip
        url = reverse("objects:noncurrent-confirm", args=[job.pk])
        action = Action(url, label, (("choice", "run"),), danger=True, disabled=not n,
                        name="noncurrent-run", role="admin")  # fmt: skip
        return ProgressView(status=_("Dry run done: confirm below"), note=_found(job),
                            actions=[action])  # fmt: skip
    found = ngettext("%(n)s version to delete so far", "%(n)s versions to delete so far",
                     job.done) % {"n": display.number(job.done)}  # fmt: skip
    if job.is_terminal:
        status = _("%(state)s during the dry run") % {"state": display.state_label(job)}
        return ProgressView(status=status, lines=[found])
    return ProgressView(status=_("Dry run: reading the versions…"), lines=[found],
                        poll_seconds=display.poll_seconds(job))  # fmt: skip


def _delete_view(job: Job) -> ProgressView:
    handled = job.done + job.failed + job.skipped
    lines = [
        _("%(done)s deleted, %(skipped)s kept, %(failed)s failed of %(total)s (%(size)s freed)")
        % {"done": display.number(job.done), "skipped": display.number(job.skipped),
           "failed": display.number(job.failed), "total": display.number(job.total),
           "size": display.size(job.bytes_done)}
    ]  # fmt: skip
    eta = display.eta(job, handled, job.total)
    if eta:
        lines.append(eta)
    return ProgressView(
        status=display.state_label(job), percent=display.percent(handled, job.total),
        lines=lines, poll_seconds=display.poll_seconds(job),
    )  # fmt: skip
