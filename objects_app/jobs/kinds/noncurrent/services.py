"""Starting the dry run of deleting noncurrent versions under a prefix (admins only)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from objects_app.errors import ObjectsError
from objects_app.jobs import engine, registry
from objects_app.jobs.kinds.delete.services import protected_prefix_for
from objects_app.jobs.kinds.noncurrent import NoncurrentParams
from objects_app.models import Job
from objects_app.selectors.browse import bucket_versioning

MAX_KEEP = 10_000
MAX_DAYS = 36_500


def noncurrent_start(
    *, user: Any, bucket: str, prefix: str, keep: int | None, older_than_days: int | None
) -> Job:
    if keep is None and older_than_days is None:
        message = _("Give a number of versions to keep, a number of days, or both.")
        raise ObjectsError(message, status=422, fields={"keep": [message]})
    if keep is not None and not 0 <= keep <= MAX_KEEP:
        message = _("Keep from 0 to %(max)s noncurrent versions.") % {"max": MAX_KEEP}
        raise ObjectsError(message, status=422, fields={"keep": [message]})
    if older_than_days is not None and not 0 <= older_than_days <= MAX_DAYS:
        message = _("Give a number of days from 0 to %(max)s.") % {"max": MAX_DAYS}
        raise ObjectsError(message, status=422, fields={"days": [message]})
    protected = protected_prefix_for(prefix)
    if protected is not None:
        raise ObjectsError(
            _("Deletes under the protected prefix %(prefix)r are refused "
              "(CONSOLE_PROTECTED_PREFIXES). Nothing was deleted.") % {"prefix": protected},
            status=403,
        )  # fmt: skip
    if bucket_versioning(bucket) not in ("Enabled", "Suspended"):
        raise ObjectsError(
            _("Bucket %(bucket)s has never had versioning: it has no noncurrent versions.")
            % {"bucket": bucket},
            status=409,
        )
    params = NoncurrentParams(prefix=prefix, keep=keep, older_than_days=older_than_days)
    return engine.job_create(kind=registry.get("noncurrent"), user=user, bucket=bucket,
                             params=params)  # fmt: skip
