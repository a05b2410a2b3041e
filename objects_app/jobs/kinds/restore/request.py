"""A campaign's requests: POST Object restore for every queued object, at the campaign's rate.

One window is one second's worth of requests (the rate, at most 1,000), sent by a pool of
threads; its outcomes are committed together with the counters, then the window waits out the
rest of its second. Resending a window after a crash is safe: COS answers 409
RestoreAlreadyInProgress for a restore it already has, which is a state here ("in progress"),
not a failure.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from objects_app.cos import CosClientError, CosServiceError
from objects_app.jobs.engine import JobRun
from objects_app.jobs.failures import is_retryable
from objects_app.jobs.kind import Continue, NextPhase, StepResult, Stopped
from objects_app.jobs.kinds.restore import targets as t
from objects_app.restore_models import RestoreState, RestoreTarget

MAX_WINDOW = 1000


def step_request(run: JobRun, params: Any) -> StepResult:
    job = run.job
    rate = max(1, params.rate)
    size = min(rate, MAX_WINDOW)
    threads = max(1, min(settings.CONSOLE_RESTORE_THREADS, size))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while True:
            window = list(
                RestoreTarget.objects.filter(job=job, state=RestoreState.QUEUED).order_by("seq")[
                    :size
                ]
            )
            if not window:
                return NextPhase("track")
            started = time.monotonic()
            outcomes = list(pool.map(lambda target: _send(run, params, target), window))
            retry = _commit(run, params, window, outcomes)
            if retry is False:
                return Stopped()
            if isinstance(retry, Exception):
                raise retry  # transient: the engine retries the task; the rest stays queued
            if not run.alive():
                return Stopped()
            if run.sliced():
                return Continue()
            time.sleep(max(0.0, started + len(window) / rate - time.monotonic()))


def _send(run: JobRun, params: Any, target: RestoreTarget) -> Exception | None:
    """POST restore; None when COS accepted it (202 new, 200 an extended restored copy)."""
    tier = t.tier_for(params, target.storage_class)
    request = {"Days": params.days, "CASJobParameters": {"Tier": tier.name if tier else ""}}
    try:
        run.client.restore_object(Bucket=run.job.bucket, Key=target.key, RestoreRequest=request)
    except (CosServiceError, CosClientError) as exc:
        return exc
    return None


def _commit(
    run: JobRun, params: Any, window: list[RestoreTarget], outcomes: list[Exception | None]
) -> Exception | bool | None:
    """Save the window's outcomes; False if the run lost the job, else the first transient
    error (its object stays queued) or None."""
    now = timezone.now()
    changes: list[t.Change] = []
    retry: Exception | None = None
    latest: datetime | None = None
    for target, outcome in zip(window, outcomes, strict=True):
        if outcome is not None and is_retryable(outcome):
            retry = retry or outcome
            continue
        change = t.Change.of(target)
        _record(target, outcome, params, now)
        changes.append(change)
        if target.state == RestoreState.REQUESTED:
            expected = t.expected_by(t.tier_for(params, target.storage_class), now)
            latest = max(latest or expected, expected)
    fields = ["state", "requested_at", "next_check_at", "error_code", "ready_at"]
    with transaction.atomic():
        moved = t.save(changes, fields)
        if not run.beat(**t.job_deltas(moved)):
            transaction.set_rollback(True)
            return False
        t.note_expected(run.job.pk, latest)
    return retry


def _record(target: RestoreTarget, outcome: Exception | None, params: Any, now: datetime) -> None:
    target.requested_at = now
    if outcome is None:
        target.state = RestoreState.REQUESTED
        target.next_check_at = t.first_check(t.tier_for(params, target.storage_class), now)
        return
    code = outcome.get_error_code() if isinstance(outcome, CosServiceError) else "ClientError"
    target.error_code = code[:64]
    if code == "RestoreAlreadyInProgress":
        target.state = RestoreState.IN_PROGRESS  # someone asked first: follow it
        target.next_check_at = t.next_check(0, now)
        target.error_code = ""
    elif code == "RestoreNonArchiveObject":
        target.state, target.ready_at = RestoreState.READY, now  # no longer archived: readable
    else:
        target.state = RestoreState.FAILED
