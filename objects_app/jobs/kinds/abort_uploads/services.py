"""Unfinished multipart uploads: abort one now, or start an abort job (selection, older than)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from objects_app.cos import CosServiceError
from objects_app.errors import ObjectsError
from objects_app.jobs import actions, engine, registry
from objects_app.jobs.kinds.abort_uploads import AbortParams
from objects_app.jobs.kinds.abort_uploads.plan import owners
from objects_app.models import Job
from objects_app.services.audit import audited
from objects_app.storage import get_cos_client

MAX_SELECTION = 1000
MAX_DAYS = 36_500


def upload_owner(upload_id: str) -> int | None:
    """The running console upload job using this upload, if any."""
    return owners([upload_id]).get(upload_id)


def multipart_abort(*, user: Any, bucket: str, key: str, upload_id: str, force: bool) -> None:
    """Abort one upload. One a running console upload job uses is refused unless `force`;
    then that job is cancelled with the reason."""
    owner = owners([upload_id]).get(upload_id)
    if owner is not None and not force:
        raise ObjectsError(
            _("Console upload job #%(job)s is using this upload; tick \"abort it anyway\" to "
              "abort it (that job is then cancelled).") % {"job": owner},
            status=409,
        )  # fmt: skip
    with audited(user=user, action="multipart.abort", bucket=bucket, key=key,
                 detail=f"upload id {upload_id}"):  # fmt: skip
        if owner is not None:
            actions.job_cancel_by_system(
                owner,
                reason=_(
                    "Its multipart upload was aborted from the Unfinished uploads page."
                ),  # fmt: skip
            )
        try:
            get_cos_client().abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except CosServiceError as exc:
            if exc.get_error_code() != "NoSuchUpload":
                raise
            raise ObjectsError(
                _("This upload no longer exists (completed or aborted meanwhile)."), status=404
            ) from None


def abort_selection_start(*, user: Any, bucket: str, uploads: list[tuple[str, str]]) -> Job:
    """A dry run of aborting the chosen uploads (key, upload id); the user confirms next."""
    chosen = sorted(set(uploads))
    if not chosen:
        raise ObjectsError(_("Select at least one upload."))
    if len(chosen) > MAX_SELECTION:
        raise ObjectsError(_("Select at most %(n)s uploads at once.") % {"n": MAX_SELECTION})
    params = AbortParams(selection=[[k, u] for k, u in chosen])
    return engine.job_create(kind=registry.get("abort_uploads"), user=user, bucket=bucket,
                             params=params)  # fmt: skip


def abort_older_start(*, user: Any, bucket: str, prefix: str, days: int) -> Job:
    """A dry run of aborting every upload under `prefix` begun more than `days` days ago."""
    if not 0 <= days <= MAX_DAYS:
        raise ObjectsError(_("Give a number of days from 0 to %(max)s.") % {"max": MAX_DAYS})
    params = AbortParams(prefix=prefix, older_than_days=days)
    return engine.job_create(kind=registry.get("abort_uploads"), user=user, bucket=bucket,
                             params=params)  # fmt: skip
