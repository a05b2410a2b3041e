"""The public-exposure audit: read every object's ACL under a prefix (optionally every version),
combine it with the bucket ACL and policy, and keep what is public or unknown, with the reason
(scan.py); then compare with the previous audit of the same scope (finish.py).

Read-only: no plan, nothing to confirm. The report is objects_app/views/exposure.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.jobs import display, engine, registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.kind import JobParams, Kind, Phase, ProgressView, StepResult
from objects_app.jobs.kinds.exposure_audit import finish, scan
from objects_app.jobs.task import job_task
from objects_app.models import Job, JobState
from objects_app.selectors.exposure import AUDIT_KIND, audit_totals


@dataclass(frozen=True)
class AuditParams(JobParams):
    prefix: str = ""
    versions: bool = False


exposure_audit_task = job_task(AUDIT_KIND)


@registry.register
class ExposureAudit(Kind):
    name = AUDIT_KIND
    label = gettext_lazy("Public-exposure audit")
    Params = AuditParams
    phases = (
        Phase("scan", gettext_lazy("Reading ACLs")),
        Phase("finish", gettext_lazy("Comparing with the previous audit")),
    )
    max_live_per_user = 3
    max_running = 2  # each reads CONSOLE_EXPOSURE_THREADS ACLs at once: bound the total on COS
    task = exposure_audit_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("prefix", ""))

    def step_scan(self, run: JobRun) -> StepResult:
        params = self.params(run.job)
        return scan.step_scan(run, prefix=params.prefix, versions=params.versions)

    def step_finish(self, run: JobRun) -> StepResult:
        return finish.step_finish(run)

    def progress(self, job: Job) -> ProgressView:
        totals = audit_totals(job)
        lines = [
            _("%(read)s read: %(public)s public, %(unknown)s unknown") % {
                "read": display.objects(job.done), "public": display.number(totals["public"]),
                "unknown": display.number(totals["unknown"]),
            }
        ]  # fmt: skip
        per_second = display.rate(job, job.done)
        if job.state == JobState.RUNNING and per_second:
            lines.append(_("%(n)s objects/s") % {"n": display.number(int(per_second))})
        url = reverse("objects:exposure-report", args=[job.pk])
        note = format_html('<a href="{}" class="exposure-report-link">{}</a>', url,
                           _("Open the report"))  # fmt: skip
        status = display.state_label(job)
        if job.state == JobState.RUNNING:
            status = str(self.phase_label(job.phase))
        return ProgressView(status=status, lines=lines, note=note,
                            poll_seconds=display.poll_seconds(job))  # fmt: skip

    def notice(self, job: Job) -> str:
        if job.state != JobState.SUCCEEDED:
            return super().notice(job)
        totals = audit_totals(job)
        return _("Public-exposure audit of %(where)s: %(public)s public, %(unknown)s unknown.") % {
            "where": self.subject(job) or "/", "public": display.number(totals["public"]),
            "unknown": display.number(totals["unknown"]),
        }  # fmt: skip


def exposure_audit_start(*, user: Any, bucket: str, prefix: str, versions: bool) -> Job:
    """Queue an audit of everything under `prefix` (every version with `versions`)."""
    return engine.job_create(
        kind=registry.get(AUDIT_KIND), user=user, bucket=bucket,
        params=AuditParams(prefix=prefix, versions=versions),
    )  # fmt: skip
