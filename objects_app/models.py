from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    # Waiting for the user: upload chunks still arriving, or a delete's dry run awaiting confirm.
    PENDING = "pending", _("Waiting for input")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIALLY_FAILED = "partially_failed", _("Partially failed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


TERMINAL_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.PARTIALLY_FAILED, JobState.FAILED, JobState.CANCELLED}
)


class JobKind(models.TextChoices):
    PREFIX_SUMMARY = "prefix_summary", _("Count objects")
    UPLOAD = "upload", _("Large upload")
    DELETE = "delete", _("Batch delete")


class Job(models.Model):
    """A long-running unit of work done by a Celery worker; progress lives in this row.

    State changes use conditional UPDATEs (see services), so a redelivered task can never move a
    job backwards or finish it twice.
    """

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    state = models.CharField(max_length=32, choices=JobState.choices, default=JobState.QUEUED)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    bucket = models.CharField(max_length=64)
    prefix = models.CharField(max_length=1024, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    total = models.BigIntegerField(null=True, blank=True)
    done = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(null=True, blank=True)
    bytes_done = models.BigIntegerField(default=0)
    cursor = models.TextField(blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("objects:job-detail", args=[self.pk])

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_active(self) -> bool:
        """Worth polling: a worker has it or will pick it up."""
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def bytes_received(self) -> int:
        """Uploads: bytes the browser has sent (chunks staged or already in COS)."""
        chunk = int(self.params.get("chunk_size") or 0)
        return min(int(self.bytes_total or 0), self.done * chunk)

    @property
    def elapsed_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return max((end - self.started_at).total_seconds(), 0.001)

    @property
    def rate(self) -> float | None:
        """Bytes per second for uploads, items per second for the rest."""
        elapsed = self.elapsed_seconds
        if elapsed is None:
            return None
        amount = self.bytes_done if self.kind == JobKind.UPLOAD else self.done + self.failed
        return amount / elapsed

    @property
    def eta_seconds(self) -> int | None:
        rate = self.rate
        if not self.is_active or not rate:
            return None
        if self.kind == JobKind.UPLOAD:
            remaining = (self.bytes_total or 0) - self.bytes_done
        else:
            remaining = (self.total or 0) - self.done - self.failed
        return int(remaining / rate) if remaining > 0 else 0

    @property
    def failed_items(self) -> list[JobItem]:
        """The per-item error report (first 100)."""
        return list(self.items.exclude(error_code="").order_by("seq")[:100])

    @property
    def percent(self) -> int | None:
        if self.kind == JobKind.UPLOAD and self.bytes_total:
            return min(100, int(100 * self.bytes_done / self.bytes_total))
        if not self.total:
            return 100 if self.is_terminal else None
        return min(100, int(100 * (self.done + self.failed) / self.total))


class JobItem(models.Model):
    """One planned unit of a batch job (a key, or a key version), numbered in plan order.

    The plan is fixed by the dry run, so the job deletes exactly what the user confirmed, and
    counts stay exact when a chunk is redone after a crash. `error` holds the per-item report.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    seq = models.PositiveIntegerField()
    key = models.TextField()
    version_id = models.CharField(max_length=128, blank=True, default="")
    size = models.BigIntegerField(default=0)
    # The object's current version (not an older version or a delete marker).
    current = models.BooleanField(default=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="jobitem_job_seq")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.seq} {self.key}"


class UploadPart(models.Model):
    """A part of a large upload that COS holds, recorded before its staged chunk is removed.

    These rows are how an upload resumes (after a worker crash or an idle hand-back) without
    re-reading chunks that are gone, and how the object's CRC-64 is checked at the end.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="upload_parts")
    number = models.PositiveIntegerField()
    size = models.BigIntegerField()
    etag = models.CharField(max_length=128)
    crc64 = models.CharField(max_length=24)  # decimal, as COS reports it

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="uploadpart_job_number")
        ]

    def __str__(self) -> str:
        return f"{self.job_id} part {self.number}"


class AuditEvent(models.Model):
    """Append-only record of every mutating action. Rows are never updated or deleted."""

    class Outcome(models.TextChoices):
        OK = "ok", _("OK")
        ERROR = "error", _("Error")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # Kept as text too, so the trail survives the user's deletion.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    bucket = models.CharField(max_length=64, blank=True, default="", db_index=True)
    key = models.TextField(blank=True, default="")
    version_id = models.CharField(max_length=128, blank=True, default="")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    request_id = models.CharField(max_length=128, blank=True, default="")
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only")


class ExposureFinding(models.Model):
    """What a public-exposure audit (a Job of kind "exposure_audit") found for one object or
    version: public or unknown (private objects leave no row: nothing per object is kept for
    them), or public in the previous audit and not any more ("was_public", added at the end).

    Rows of one audit are written page by page with the listing marker, in one transaction, so
    a redone page cannot double them (and the unique constraint would refuse it anyway).
    """

    class Status(models.TextChoices):
        PUBLIC = "public", _("Public")
        UNKNOWN = "unknown", _("Unknown")
        WAS_PUBLIC = "was_public", _("No longer public")

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="exposure_findings")
    key = models.TextField()
    version_id = models.CharField(max_length=128, blank=True, default="")
    is_latest = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    # The deciding rule's kind (objects_app.access.decide) and its data (canned ACL, grantee,
    # statement, or the error that made the ACL unreadable).
    reason = models.CharField(max_length=32)
    detail = models.TextField(blank=True, default="")
    # Public now and not public in the previous audit of the same bucket, prefix and versions.
    new = models.BooleanField(default=False)

    class Meta:
        ordering = ["job", "key", "version_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "key", "version_id"], name="exposurefinding_job_key_version"
            )
        ]
        indexes = [
            models.Index(
                fields=["job", "status", "key", "version_id"], name="exposure_job_status_key"
            ),
            models.Index(
                fields=["job", "reason", "key", "version_id"], name="exposure_job_reason_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.key} {self.status}"
