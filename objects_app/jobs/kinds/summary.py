"""Count objects and bytes under a prefix (read-only: no plan, nothing to confirm).

The listing is walked page by page from a checkpoint (the next marker), so a long count works
in slices and a killed worker resumes at the page it was on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.jobs import display, engine, registry
from objects_app.jobs.kind import (
    Continue,
    Finished,
    JobParams,
    Kind,
    Phase,
    ProgressView,
    StepResult,
    Stopped,
)
from objects_app.jobs.task import job_task
from objects_app.models import Job, JobState

PAGE = 1000


@dataclass(frozen=True)
class SummaryParams(JobParams):
    prefix: str


prefix_summary_task = job_task("prefix_summary")


@registry.register
class PrefixSummary(Kind):
    name = "prefix_summary"
    label = gettext_lazy("Count objects")
    Params = SummaryParams
    phases = (Phase("count", gettext_lazy("Counting")),)
    max_live_per_user = 5  # viewers may count: a flood of counts must not fill the queue
    task = prefix_summary_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("prefix", ""))

    def step_count(self, run: engine.JobRun) -> StepResult:
        job, prefix = run.job, self.params(run.job).prefix
        marker = job.listing_marker
        while True:
            page = run.client.list_objects(
                Bucket=job.bucket, Prefix=prefix, Marker=marker, MaxKeys=PAGE
            )
            contents = page.get("Contents", [])
            next_marker = _next_marker(page, contents)
            counted = len(contents)
            size = sum(int(o.get("Size") or 0) for o in contents)
            job.done, job.bytes_done = job.done + counted, job.bytes_done + size
            marker = next_marker or ""
            if not run.beat(done=job.done, bytes_done=job.bytes_done, listing_marker=marker):
                return Stopped()  # cancelled, or taken over
            if not next_marker:
                result = {"objects": job.done, "bytes": job.bytes_done}
                return Finished(result, fields={"total": job.done, "bytes_total": job.bytes_done})
            if run.sliced():
                return Continue()

    def progress(self, job: Job) -> ProgressView:
        counted = _("%(objects)s, %(size)s") % {
            "objects": display.objects(job.done),
            "size": display.size(job.bytes_done),
        }
        if job.state == JobState.SUCCEEDED:
            lines = [counted]
        elif job.is_terminal:
            lines = [_("%(counted)s counted before it stopped") % {"counted": counted}]
        else:
            lines = [_("%(counted)s so far") % {"counted": counted}]
        return ProgressView(
            status=display.state_label(job), lines=lines, poll_seconds=display.poll_seconds(job)
        )

    def notice(self, job: Job) -> str:
        where = self.subject(job) or "/"
        if job.state == JobState.SUCCEEDED:
            return _("Under %(where)s: %(objects)s, %(size)s.") % {
                "where": where,
                "objects": display.objects(job.result.get("objects")),
                "size": display.size(job.result.get("bytes")),
            }
        return super().notice(job)


def _next_marker(page: dict[str, Any], contents: list[dict[str, Any]]) -> str | None:
    if page.get("IsTruncated") != "true":
        return None
    return str(page.get("NextMarker") or (contents[-1]["Key"] if contents else "")) or None


def start_prefix_summary(*, user: Any, bucket: str, prefix: str) -> Job:
    """Queue a job that counts the objects and bytes under a prefix."""
    return engine.job_create(
        kind=registry.get(PrefixSummary.name), user=user, bucket=bucket,
        params=SummaryParams(prefix=prefix),
    )  # fmt: skip
