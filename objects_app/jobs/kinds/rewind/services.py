"""Starting a folder rewind (a dry run the user confirms next), and its undo.

Refused with a reason: a moment in the future (there is no such state yet), a moment before
the bucket existed (nothing to rewind to), and a bucket whose versioning is not enabled (no
history is kept, and a write there would replace the "null" version: a rewind must never
delete a version).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app.errors import ObjectsError
from objects_app.jobs import engine, registry
from objects_app.jobs.kinds.rewind import RewindParams, when_text
from objects_app.models import Job, JobState
from objects_app.selectors.browse import bucket_versioning, parse_cos_time
from objects_app.storage import get_cos_client


def bucket_created(bucket: str) -> datetime | None:
    """The bucket's creation date from the account's bucket list (None if not listed)."""
    client, marker = get_cos_client(), ""
    while True:
        answer = client.list_buckets(Marker=marker)
        buckets = (answer.get("Buckets") or {}).get("Bucket") or []
        for entry in buckets:
            if entry.get("Name") == bucket:
                return parse_cos_time(entry.get("CreationDate"))
        if str(answer.get("IsTruncated", "false")).lower() != "true" or not buckets:
            return None
        marker = str(answer.get("NextMarker") or buckets[-1].get("Name") or "")


def _refuse(message: str) -> ObjectsError:
    return ObjectsError(message, status=422, fields={"at": [message]})


def check_moment(bucket: str, at: datetime) -> None:
    if at > timezone.now():
        raise _refuse(_("%(at)s is in the future: a folder can only be rewound to a moment that "
                        "has passed.") % {"at": when_text(at.isoformat())})  # fmt: skip
    created = bucket_created(bucket)
    # COS stamps the creation to the second: a moment within that second is still "after".
    if created is not None and at < created.replace(microsecond=0):
        when = when_text(created.isoformat())
        raise _refuse(_("Bucket %(bucket)s was created at %(created)s; there is nothing to rewind "
                        "to before that.") % {"bucket": bucket, "created": when})  # fmt: skip


def rewind_start(
    *, user: Any, bucket: str, prefix: str, at: datetime, undo_of: int | None = None
) -> Job:
    """Queue the dry run of rewinding everything under `prefix` to the moment `at`."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    state = bucket_versioning(bucket)
    if state != "Enabled":
        raise ObjectsError(
            _("Versioning is not enabled on bucket %(bucket)s: a rewind needs the history that "
              "versioning keeps, and writes that add a version instead of replacing one.")
            % {"bucket": bucket},
            status=409,
        )  # fmt: skip
    check_moment(bucket, at)
    params = RewindParams(prefix=prefix, at=at.isoformat(), undo_of=undo_of)
    return engine.job_create(kind=registry.get("rewind"), user=user, bucket=bucket, params=params)


def rewind_undo(*, user: Any, job: Job) -> Job:
    """A dry run of rewinding the same folder to the moment `job`'s run started."""
    started = job.plan.get("run_started") if job.kind == "rewind" else None
    if not started or job.state not in (JobState.SUCCEEDED, JobState.PARTIALLY_FAILED,
                                        JobState.CANCELLED, JobState.FAILED):  # fmt: skip
        raise ObjectsError(_("Only a rewind that ran can be undone."), status=409)
    return rewind_start(user=user, bucket=job.bucket, prefix=str(job.params["prefix"]),
                        at=datetime.fromisoformat(started), undo_of=job.pk)  # fmt: skip
