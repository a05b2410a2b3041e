"""items.walk, against the database without a worker: a step safe to repeat starts the next
window before waiting for the current one (its threads never idle at a window's end), commits
windows in order, and a cancel still lets the window already started finish and be counted."""

from __future__ import annotations

import time
from collections.abc import Callable

from objects_app.jobs import registry
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, Results, items_add, walk
from objects_app.jobs.kind import Finished, Stopped
from objects_app.models import ItemOutcome, Job, JobItem, JobState
from tests.jobs.factories import make_job

WINDOW = 2


def _run(user) -> JobRun:  # type: ignore[no-untyped-def]
    job = make_job(user, "delete", phase="delete", state=JobState.RUNNING, run_token="t")
    items_add(job, [JobItem(key=f"k{n}") for n in range(6)])
    return JobRun(job, registry.get("delete"), "t", time.monotonic() + 60)


def _recording(events: list[str], on_wait: Callable[[int], None] = lambda n: None):  # type: ignore[no-untyped-def]
    def act(window: list[Item]) -> Callable[[], Results]:
        n = window[0].seq // WINDOW
        events.append(f"start {n}")

        def wait() -> Results:
            events.append(f"wait {n}")
            on_wait(n)
            return {}

        return wait

    return act


def test_a_repeatable_step_starts_the_next_window_before_waiting(alice) -> None:  # type: ignore[no-untyped-def]
    run, events = _run(alice), list[str]()
    assert isinstance(walk(run, window=WINDOW, act=_recording(events), intent=False), Finished)
    assert events == ["start 0", "start 1", "wait 0", "start 2", "wait 1", "wait 2"]
    assert Job.objects.get(pk=run.job.pk).done == 6
    assert set(JobItem.objects.values_list("outcome", flat=True)) == {ItemOutcome.DONE}


def test_a_step_with_intent_waits_window_by_window(alice) -> None:  # type: ignore[no-untyped-def]
    run, events = _run(alice), list[str]()
    assert isinstance(walk(run, window=WINDOW, act=_recording(events)), Finished)
    assert events == ["start 0", "wait 0", "start 1", "wait 1", "start 2", "wait 2"]


def test_a_cancel_counts_the_window_already_started(alice) -> None:  # type: ignore[no-untyped-def]
    run, events = _run(alice), list[str]()

    def cancel(n: int) -> None:
        if n == 0:
            Job.objects.filter(pk=run.job.pk).update(state=JobState.CANCELLED)

    assert isinstance(walk(run, window=WINDOW, act=_recording(events, cancel), intent=False),
                      Stopped)  # fmt: skip
    assert events == ["start 0", "start 1", "wait 0", "wait 1"]
    job = Job.objects.get(pk=run.job.pk)
    assert (job.done, job.checkpoint) == (4, 3)
    pending = JobItem.objects.filter(outcome=ItemOutcome.PENDING)
    assert sorted(pending.values_list("seq", flat=True)) == [4, 5]
