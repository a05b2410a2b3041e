"""Restore campaigns (issue 14): restore many archived objects and follow each one until its data
is readable. A dry run gives every object a verdict (and the whole plan its counts, bytes and
COS's documented time per class and tier); once confirmed, restore requests go out at the
campaign's rate; then each object is followed with HEADs until it is readable, optionally
copied into a readable class, and the owner is told when everything is ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.errors import ObjectsError
from objects_app.jobs import registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.kind import JobParams, Kind, Phase, ProgressView, StepResult
from objects_app.jobs.kinds.restore import plan, progress, request, targets, track
from objects_app.jobs.task import job_task
from objects_app.models import Job, JobState
from objects_app.restore_models import CopyState, RestoreState, RestoreTarget


@dataclass(frozen=True)
class RestoreParams(JobParams):
    source: str = "selection"  # selection, folder, csv, or object (the object page)
    label: str = ""  # what it covers in a few words: a folder, a file name, a key
    prefixes: list[str] = field(default_factory=list)  # folders: everything under each
    classes: list[str] = field(default_factory=list)  # the archived classes a listing keeps
    days: int = 1
    tier_archive: str = "Standard"
    tier_deep_archive: str = "Standard"
    rate: int = 50  # restore requests per second
    copy_to: str = ""  # "", STANDARD or STANDARD_IA: copy each ready object into it
    copy_prefix: str = ""  # "": in place; else under this prefix


restore_task = job_task("restore")


@registry.register
class RestoreCampaignKind(Kind):
    name = "restore"
    label = gettext_lazy("Restore campaign")
    Params = RestoreParams
    phases = (
        Phase("plan", gettext_lazy("Dry run")),
        Phase("request", gettext_lazy("Requesting restores")),
        Phase("track", gettext_lazy("Following until readable")),
    )
    run_phase = "request"
    confirm = True
    max_live_per_user = 20
    max_running = 4  # each sends up to CONSOLE_RESTORE_THREADS calls at once
    task = restore_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("label", ""))

    def step_plan(self, run: JobRun) -> StepResult:
        return plan.step_plan(run, self.params(run.job))

    def step_request(self, run: JobRun) -> StepResult:
        return request.step_request(run, self.params(run.job))

    def step_track(self, run: JobRun) -> StepResult:
        return track.step_track(run, self.params(run.job))

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        if choice != "start" or not job.plan.get("actionable"):
            raise ObjectsError(_("Nothing in this plan can be restored."), status=409)
        mine = RestoreTarget.objects.filter(job=job)
        # Seen restoring at the dry run: look again after one polling interval.
        mine.filter(state=RestoreState.IN_PROGRESS).update(
            next_check_at=targets.next_check(0, timezone.now())
        )
        if self.params(job).copy_to:
            mine.filter(state=RestoreState.READY).update(copy_state=CopyState.PENDING)
        targets.reset_counters(job.pk)
        ready = mine.filter(state=RestoreState.READY).count()
        skipped = job.plan.get("lines", 0) - job.plan["actionable"]
        return {"choice": "start", "total": job.plan["actionable"], "done": ready,
                "bytes_total": job.plan.get("request_bytes", 0), "skipped": skipped}  # fmt: skip

    def progress(self, job: Job) -> ProgressView:
        view = progress.progress_view(job, self.params(job))
        view.links.append(
            (reverse("objects:restore-campaign", args=[job.pk]), str(progress.CAMPAIGN_LINK))
        )
        return view

    def on_end(self, job: Job) -> None:
        from objects_app.jobs.kinds.restore.notify import campaign_notify

        if job.phase == "track" and job.state != JobState.CANCELLED:
            campaign_notify(job)

    def housekeeping(self) -> None:
        targets.expire_due()  # campaigns that ended keep showing when their copies expire
