"""Deleting what the user selected in the object browser: one entry point, three paths.

Small selections of objects are confirmed in a dialog and deleted in one Delete Multiple call.
Anything larger, any folder, and "everything that matches" go through the batch-delete job,
whose dry run shows the real count before anything is deleted (Django admin's select-across).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from objects_app.models import Job
from objects_app.services import deletes
from objects_app.services.objects import BulkDeleteResult, objects_delete

# Up to this many objects are confirmed and deleted inline; more become a batch-delete job.
INLINE_DELETE_MAX = 100


@dataclass(frozen=True)
class Selection:
    bucket: str
    prefix: str  # the folder shown
    q: str  # the filter inside it
    keys: list[str]
    folders: list[str]
    across: bool  # "everything in this folder that matches", across pages

    @property
    def inline(self) -> bool:
        return not self.across and not self.folders and len(self.keys) <= INLINE_DELETE_MAX


@dataclass(frozen=True)
class InlineConfirm:
    keys: list[str]


def selection_delete(
    *, user: Any, selection: Selection, confirmed: bool
) -> InlineConfirm | BulkDeleteResult | Job:
    """The next step for a selection: a confirmation, the inline result, or a planned job."""
    if selection.inline:
        if not confirmed:
            return InlineConfirm(keys=selection.keys)
        return objects_delete(user=user, bucket=selection.bucket, keys=selection.keys)
    return _plan_job(user=user, selection=selection)


def _plan_job(*, user: Any, selection: Selection) -> Job:
    bucket = selection.bucket
    if selection.across:
        return deletes.delete_plan_start(
            user=user, bucket=bucket, prefix=selection.prefix + selection.q
        )
    if selection.folders and not selection.keys and len(selection.folders) == 1:
        return deletes.delete_plan_start(user=user, bucket=bucket, prefix=selection.folders[0])
    # Objects and folders together: the dry run lists the folders' contents, the keys join them.
    items = [(key, "") for key in selection.keys]
    return deletes.delete_selection_start(
        user=user, bucket=bucket, items=items, folders=selection.folders
    )
