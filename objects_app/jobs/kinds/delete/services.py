"""Starting batch deletes: of everything under a prefix, or of a selection (keys and folders)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from objects_app.errors import ObjectsError
from objects_app.jobs import engine, registry
from objects_app.jobs.items import items_add
from objects_app.jobs.kinds.delete import DeleteParams
from objects_app.jobs.kinds.delete.plan import CURRENT
from objects_app.models import ItemOutcome, Job, JobItem


def protected_prefix_for(prefix: str) -> str | None:
    """The protected prefix a delete of everything under `prefix` would touch, if any."""
    for protected in settings.CONSOLE_PROTECTED_PREFIXES:
        if prefix.startswith(protected) or protected.startswith(prefix):
            return protected
    return None


def _refuse_protected(values: Iterable[str], *, exact: bool) -> None:
    for value in values:
        hit = (
            next((p for p in settings.CONSOLE_PROTECTED_PREFIXES if value.startswith(p)), None)
            if exact
            else protected_prefix_for(value)
        )
        if hit is not None:
            raise ObjectsError(
                _(
                    "Deletes under the protected prefix %(prefix)r are refused "
                    "(CONSOLE_PROTECTED_PREFIXES). Nothing was deleted."
                )
                % {"prefix": hit},
                status=403,
            )


def delete_plan_start(*, user: Any, bucket: str, prefix: str) -> Job:
    """Queue the dry run of deleting everything under `prefix` (counts objects and bytes)."""
    _refuse_protected([prefix], exact=False)
    return engine.job_create(
        kind=registry.get("delete"), user=user, bucket=bucket,
        params=DeleteParams(prefixes=[prefix]),
    )  # fmt: skip


@transaction.atomic
def delete_selection_start(
    *,
    user: Any,
    bucket: str,
    items: list[tuple[str, str]],
    folders: Iterable[str] = (),
    source: Job | None = None,
    sizes: Mapping[tuple[str, str], int] | None = None,
) -> Job:
    """Plan a delete of chosen keys (key, version id) and folders (everything under them).

    The dry run sizes the keys (so the plan states what it frees) and lists the folders. A
    version's size cannot be asked of COS (a delete marker's HEAD is a 404), so chosen versions
    keep the size they come with in `sizes` (a retry knows them from its first plan).
    """
    prefixes = _outermost(folders)
    keys = [(k, v) for k, v in dict.fromkeys(items) if not any(k.startswith(p) for p in prefixes)]
    if not keys and not prefixes:
        raise ObjectsError(_("Nothing selected to delete."))
    _refuse_protected([key for key, _version in keys], exact=True)
    _refuse_protected(prefixes, exact=False)
    kind = registry.get("delete")
    params = DeleteParams(prefixes=prefixes, retry_of=source.pk if source else None)
    # The dry run sizes the keys (plan.py); with no folder to list, whether the plan offers
    # every version is decided here: only when versions were chosen (a retry of some).
    plan: dict[str, Any] = {"selected": len(keys)}
    if not prefixes:
        plan["versioned"] = any(version for _key, version in keys)
    detail = f"{len(keys)} keys, {len(prefixes)} folders"
    job = engine.job_create(kind=kind, user=user, bucket=bucket, params=params, detail=detail,
                            done=len(keys), plan=plan)  # fmt: skip
    known = sizes or {}
    items_add(job, (JobItem(key=k, ref=v, size=known.get((k, v), 0), group=CURRENT)
                    for k, v in keys))  # fmt: skip
    return job


def _outermost(folders: Iterable[str]) -> list[str]:
    """Sorted folders, without those inside another selected folder."""
    chosen: list[str] = []
    for folder in sorted(set(folders)):
        if not any(folder.startswith(outer) for outer in chosen):
            chosen.append(folder)
    return chosen


def delete_retry_failed(*, user: Any, job: Job) -> Job:
    """A new delete job for the items that failed in `job`."""
    if job.kind != "delete":
        raise ObjectsError(_("Only batch deletes can retry their failed items."), status=409)
    failed = job.items.filter(outcome=ItemOutcome.FAILED).order_by("seq")
    sizes = {(item.key, item.ref): item.size for item in failed}
    if not sizes:
        raise ObjectsError(_("This job has no failed items to retry."), status=409)
    return delete_selection_start(
        user=user, bucket=job.bucket, items=list(sizes), source=job, sizes=sizes
    )
