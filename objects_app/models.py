from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    """The engine's states, the same for every kind (a kind's own steps are its `phase`)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    # The dry run is done: nothing changes until the user confirms (or the plan expires).
    AWAITING_CONFIRM = "awaiting_confirm", _("Waiting for confirmation")
    # The job needs more input from the user's browser (a large upload's chunks).
    AWAITING_INPUT = "awaiting_input", _("Waiting for the browser")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIALLY_FAILED = "partially_failed", _("Partially failed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Plan expired")


TERMINAL_STATES = frozenset(
    {
        JobState.SUCCEEDED,
        JobState.PARTIALLY_FAILED,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.EXPIRED,
    }
)
ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})


class Job(models.Model):
    """One long task of some kind (see objects_app/jobs/): its state, phase, counters, checkpoint.

    The kind's typed parameters are in `params` (validated by the kind, never changed after
    creation); everything that moves is a real column. State changes are conditional UPDATEs
    (objects_app/jobs/engine.py), so a redelivered task never moves a job backwards.
    """

    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    state = models.CharField(
        _("state"), max_length=32, choices=JobState.choices, default=JobState.QUEUED
    )
    # The kind's own step (its declared phases), e.g. "plan" then "delete".
    phase = models.CharField(_("phase"), max_length=32, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, verbose_name=_("owner")
    )
    bucket = models.CharField(_("bucket"), max_length=64)
    params = models.JSONField(default=dict, blank=True)
    # Kinds that allow one live job per subject (an upload of one file) fill this in; the
    # conditional unique constraint below makes a second live one impossible, even when two
    # requests race on PostgreSQL.
    dedupe_key = models.CharField(max_length=64, blank=True, default="")

    total = models.BigIntegerField(null=True, blank=True)
    done = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(null=True, blank=True)
    bytes_done = models.BigIntegerField(default=0)
    # The last planned item (JobItem.seq) whose outcome is committed; -1 before the first.
    checkpoint = models.BigIntegerField(default=-1)
    # Where a listing walk resumes (a key, and a version id when listing versions).
    listing_marker = models.TextField(blank=True, default="")
    listing_version_marker = models.CharField(max_length=128, blank=True, default="")

    plan = models.JSONField(default=dict, blank=True)  # the dry run's summary (counts, bytes)
    choice = models.CharField(max_length=32, blank=True, default="")  # the option confirmed
    result = models.JSONField(default=dict, blank=True)  # the outcome's summary
    error_message = models.TextField(blank=True, default="")

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    plan_expires_at = models.DateTimeField(null=True, blank=True)
    # The run that holds the job (set by the claim); beats and commits of any other run fail.
    run_token = models.CharField(max_length=32, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    rescues = models.PositiveIntegerField(default=0)  # restarts after its run died
    # The last attempt to queue its task failed (the broker was down): the sweep sends it.
    dispatch_pending = models.BooleanField(default=False)
    # Set once the end (outcome) is in the audit log.
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "heartbeat_at"]),
            models.Index(fields=["user", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "dedupe_key"],
                condition=Q(dedupe_key__gt="") & ~Q(state__in=sorted(TERMINAL_STATES)),
                name="job_one_live_per_dedupe_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("objects:job-detail", args=[self.pk])

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_active(self) -> bool:
        """Worth polling: a worker has it or will pick it up."""
        return self.state in ACTIVE_STATES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return max((end - self.started_at).total_seconds(), 0.0)


class ItemOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Written just before the item's (destructive) call; a run that died leaves it here, and
    # the next run asks the kind what really happened instead of acting twice.
    STARTED = "started", _("In progress")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class JobItem(models.Model):
    """One planned unit of a job (a key, a key version, an upload), numbered in plan order.

    The plan is fixed by the dry run, so the job acts on exactly what the user confirmed; the
    outcome column is the per-item report (done / failed with reason / skipped with reason).
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    seq = models.PositiveIntegerField()
    key = models.TextField()
    # What else names the item: a version id (deletes), an upload id (aborts).
    ref = models.CharField(max_length=256, blank=True, default="")
    size = models.BigIntegerField(default=0)
    # The plan subset the item belongs to (deletes: "current" or "older"); confirm picks subsets.
    group = models.CharField(max_length=16, blank=True, default="")
    outcome = models.CharField(
        max_length=8, choices=ItemOutcome.choices, default=ItemOutcome.PENDING
    )
    reason_code = models.CharField(max_length=64, blank=True, default="")
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["job", "seq"]
        # No index on the outcome: each committed window rewrites thousands of outcomes, and the
        # walk reads from its checkpoint on (job, seq); the report scans one job's rows.
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="jobitem_job_seq")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.seq} {self.key}"


class UploadSession(models.Model):
    """A large upload's moving parts: chunks received from the browser, its COS multipart upload.

    The upload's fixed parameters (key, size, chunk size) are the job's typed params.
    """

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, primary_key=True, related_name="upload"
    )
    received = models.PositiveIntegerField(default=0)  # chunks the browser has sent
    upload_id = models.CharField(max_length=256, blank=True, default="", db_index=True)
    # Its multipart upload no longer exists on COS (completed or aborted): nothing to abort.
    upload_closed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"upload {self.job_id}"


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
