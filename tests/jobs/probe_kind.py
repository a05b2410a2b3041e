"""A tiny job kind for testing the engine itself (loaded by the test workers through
CONSOLE_JOB_KINDS_EXTRA). It plans `steps` items; confirmed, each item's step writes an object
to COS (so coslocal's faults reach it) and then a marker file created exclusively: a step done
twice leaves a `repeat-<seq>` file, which the tests look for. Its reconcile looks at the
markers, as a real kind looks at COS, to settle the items a killed run left "started"."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.urls import reverse

from objects_app.jobs import display, engine, registry
from objects_app.jobs.items import Item, ItemResult, items_add, items_counts, walk
from objects_app.jobs.kind import (
    Action,
    Continue,
    JobParams,
    Kind,
    Phase,
    PlanReady,
    ProgressView,
    StepResult,
)
from objects_app.jobs.task import job_task
from objects_app.models import ItemOutcome, Job, JobItem, JobState

PLAN_PAGE = 50  # items planned per slice step (the plan is sliced too)


@dataclass(frozen=True)
class ProbeParams(JobParams):
    steps: int
    marker_dir: str
    window: int = 5


probe_task = job_task("probe")


@registry.register
class Probe(Kind):
    name = "probe"
    label = "Probe"
    Params = ProbeParams
    phases = (Phase("plan", "Planning"), Phase("run", "Running"))
    run_phase = "run"
    confirm = True
    task = probe_task

    def step_plan(self, run: engine.JobRun) -> StepResult:
        params, job = self.params(run.job), run.job
        planned = job.done
        count = min(PLAN_PAGE, params.steps - planned)
        items = (JobItem(key=f"probe/{n:05d}", size=n) for n in range(planned, planned + count))
        items_add(job, items, first_seq=planned)
        if not run.beat(done=planned + count):
            return Continue()
        if planned + count < params.steps:
            return Continue()  # one page per slice, so the plan is resumable as well
        return PlanReady({"all": items_counts(job.pk)})

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        return {"choice": choice, "total": job.plan["all"]["objects"],
                "bytes_total": job.plan["all"]["bytes"]}  # fmt: skip

    def step_run(self, run: engine.JobRun) -> StepResult:
        params = self.params(run.job)
        markers = Path(params.marker_dir)

        def act(window: list[Item]) -> dict[int, ItemResult]:
            for item in window:
                run.client.put_object(Bucket=run.job.bucket, Key=item.key, Body=b"step")
                _mark(markers, item.seq)
            return {}

        return walk(run, window=params.window, act=act)

    def reconcile(self, run: engine.JobRun, items: list[Item]) -> dict[int, ItemResult]:
        markers = Path(self.params(run.job).marker_dir)
        done = ItemResult(ItemOutcome.DONE, "", "")
        return {i.seq: done for i in items if (markers / f"step-{i.seq}").exists()}

    def progress(self, job: Job) -> ProgressView:
        handled = job.done + job.failed + job.skipped
        actions = []
        if job.state == JobState.AWAITING_CONFIRM:
            url = reverse("objects:job-confirm", args=[job.pk])
            actions.append(Action(url, "Run", (("choice", "run"),), name="probe-run"))
        return ProgressView(
            status=display.state_label(job), percent=display.percent(handled, job.total),
            lines=[f"{handled} of {job.total}"], actions=actions,
            poll_seconds=display.poll_seconds(job),
        )  # fmt: skip


def _mark(markers: Path, seq: int) -> None:
    try:
        fd = os.open(markers / f"step-{seq}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        (markers / f"repeat-{seq}").touch()  # the step ran twice: the tests fail on this
        return
    os.close(fd)


def start_probe(*, user: Any, bucket: str, steps: int, marker_dir: Path, window: int = 5) -> Job:
    marker_dir.mkdir(parents=True, exist_ok=True)
    params = ProbeParams(steps=steps, marker_dir=str(marker_dir), window=window)
    return engine.job_create(kind=registry.get("probe"), user=user, bucket=bucket, params=params)
