"""The job engine (objects_app/jobs): explicit phases and engine fields, typed params per kind,
the per-item outcome report, an upload's moving parts in UploadSession, and one live upload per
file enforced by a conditional unique constraint. Existing jobs are converted in place."""

import hashlib
from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

TERMINAL = {"succeeded", "partially_failed", "failed", "cancelled"}


def convert_jobs(apps, schema_editor):
    Job = apps.get_model("objects_app", "Job")
    JobItem = apps.get_model("objects_app", "JobItem")
    UploadSession = apps.get_model("objects_app", "UploadSession")
    UploadPart = apps.get_model("objects_app", "UploadPart")
    now = timezone.now()
    live_keys = set()  # the race this migration's constraint prevents may have left twins
    for job in Job.objects.order_by("-pk").iterator():
        old = dict(job.params or {})
        terminal = job.state in TERMINAL
        if terminal:
            job.outcome_recorded_at = job.finished_at or now
        if job.kind == "prefix_summary":
            job.phase, job.params = "count", {"prefix": job.prefix}
        elif job.kind == "delete":
            _convert_delete(job, old, now)
            cursor = int(job.cursor) if str(job.cursor or "").lstrip("-").isdigit() else -1
            job.checkpoint = cursor
            for item in JobItem.objects.filter(job=job).iterator():
                item.ref, item.reason_code, item.reason = (
                    item.version_id, item.error_code, item.error_message,
                )
                item.group = "current" if item.current else "older"
                if item.error_code:
                    item.outcome = "failed"
                elif item.seq <= cursor:
                    item.outcome = "done"
                item.save()
        elif job.kind == "upload":
            _convert_upload(job, old, terminal, UploadSession, UploadPart)
            if job.dedupe_key in live_keys:
                job.dedupe_key = ""
            live_keys.add(job.dedupe_key)
        job.save()


def _convert_delete(job, old, now):
    phase = old.get("phase", "plan")
    job.phase = "delete" if phase == "delete" else "plan"
    selection = "retry_of" in old
    job.params = {"prefixes": [] if selection else [job.prefix], "retry_of": old.get("retry_of")}
    summary = job.result if phase in ("confirm", "delete") or job.state == "pending" else {}
    job.plan = {**{k: v for k, v in (summary or {}).items() if k in ("current", "all")},
                "versioned": bool(old.get("versioned"))}
    job.choice = old.get("mode", "")
    if job.state == "pending":
        job.state, job.plan_expires_at = "awaiting_confirm", now + timedelta(days=1)


def _convert_upload(job, old, terminal, UploadSession, UploadPart):
    job.phase = "transfer"
    fingerprint, chunk = str(old.get("fingerprint", "")), int(old.get("chunk_size") or 0)
    job.params = {"key": job.prefix, "size": int(job.bytes_total or 0),
                  "fingerprint": fingerprint, "chunk_size": chunk}
    UploadSession.objects.create(
        job=job, received=job.done, upload_id=str(old.get("upload_id") or ""),
        upload_closed=bool(old.get("aborted")) or job.state == "succeeded",
    )
    job.done = UploadPart.objects.filter(job=job).count() if not terminal else job.total or 0
    if job.state == "pending":
        job.state = "awaiting_input"
    if not terminal:
        parts = [str(job.user_id or ""), job.bucket, job.prefix, str(job.bytes_total), fingerprint]
        job.dedupe_key = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()



class Migration(migrations.Migration):

    dependencies = [
        ('objects_app', '0004_upload_parts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UploadSession',
            fields=[
                ('job', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='upload', serialize=False, to='objects_app.job')),
                ('received', models.PositiveIntegerField(default=0)),
                ('upload_id', models.CharField(blank=True, db_index=True, default='', max_length=256)),
                ('upload_closed', models.BooleanField(default=False)),
            ],
        ),
        migrations.AddField(
            model_name='job',
            name='checkpoint',
            field=models.BigIntegerField(default=-1),
        ),
        migrations.AddField(
            model_name='job',
            name='choice',
            field=models.CharField(blank=True, default='', max_length=32),
        ),
        migrations.AddField(
            model_name='job',
            name='dedupe_key',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddField(
            model_name='job',
            name='dispatch_pending',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='job',
            name='listing_marker',
            field=models.TextField(blank=True, default=''),
        ),
        migrations.AddField(
            model_name='job',
            name='listing_version_marker',
            field=models.CharField(blank=True, default='', max_length=128),
        ),
        migrations.AddField(
            model_name='job',
            name='outcome_recorded_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='job',
            name='phase',
            field=models.CharField(default='', max_length=32, verbose_name='phase'),
        ),
        migrations.AddField(
            model_name='job',
            name='plan',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='job',
            name='plan_expires_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='job',
            name='rescues',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='job',
            name='run_token',
            field=models.CharField(blank=True, default='', max_length=32),
        ),
        migrations.AddField(
            model_name='job',
            name='skipped',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='jobitem',
            name='group',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
        migrations.AddField(
            model_name='jobitem',
            name='outcome',
            field=models.CharField(choices=[('pending', 'Pending'), ('started', 'In progress'), ('done', 'Done'), ('failed', 'Failed'), ('skipped', 'Skipped')], default='pending', max_length=8),
        ),
        migrations.AddField(
            model_name='jobitem',
            name='reason',
            field=models.TextField(blank=True, default=''),
        ),
        migrations.AddField(
            model_name='jobitem',
            name='reason_code',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddField(
            model_name='jobitem',
            name='ref',
            field=models.CharField(blank=True, default='', max_length=256),
        ),
        migrations.RunPython(convert_jobs, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='job',
            name='cursor',
        ),
        migrations.RemoveField(
            model_name='job',
            name='prefix',
        ),
        migrations.RemoveField(
            model_name='jobitem',
            name='current',
        ),
        migrations.RemoveField(
            model_name='jobitem',
            name='error_code',
        ),
        migrations.RemoveField(
            model_name='jobitem',
            name='error_message',
        ),
        migrations.RemoveField(
            model_name='jobitem',
            name='version_id',
        ),
        migrations.AlterField(
            model_name='job',
            name='bucket',
            field=models.CharField(max_length=64, verbose_name='bucket'),
        ),
        migrations.AlterField(
            model_name='job',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='job',
            name='finished_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='finished'),
        ),
        migrations.AlterField(
            model_name='job',
            name='kind',
            field=models.CharField(db_index=True, max_length=32, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='job',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='started'),
        ),
        migrations.AlterField(
            model_name='job',
            name='state',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('awaiting_confirm', 'Waiting for confirmation'), ('awaiting_input', 'Waiting for the browser'), ('succeeded', 'Succeeded'), ('partially_failed', 'Partially failed'), ('failed', 'Failed'), ('cancelled', 'Cancelled'), ('expired', 'Plan expired')], default='queued', max_length=32, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='job',
            name='user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        migrations.AddIndex(
            model_name='job',
            index=models.Index(fields=['user', 'created_at'], name='objects_app_user_id_bcbd37_idx'),
        ),
        migrations.AddConstraint(
            model_name='job',
            constraint=models.UniqueConstraint(condition=models.Q(('dedupe_key__gt', ''), models.Q(('state__in', ['cancelled', 'expired', 'failed', 'partially_failed', 'succeeded']), _negated=True)), fields=('kind', 'dedupe_key'), name='job_one_live_per_dedupe_key'),
        ),
    ]
