"""Reads of public-exposure audits: the runs of a bucket, one run's report (filtered, paged by
key, never by offset), its CSV rows, each bucket's last audit, and the "public" marks of a
folder listing.

An audit is a Job of kind `exposure_audit`; its findings are ExposureFinding rows (public and
unknown objects, plus those that stopped being public since the previous run). Totals of a
finished run are stored on the job (`result`) when it ends, so the report never counts a
million rows to show its first page.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy

from objects_app.access import decide as d
from objects_app.models import ExposureFinding, Job, JobState

AUDIT_KIND = "exposure_audit"
PAGE_SIZE = 100
CSV_CHUNK = 2000
Status = ExposureFinding.Status
REASONS = {
    d.OBJECT_ACL: gettext_lazy("the object's ACL"),
    d.BUCKET_ACL: gettext_lazy("the bucket ACL (inherited)"),
    d.POLICY_ALLOW: gettext_lazy("a bucket policy statement"),
    d.POLICY_MAYBE: gettext_lazy("a policy statement with conditions"),
    d.ACL_UNREADABLE: gettext_lazy("the ACL could not be read"),
}
SHOW = {
    "public": gettext_lazy("Public"),
    "new": gettext_lazy("Became public since the previous audit"),
    "was_public": gettext_lazy("Stopped being public since the previous audit"),
    "unknown": gettext_lazy("Unknown"),
}


def audits_of(bucket: str) -> QuerySet[Job]:
    return Job.objects.filter(kind=AUDIT_KIND, bucket=bucket)


@dataclass(frozen=True)
class RunRow:
    job: Job
    public: int | None  # None until the run has finished
    unknown: int | None


def audit_runs(bucket: str, limit: int = 50) -> list[RunRow]:
    """The bucket's audits, newest first, with their totals once finished."""
    rows = []
    for job in audits_of(bucket).order_by("-created_at", "-id")[:limit]:
        totals = (job.result or {}).get("totals")
        rows.append(RunRow(job, totals and totals.get("public"), totals and totals.get("unknown")))
    return rows


