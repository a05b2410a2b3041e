"""The finish phase: compare with the previous audit of the same scope, then store the totals.

"Became public": public now, not public in the previous run. "Stopped being public": public in
the previous run, and now neither public nor unknown (those rows are added to this run as
`was_public`). Both steps are safe to repeat: the first is an UPDATE, the second inserts only
keys that have no row yet, in chunks, so a long diff works in slices too.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from objects_app.jobs.engine import JobRun
from objects_app.jobs.kind import Continue, Finished, StepResult
from objects_app.models import ExposureFinding, Job, JobState
from objects_app.selectors.exposure import AUDIT_KIND, count_findings

CHUNK = 2000
Status = ExposureFinding.Status


def previous_audit(job: Job) -> Job | None:
    """The last finished audit of the same bucket, prefix and versions choice before `job`."""
    earlier = Job.objects.filter(
        kind=AUDIT_KIND, bucket=job.bucket, state=JobState.SUCCEEDED, created_at__lt=job.created_at
    ).order_by("-created_at", "-id")
    for candidate in earlier.only("id", "params", "created_at")[:100]:
        same = {k: candidate.params.get(k) for k in ("prefix", "versions")}
        if same == {k: job.params.get(k) for k in ("prefix", "versions")}:
            return candidate
    return None


def _same_key(job: Job, *statuses: str) -> Exists:
    rows = ExposureFinding.objects.filter(job=job, key=OuterRef("key"),
                                          version_id=OuterRef("version_id"))  # fmt: skip
    return Exists(rows.filter(status__in=statuses))


def _mark_new(job: Job, previous: Job | None) -> None:
    public = ExposureFinding.objects.filter(job=job, status=Status.PUBLIC)
    if previous is None:
        return
    public.exclude(_same_key(previous, Status.PUBLIC)).update(new=True)


def _add_stopped(run: JobRun, previous: Job) -> bool:
    """Add the next chunk of "stopped being public" rows; False once none are left."""
    gone = ExposureFinding.objects.filter(job=previous, status=Status.PUBLIC).exclude(
        _same_key(run.job, Status.PUBLIC, Status.UNKNOWN, Status.WAS_PUBLIC)
    )
    chunk = list(gone.order_by("key", "version_id")[:CHUNK])
    ExposureFinding.objects.bulk_create(
        [ExposureFinding(job=run.job, key=r.key, version_id=r.version_id, is_latest=r.is_latest,
                         status=Status.WAS_PUBLIC, reason=r.reason, detail=r.detail)
         for r in chunk],
        ignore_conflicts=True,
    )  # fmt: skip
    return len(chunk) == CHUNK


def step_finish(run: JobRun) -> StepResult:
    job = run.job
    previous = previous_audit(job)
    _mark_new(job, previous)
    while previous is not None and _add_stopped(run, previous):
        run.beat()
        if run.sliced():
            return Continue()
    totals = count_findings(job)
    result = {"totals": totals, "previous": previous.pk if previous else None}
    return Finished(result, fields={"total": job.done})
