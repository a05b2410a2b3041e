"""Large upload: the browser sends chunks into staging (receive.py), a worker turns them into
COS parts while the browser keeps sending (pump.py), then completes the multipart upload with
its CRC-64 checked (finish.py). Staged bytes are read back while still in the page cache and
deleted within seconds, so a large file costs one disk write (in COS), not two.

No plan to confirm: choosing the file is the confirmation. States: waiting for the browser
(awaiting_input) while chunks are missing and no worker is needed; queued/running while a
worker sends parts; phases "transfer" then "complete".
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from objects_app.jobs import display, registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.failures import JobFailure
from objects_app.jobs.kind import (
    AwaitInput,
    Continue,
    Kind,
    NextPhase,
    Phase,
    ProgressView,
    StepResult,
    Stopped,
)
from objects_app.jobs.kinds.upload import finish
from objects_app.jobs.kinds.upload.params import UploadParams
from objects_app.jobs.kinds.upload.pump import Pump, PumpResult
from objects_app.jobs.task import job_task
from objects_app.models import Job, JobState, UploadSession
from objects_app.storage import get_cos_client

large_upload_task = job_task("upload")


@registry.register
class LargeUpload(Kind):
    name = "upload"
    label = gettext_lazy("Large upload")
    Params = UploadParams
    phases = (
        Phase("transfer", gettext_lazy("Sending parts")),
        Phase("complete", gettext_lazy("Completing")),
    )
    changes_objects = True
    task = large_upload_task

    def subject(self, job: Job) -> str:
        return str(job.params.get("key", ""))

    def step_transfer(self, run: JobRun) -> StepResult:
        params = self.params(run.job)
        try:
            upload_id = finish.begin(run, params)
        except finish.UploadEnded:
            return Stopped()
        pump = Pump(run, params, upload_id)
        result = pump.run()
        if result is PumpResult.LOST:
            raise JobFailure(_("%(reason)s Upload the file again.") % {"reason": pump.lost_reason})
        if result is PumpResult.ALL_SENT:
            run.beat(done=len(pump.sent), bytes_done=sum(p.size for p in pump.sent.values()))
            return NextPhase("complete")
        if result is PumpResult.IDLE:
            return AwaitInput(guard=pump.still_waiting)
        if result is PumpResult.SLICE_OVER:
            return Continue()
        return Stopped()

    def step_complete(self, run: JobRun) -> StepResult:
        return finish.step_complete(run, self.params(run.job))

    def on_end(self, job: Job) -> None:
        finish.cleanup(job, get_cos_client())

    def housekeeping(self) -> None:
        finish.housekeeping()

    def progress(self, job: Job) -> ProgressView:
        params = self.params(job)
        received = UploadSession.objects.filter(job=job).values_list("received", flat=True).first()
        received = received or 0
        in_cos = _("%(done)s of %(total)s in COS") % {
            "done": display.size(job.bytes_done), "total": display.size(params.size)
        }  # fmt: skip
        lines = [in_cos]
        if received < (job.total or 0) and not job.is_terminal:
            lines.append(
                _("%(size)s received from the browser (%(n)s of %(total)s chunks)") % {
                    "size": display.size(min(params.size, received * params.chunk_size)),
                    "n": display.number(received), "total": display.number(job.total),
                }
            )  # fmt: skip
        per_second = display.rate(job, job.bytes_done)
        if job.state == JobState.RUNNING and per_second:
            lines.append(_("%(size)s/s") % {"size": display.size(int(per_second))})
        eta = display.eta(job, job.bytes_done, params.size)
        if eta:
            lines.append(eta)
        status = display.state_label(job)
        if job.state == JobState.RUNNING:
            status = str(self.phase_label(job.phase))
        return ProgressView(
            status=status, percent=display.percent(job.bytes_done, params.size), lines=lines,
            poll_seconds=5 if job.state == JobState.AWAITING_INPUT else display.poll_seconds(job),
        )  # fmt: skip
