"""Restore campaigns (issue 14): a job of kind "restore" that follows every object it was given
until its data is readable. Imported by objects_app.models, so Django registers these models.

Each object is a RestoreTarget row with its own state; the campaign row keeps a counter per state,
moved in the same transaction as the targets, so the campaign page reads its counts from one row
whatever the campaign's size.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RestoreState(models.TextChoices):
    QUEUED = "queued", _("Queued")  # planned; no request sent yet
    REQUESTED = "requested", _("Requested")  # COS accepted the request; not seen restoring yet
    IN_PROGRESS = "in_progress", _("In progress")  # COS says it is restoring
    READY = "ready", _("Ready")  # readable (until its expiry)
    EXPIRED = "expired", _("Expired")  # its readable copy expired: archived again
    FAILED = "failed", _("Failed")  # COS refused, or the object went away
    SKIPPED = "skipped", _("Skipped")  # the plan's verdict: nothing to do for this line


# States the campaign still follows with HEADs.
TRACKED_STATES = (RestoreState.REQUESTED, RestoreState.IN_PROGRESS)
# States that end an object's part in the campaign.
SETTLED_STATES = (RestoreState.READY, RestoreState.EXPIRED, RestoreState.FAILED)


class CopyState(models.TextChoices):
    NONE = "", _("No copy")
    PENDING = "pending", _("Copy waiting")
    DONE = "done", _("Copied")
    FAILED = "failed", _("Copy failed")


class RestoreCampaign(models.Model):
    """The campaign's counters (one per state), next to its Job row."""

    job = models.OneToOneField(
        "objects_app.Job", on_delete=models.CASCADE, primary_key=True, related_name="restore"
    )
    queued = models.BigIntegerField(default=0)
    requested = models.BigIntegerField(default=0)
    in_progress = models.BigIntegerField(default=0)
    ready = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)
    copy_pending = models.BigIntegerField(default=0)
    copied = models.BigIntegerField(default=0)
    copy_failed = models.BigIntegerField(default=0)
    # When COS's documented times say the last request sent should be readable.
    expected_by = models.DateTimeField(null=True, blank=True)
    # The earliest next HEAD of a followed object (when the tracking step wakes up).
    next_check_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"restore campaign {self.job_id}"

    def count(self, state: str) -> int:
        return int(getattr(self, state))


class RestoreTarget(models.Model):
    """One object of a campaign: the plan's verdict on it, then its restore state."""

    job = models.ForeignKey(
        "objects_app.Job", on_delete=models.CASCADE, related_name="restore_targets"
    )
    seq = models.PositiveIntegerField()  # the CSV line, or the place in the selection / listing
    key = models.TextField()
    verdict = models.CharField(max_length=16, blank=True, default="")  # "" until judged
    detail = models.CharField(max_length=128, blank=True, default="")  # data for its words
    storage_class = models.CharField(max_length=24, blank=True, default="")
    size = models.BigIntegerField(default=0)
    state = models.CharField(
        max_length=12, choices=RestoreState.choices, default=RestoreState.QUEUED
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expiry = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)  # HEADs while following it
    error_code = models.CharField(max_length=64, blank=True, default="")
    copy_state = models.CharField(
        max_length=8, choices=CopyState.choices, blank=True, default=CopyState.NONE
    )
    copy_key = models.TextField(blank=True, default="")
    copy_error = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="restoretarget_job_seq")]
        indexes = [
            models.Index(fields=["job", "state", "seq"]),
            models.Index(fields=["job", "verdict", "seq"]),
            models.Index(fields=["job", "state", "next_check_at"]),
            models.Index(fields=["job", "copy_state", "seq"]),
            models.Index(fields=["state", "expiry"]),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.seq} {self.key} ({self.state})"


class Notification(models.Model):
    """Something the console tells one user (a campaign is ready); shown in the header."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_notifications"
    )
    job = models.ForeignKey("objects_app.Job", null=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"notification {self.pk} for {self.user_id}"
