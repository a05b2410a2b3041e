"""The run of "make these private": each planned object made private, or reported.

Each object's ACL is read again right before it is written (the plan is a day old at most, and
someone may have changed it meanwhile), so repeating a window after a crash changes nothing
twice. Every ACL actually rewritten is audited with the ACL before and after.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.utils.translation import gettext as _

from objects_app.exposure import fix, scanner
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult, walk
from objects_app.jobs.kind import StepResult
from objects_app.jobs.kinds.make_private.plan import check
from objects_app.models import AuditEvent, ItemOutcome
from objects_app.selectors.permissions import bucket_acl, bucket_policy
from objects_app.services.audit import audit_record_many

WINDOW = 200
AUDIT_ACTION = "object.acl.make_private"


def _result(outcome: fix.FixOutcome | None, error: str) -> ItemResult | None:
    if outcome is None:
        code, _sep, message = error.partition(" ")
        return ItemResult(ItemOutcome.FAILED, message or code, error)
    if outcome.still_public:
        reason = _("Still public: %(rule)s") % {"rule": outcome.still_public}
        return ItemResult(ItemOutcome.FAILED, "still-public", reason)
    if not outcome.changed:
        return ItemResult(ItemOutcome.SKIPPED, "already-private", _("Already private."))
    return None


def _audit_rows(batch: list[Item], outcomes: list[tuple[fix.FixOutcome | None, str]]
                ) -> list[dict[str, str]]:  # fmt: skip
    rows = []
    for item, (outcome, error) in zip(batch, outcomes, strict=True):
        if outcome is None:
            rows.append({"key": item.key, "version_id": item.ref, "detail": error,
                         "outcome": AuditEvent.Outcome.ERROR})  # fmt: skip
        elif outcome.changed:
            rows.append({"key": item.key, "version_id": item.ref, "detail": outcome.audit_detail})
    return rows


def step_apply(run: JobRun) -> StepResult:
    job = run.job
    b_acl, policy = bucket_acl(job.bucket), bucket_policy(job.bucket)

    def act(batch: list[Item]) -> dict[int, ItemResult]:
        entries = [scanner.Entry(item.key, item.ref) for item in batch]
        outcomes = list(pool.map(
            lambda e: check(run.client, job.bucket, e, b_acl, policy, dry_run=False), entries
        ))  # fmt: skip
        rows = _audit_rows(batch, outcomes)
        if rows:
            audit_record_many(user=job.user, action=AUDIT_ACTION, bucket=job.bucket, rows=rows)
        results = {item.seq: _result(*o) for item, o in zip(batch, outcomes, strict=True)}
        return {seq: r for seq, r in results.items() if r is not None}

    with ThreadPoolExecutor(settings.CONSOLE_EXPOSURE_THREADS) as pool:
        return walk(run, window=WINDOW, act=act)