@dataclass(frozen=True)
class ReportFilter:
    show: str = "public"  # public | new | was_public | unknown
    reason: str = ""
    prefix: str = ""
    after: str = ""  # keyset cursor (cursor_of): the last row's key and version id


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (code point order,
    which is also UTF-8 byte order: SQLite's BINARY collation)."""
    last = prefix.rstrip("\U0010ffff")
    if not last:
        return ""
    return last[:-1] + chr(ord(last[-1]) + 1)


def filtered_findings(job: Job, flt: ReportFilter) -> QuerySet[ExposureFinding]:
    qs = ExposureFinding.objects.filter(job=job)
    if flt.show == "new":
        qs = qs.filter(status=Status.PUBLIC, new=True)
    else:
        qs = qs.filter(status=flt.show if flt.show in SHOW else Status.PUBLIC)
    if flt.reason:
        qs = qs.filter(reason=flt.reason)
    if flt.prefix:
        qs = _starting_with(qs, flt.prefix)
    return qs


def _starting_with(qs: QuerySet[ExposureFinding], prefix: str) -> QuerySet[ExposureFinding]:
    """Keys starting with `prefix`. SQLite's LIKE ignores case, but its BINARY order is code
    point order, so a key range is exact there (and uses the index); other databases may sort
    by a language's collation, where only LIKE (case-sensitive there) is exact."""
    if connection.vendor != "sqlite":
        return qs.filter(key__startswith=prefix)
    qs = qs.filter(key__gte=prefix)
    end = _successor(prefix)
    return qs.filter(key__lt=end) if end else qs


def _after(qs: QuerySet[ExposureFinding], cursor: str) -> QuerySet[ExposureFinding]:
    if not cursor:
        return qs
    key, version = decode_cursor(cursor)
    return qs.filter(Q(key__gt=key) | Q(key=key, version_id__gt=version))


def cursor_of(row: ExposureFinding) -> str:
    """An opaque, URL-safe cursor (keys may hold any character a query string cannot)."""
    raw = json.dumps([row.key, row.version_id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The key and version id of a cursor; ValueError if it is not one of ours."""
    try:
        key, version = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValueError(cursor) from exc
    if not isinstance(key, str) or not isinstance(version, str):
        raise ValueError(cursor)
    return key, version


@dataclass
class ReportPage:
    job: Job
    filter: ReportFilter
    rows: list[ExposureFinding]
    next_after: str
    totals: dict[str, Any]
    previous: Job | None
    reasons: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.job.state == JobState.SUCCEEDED

    @property
    def reason_counts(self) -> list[tuple[Any, int]]:
        """(reason in words, public objects) in the order of REASONS."""
        counts = self.totals.get("by_reason") or {}
        return [(label, counts[reason]) for reason, label in REASONS.items() if counts.get(reason)]


def report_page(*, job: Job, flt: ReportFilter) -> ReportPage:
    """One page of a run's findings (keyset on key and version id) with the run's totals."""
    rows = list(
        _after(filtered_findings(job, flt), flt.after).order_by("key", "version_id")[
            : PAGE_SIZE + 1
        ]
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    previous_id = (job.result or {}).get("previous")
    previous = Job.objects.filter(pk=previous_id).first() if previous_id else None
    return ReportPage(
        job=job,
        filter=flt,
        rows=rows,
        next_after=cursor_of(rows[-1]) if more else "",
        totals=audit_totals(job),
        previous=previous,
        reasons=list(REASONS.items()),
    )


def audit_totals(job: Job) -> dict[str, Any]:
    """Stored at the end of a run; while it runs, the running totals its pages commit."""
    result = job.result or {}
    stored = result.get("totals") or result.get("live")
    if stored is None:
        return {"public": 0, "unknown": 0, "new": 0, "was_public": 0, "by_reason": {},
                "scanned": job.done}  # fmt: skip
    return {"new": 0, "was_public": 0, "scanned": job.done, **stored}


def count_findings(job: Job) -> dict[str, Any]:
    counts = (
        ExposureFinding.objects.filter(job=job)
        .values("status", "reason", "new")
        .annotate(n=Count("id"))
    )
    totals: dict[str, Any] = {"public": 0, "unknown": 0, "new": 0, "was_public": 0, "by_reason": {}}
    for row in counts:
        totals[row["status"]] = totals.get(row["status"], 0) + row["n"]
        if row["status"] == Status.PUBLIC:
            totals["new"] += row["n"] if row["new"] else 0
            by_reason = totals["by_reason"]
            by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["n"]
    totals["scanned"] = job.done
    return totals


def report_rows(*, job: Job, flt: ReportFilter) -> Iterator[ExposureFinding]:
    """Every row of the filtered report, in key order, CSV_CHUNK at a time (memory stays flat)."""
    cursor = flt.after
    base = filtered_findings(job, flt).order_by("key", "version_id")
    while True:
        chunk = list(_after(base, cursor)[:CSV_CHUNK])
        yield from chunk
        if len(chunk) < CSV_CHUNK:
            return
        cursor = cursor_of(chunk[-1])


@dataclass(frozen=True)
class AuditSummary:
    job_id: int
    finished_at: Any
    public: int
    unknown: int


def latest_audits(buckets: list[str]) -> dict[str, AuditSummary]:
    """Each bucket's last finished audit (date and number public), in one query."""
    jobs = (
        Job.objects.filter(kind=AUDIT_KIND, bucket__in=buckets, state=JobState.SUCCEEDED)
        .order_by("bucket", "-finished_at", "-id")
        .only("id", "bucket", "finished_at", "result")
    )
    found: dict[str, AuditSummary] = {}
    for job in jobs:
        if job.bucket not in found:
            totals = (job.result or {}).get("totals") or {}
            found[job.bucket] = AuditSummary(
                job.pk, job.finished_at, int(totals.get("public", 0)), int(totals.get("unknown", 0))
            )
    return found


def latest_audit_covering(bucket: str, prefix: str) -> Job | None:
    """The newest finished audit whose scope (its prefix) covers `prefix`."""
    recent = audits_of(bucket).filter(state=JobState.SUCCEEDED).order_by("-finished_at", "-id")
    for job in recent.only("id", "params", "finished_at")[:50]:
        if prefix.startswith(str((job.params or {}).get("prefix") or "")):
            return job
    return None


def public_marks(bucket: str, prefix: str, keys: list[str]) -> set[str]:
    """Which of these keys (in folder `prefix`) the latest audit covering it found public."""
    job = latest_audit_covering(bucket, prefix) if keys else None
    if job is None:
        return set()
    rows = ExposureFinding.objects.filter(
        job=job, status=Status.PUBLIC, is_latest=True, key__in=keys
    ).values_list("key", flat=True)
    return set(rows)
