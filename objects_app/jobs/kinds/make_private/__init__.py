"""Make these private: set the canned ACL `private` and remove grants to everyone (and to every
signed-in user) on an audit's public set or on everything under a prefix. A dry run checks
each object first (plan.py); after the admin confirms, each is changed and reported (run.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from objects_app.errors import ObjectsError
from objects_app.jobs import display, engine, registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.kind import Action, JobParams, Kind, Phase, ProgressView, StepResult
from objects_app.jobs.kinds.make_private import plan, run
from objects_app.jobs.task import job_task
from objects_app.models import ItemOutcome, Job, JobItem, JobState

NAME = "make_private"


@dataclass(frozen=True)
class PrivateParams(JobParams):
    audit: int | None = None  # an audit's public set (filtered below), or None: a prefix listing
    prefix: str = ""
    reason: str = ""


make_private_task = job_task(NAME)


@registry.register
class MakePrivate(Kind):
    name = NAME
    label = gettext_lazy("Make private")
    Params = PrivateParams
    phases = (
        Phase("plan", gettext_lazy("Dry run")),
        Phase("apply", gettext_lazy("Making private")),
    )
    run_phase = "apply"
    confirm = True
    max_live_per_user = 3
    max_running = 2
    task = make_private_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("prefix", ""))

    def step_plan(self, run_: JobRun) -> StepResult:
        return plan.step_plan(run_, self.params(run_.job))

    def step_apply(self, run_: JobRun) -> StepResult:
        return run.step_apply(run_)

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        if choice != "apply":
            raise ObjectsError(_("Choose what to do."))
        keep = JobItem.objects.filter(job=job, group=plan.KEEP)
        skipped = keep.update(outcome=ItemOutcome.SKIPPED)
        return {"choice": choice, "total": JobItem.objects.filter(job=job).count(),
                "skipped": skipped}  # fmt: skip

    def progress(self, job: Job) -> ProgressView:
        if job.phase == "plan":
            return _plan_view(job)
        handled = job.done + job.failed + job.skipped
        lines = [_("%(done)s made private, %(failed)s not, %(skipped)s left alone of %(total)s") % {
            "done": display.number(job.done), "failed": display.number(job.failed),
            "skipped": display.number(job.skipped), "total": display.number(job.total),
        }]  # fmt: skip
        return ProgressView(
            status=display.state_label(job), percent=display.percent(handled, job.total),
            lines=lines, poll_seconds=display.poll_seconds(job),
        )  # fmt: skip


def _found(summary: dict[str, int]) -> str:
    return _(
        "%(change)s would be made private; %(already)s are already private; %(still)s stay "
        "public through the bucket policy whatever their ACL; %(unreadable)s could not be read."
    ) % {
        "change": display.objects(summary.get("change")),
        "already": display.number(summary.get("already_private")),
        "still": display.number(summary.get("still_public")),
        "unreadable": display.number(summary.get("unreadable")),
    }  # fmt: skip


def _plan_view(job: Job) -> ProgressView:
    if job.state == JobState.AWAITING_CONFIRM:
        n = int(job.plan.get("change") or 0)
        url = reverse("objects:make-private-confirm", args=[job.pk])
        label = ngettext("Make %(n)s object private", "Make %(n)s objects private", n) % {
            "n": display.number(n)
        }
        action = Action(url, label, (("choice", "apply"),), danger=True, disabled=not n,
                        name="make-private-confirm", role="admin")  # fmt: skip
        return ProgressView(status=_("Dry run done: confirm below"), note=_found(job.plan),
                            actions=[action])  # fmt: skip
    checked = ngettext("%(n)s object checked", "%(n)s objects checked", job.done) % {
        "n": display.number(job.done)
    }
    if job.is_terminal:
        status = _("%(state)s during the dry run") % {"state": display.state_label(job)}
        return ProgressView(status=status, lines=[checked])
    return ProgressView(status=_("Dry run: checking each object…"), lines=[checked],
                        poll_seconds=display.poll_seconds(job))  # fmt: skip


def make_private_start(*, user: Any, bucket: str, audit: Job | None, prefix: str,
                       reason: str) -> Job:  # fmt: skip
    """Queue the dry run over an audit's public set (`audit`), or over a prefix."""
    if audit is not None and (audit.kind != "exposure_audit" or audit.bucket != bucket):
        raise ObjectsError(_("That is not an audit of this bucket."), status=404)
    if audit is not None and audit.state != JobState.SUCCEEDED:
        raise ObjectsError(_("The audit has not finished."), status=409)
    return engine.job_create(
        kind=registry.get(NAME), user=user, bucket=bucket,
        params=PrivateParams(audit=audit.pk if audit else None, prefix=prefix, reason=reason),
    )  # fmt: skip
