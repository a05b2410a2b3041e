"""Batch deletes (kept importable here for the object browser; the kind lives in
objects_app/jobs/kinds/delete/)."""

from objects_app.jobs.kinds.delete.services import (
    delete_plan_start,
    delete_retry_failed,
    delete_selection_start,
    protected_prefix_for,
)

__all__ = [
    "delete_plan_start",
    "delete_retry_failed",
    "delete_selection_start",
    "protected_prefix_for",
]
