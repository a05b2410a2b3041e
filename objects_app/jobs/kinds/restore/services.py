"""Starting restore campaigns: from the browser's Restore… dialog (a selection, a folder, a CSV),
and as a one-object campaign after a restore from the object page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from objects_app.errors import ObjectsError
from objects_app.jobs import engine, registry
from objects_app.jobs.kinds.restore import RestoreParams
from objects_app.jobs.kinds.restore.targets import expected_by, first_check, tier_for
from objects_app.models import Job
from objects_app.restore_models import RestoreCampaign, RestoreState, RestoreTarget
from objects_app.services.restore_plan import Line, Verdict, lines_from_keys, read_csv


def campaign_lines(*, source: dict[str, Any], upload: Any) -> list[Line]:
    """The keys the user gave, each with the verdicts that need no COS (a CSV is checked
    whole first: size, lines, encoding). A folder's keys come from its listing, later."""
    if source["source"] == "selection":
        return lines_from_keys(source["selected"])
    if source["source"] != "csv":
        return []
    if upload is None:
        raise ObjectsError(
            _("Choose a CSV file of keys."), fields={"csv_file": [_("Choose a file.")]}
        )
    return read_csv(
        upload, size=upload.size, max_bytes=settings.CONSOLE_RESTORE_CSV_MAX_BYTES,
        max_lines=settings.CONSOLE_RESTORE_CSV_MAX_LINES,
    )  # fmt: skip


def _params(source: dict[str, Any], options: dict[str, Any], tiers: dict[str, str],
            upload: Any) -> RestoreParams:  # fmt: skip
    kind = source["source"]
    prefixes = {"folder": [source["prefix"] + source["q"]],
                "selection": list(source.get("selected_folders") or [])}.get(kind, [])  # fmt: skip
    label = {"folder": source["prefix"] + source["q"], "csv": getattr(upload, "name", ""),
             "selection": source["prefix"]}.get(kind, "")  # fmt: skip
    return RestoreParams(
        source=kind, label=label[:200], prefixes=prefixes, classes=list(source["classes"]),
        days=options["days"], tier_archive=tiers["ARCHIVE"],
        tier_deep_archive=tiers["DEEP_ARCHIVE"], rate=options["rate"],
        copy_to=options.get("copy_to") or "", copy_prefix=options.get("copy_prefix") or "",
    )  # fmt: skip


def _target(job: Job, line: Line) -> RestoreTarget:
    key = line.key if line.verdict != Verdict.INVALID else line.key.replace("\x00", "\ufffd")
    return RestoreTarget(
        job=job, seq=line.number, key=key, verdict=line.verdict, detail=line.detail,
        state=RestoreState.SKIPPED if line.verdict else RestoreState.QUEUED,
    )  # fmt: skip


def campaign_start(
    *, user: Any, bucket: str, source: dict[str, Any], options: dict[str, Any],
    tiers: dict[str, str], lines: list[Line], upload: Any = None,
) -> Job:  # fmt: skip
    """Queue the campaign's dry run; nothing is requested before the user confirms its plan."""
    params = _params(source, options, tiers, upload)
    with transaction.atomic():
        job = engine.job_create(kind=registry.get("restore"), user=user, bucket=bucket,
                                params=params)  # fmt: skip
        RestoreCampaign.objects.create(job=job)
        RestoreTarget.objects.bulk_create((_target(job, line) for line in lines), batch_size=2000)
    return job


def object_campaign_start(*, user: Any, bucket: str, key: str, storage_class: str, days: int,
                          tier: str) -> Job:  # fmt: skip
    """A restore the object page just requested, followed like any campaign (of one object)."""
    field = "tier_deep_archive" if storage_class == "DEEP_ARCHIVE" else "tier_archive"
    params = RestoreParams(source="object", label=key[:200], classes=[storage_class], days=days,
                           **{field: tier})  # type: ignore[arg-type]  # fmt: skip
    now = timezone.now()
    chosen = tier_for(params, storage_class)
    with transaction.atomic():
        job = engine.job_create(
            kind=registry.get("restore"), user=user, bucket=bucket, params=params, phase="track",
            total=1, choice="start", plan={"actionable": 1, "lines": 1},
        )  # fmt: skip
        RestoreTarget.objects.create(
            job=job, seq=1, key=key, verdict=Verdict.REQUEST, storage_class=storage_class,
            state=RestoreState.REQUESTED, requested_at=now, next_check_at=first_check(chosen, now),
        )  # fmt: skip
        RestoreCampaign.objects.create(job=job, requested=1, expected_by=expected_by(chosen, now))
    return job
