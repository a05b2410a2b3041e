"""Object writes: upload, folder, delete, copy/move/rename, metadata, storage class, share.

Every action is audited (success and failure) through `audited`. COS calls are not wrapped in a
DB transaction: the audit row of a failed call must survive.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from objects_app import archive
from objects_app.cos import CosClientError, CosServiceError
from objects_app.errors import InvalidInput, ObjectsError
from objects_app.models import AuditEvent
from objects_app.selectors.objects import (
    detail_from_headers,
    object_presigned_url,
    share_headers,
)
from objects_app.services.audit import audit_record_many, audited
from objects_app.storage import get_cos_client


def object_upload(
    *, user: Any, bucket: str, key: str, body: IO[bytes], size: int, content_type: str
) -> str:
    """Put one file (at most CONSOLE_DIRECT_UPLOAD_MAX_BYTES, checked by the form)."""
    with audited(user=user, action="object.upload", bucket=bucket, key=key) as draft:
        draft.detail = f"{size} bytes"
        headers = get_cos_client().put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentLength=str(size),
            ContentType=content_type or "application/octet-stream",
        )
        draft.took(headers)
    return key


def folder_create(*, user: Any, bucket: str, prefix: str, name: str) -> str:
    """A folder is an empty object whose key ends in '/'."""
    key = f"{prefix}{name}/"
    with audited(user=user, action="folder.create", bucket=bucket, key=key) as draft:
        if _exists(bucket, key):
            raise ObjectsError(
                _("The folder %(key)s already exists.") % {"key": key},
                status=409,
                fields={"name": [_("A folder with this name already exists here.")]},
            )
        draft.took(get_cos_client().put_object(Bucket=bucket, Key=key, Body=b""))
    return key


def object_delete(*, user: Any, bucket: str, key: str) -> None:
    """Delete the current version (on a versioned bucket this leaves a delete marker)."""
    with audited(user=user, action="object.delete", bucket=bucket, key=key) as draft:
        draft.took(get_cos_client().delete_object(Bucket=bucket, Key=key))


@dataclass
class BulkDeleteResult:
    deleted: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (key, "Code: message")


def objects_delete(*, user: Any, bucket: str, keys: list[str]) -> BulkDeleteResult:
    """Delete up to one page of keys in ONE delete_objects call; per-key errors are reported."""
    try:
        response = get_cos_client().delete_objects(
            Bucket=bucket, Delete={"Quiet": "false", "Object": [{"Key": k} for k in keys]}
        )
    except Exception as exc:
        detail = f"{type(exc).__name__}: whole request failed"
        if isinstance(exc, CosServiceError):
            detail = f"{exc.get_error_code()}: {exc.get_error_msg()}"
        rows = [{"key": k, "outcome": AuditEvent.Outcome.ERROR, "detail": detail} for k in keys]
        audit_record_many(user=user, action="object.delete", bucket=bucket, rows=rows)
        raise
    result = _bulk_result(response)
    audit_record_many(user=user, action="object.delete", bucket=bucket, rows=_bulk_rows(result))
    return result


def _bulk_result(response: dict[str, Any]) -> BulkDeleteResult:
    result = BulkDeleteResult()
    result.deleted = [str(item.get("Key", "")) for item in response.get("Deleted") or []]
    result.errors = [
        (str(item.get("Key", "")), f"{item.get('Code', 'Error')}: {item.get('Message', '')}")
        for item in response.get("Error") or []
    ]
    return result


def _bulk_rows(result: BulkDeleteResult) -> list[dict[str, str]]:
    rows = [{"key": key, "detail": "multi-select delete"} for key in result.deleted]
    rows += [
        {"key": key, "outcome": AuditEvent.Outcome.ERROR, "detail": message}
        for key, message in result.errors
    ]
    return rows


def _exists(bucket: str, key: str) -> bool:
    return bool(get_cos_client().object_exists(Bucket=bucket, Key=key))


def _head(bucket: str, key: str, version_id: str = "") -> dict[str, str]:
    kwargs = {"VersionId": version_id} if version_id else {}
    return get_cos_client().head_object(Bucket=bucket, Key=key, **kwargs)


def object_copy(
    *,
    user: Any,
    bucket: str,
    key: str,
    dest_bucket: str,
    dest_key: str,
    move: bool = False,
    overwrite: bool = False,
    action: str = "copy",
) -> str:
    """Copy (or move: copy, then delete the source) keeping metadata and storage class.

    An existing destination is refused unless `overwrite`. If the copy fails nothing is
    deleted; the source is deleted only after the copy succeeded.
    """
    dest_bucket = dest_bucket or bucket
    if (dest_bucket, dest_key) == (bucket, key):
        raise InvalidInput(
            _("The destination is the object itself."),
            fields={"dest_key": [_("Choose another name or folder.")]},
        )
    detail = f"to {dest_bucket}/{dest_key}"
    with audited(
        user=user, action=f"object.{action}", bucket=bucket, key=key, detail=detail
    ) as draft:
        source = detail_from_headers(bucket, key, _head(bucket, key))
        existed = _exists(dest_bucket, dest_key)
        if existed and not overwrite:
            raise ObjectsError(
                _("%(key)s already exists in %(bucket)s; tick “overwrite” to replace it.")
                % {"key": dest_key, "bucket": dest_bucket},
                status=409,
                fields={"overwrite": [_("Tick this to replace the existing object.")]},
            )
        response = get_cos_client().copy(
            Bucket=dest_bucket,
            Key=dest_key,
            CopySource={"Bucket": bucket, "Key": key},
            CopyStatus="Copy",
            StorageClass=source.storage_class,
        )
        draft.took(response)
        if move:
            _delete_source_or_undo(bucket, key, dest_bucket, dest_key, undo=not existed)
    return dest_key


def _delete_source_or_undo(
    bucket: str, key: str, dest_bucket: str, dest_key: str, *, undo: bool
) -> None:
    """The second half of a move. If it fails, remove the fresh copy again (when it was new), so
    the user is left with the source only, never with both halves of a move."""
    client = get_cos_client()
    try:
        client.delete_object(Bucket=bucket, Key=key)
    except (CosServiceError, CosClientError):
        if undo:
            with suppress(CosServiceError, CosClientError):
                client.delete_object(Bucket=dest_bucket, Key=dest_key)
        raise


def _replace_in_place(
    bucket: str, key: str, *, headers: dict[str, str], metadata: dict[str, str], storage_class: str
) -> dict[str, Any]:
    """Self-copy with Replaced: COS needs every header again, or it drops them."""
    return get_cos_client().copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        CopyStatus="Replaced",
        StorageClass=storage_class,
        Metadata=metadata,
        **headers,
    )


SDK_HEADER_NAMES = {
    "Content-Type": "ContentType",
    "Cache-Control": "CacheControl",
    "Content-Disposition": "ContentDisposition",
    "Content-Encoding": "ContentEncoding",
    "Content-Language": "ContentLanguage",
    "Expires": "Expires",
}


def object_metadata_update(
    *, user: Any, bucket: str, key: str, headers: dict[str, str], metadata: dict[str, str]
) -> None:
    """Replace content headers and x-cos-meta-* (storage class kept)."""
    with audited(user=user, action="object.metadata", bucket=bucket, key=key) as draft:
        current = detail_from_headers(bucket, key, _head(bucket, key))
        draft.detail = f"meta: {', '.join(sorted(metadata)) or 'none'}"
        response = _replace_in_place(
            bucket, key, headers=headers, metadata=metadata, storage_class=current.storage_class
        )
        draft.took(response)


def object_storage_class_change(*, user: Any, bucket: str, key: str, storage_class: str) -> None:
    """Self-copy into another class, keeping content headers and metadata."""
    with audited(user=user, action="object.storage_class", bucket=bucket, key=key) as draft:
        current = detail_from_headers(bucket, key, _head(bucket, key))
        draft.detail = f"{current.storage_class} -> {storage_class}"
        headers = {SDK_HEADER_NAMES[name]: value for name, value in current.content_headers.items()}
        response = _replace_in_place(
            bucket, key, headers=headers, metadata=current.metadata, storage_class=storage_class
        )
        draft.took(response)


def object_restore(*, user: Any, bucket: str, key: str, days: int, tier: str) -> None:
    """Ask COS for a temporary readable copy of an ARCHIVE/DEEP_ARCHIVE object.

    The tier is checked against the object's class first (COS refuses Expedited for
    DEEP_ARCHIVE), so nothing is sent that COS would refuse.
    """
    with audited(user=user, action="object.restore", bucket=bucket, key=key) as draft:
        draft.detail = f"{days} day(s), tier {tier}"
        storage_class = detail_from_headers(bucket, key, _head(bucket, key)).storage_class
        if storage_class not in archive.ARCHIVE_CLASSES:
            raise ObjectsError(
                _("Only ARCHIVE and DEEP_ARCHIVE objects need restoring; this one is %(cls)s.")
                % {"cls": storage_class}
            )
        if not archive.tier_accepted(storage_class, tier):
            accepted = ", ".join(t.name for t in archive.tiers_for(storage_class))
            raise InvalidInput(
                _("COS does not accept the %(tier)s tier for %(cls)s objects.")
                % {"tier": tier, "cls": storage_class},
                fields={"tier": [_("Choose one of: %(tiers)s.") % {"tiers": accepted}]},
            )
        get_cos_client().restore_object(
            Bucket=bucket,
            Key=key,
            RestoreRequest={"Days": days, "CASJobParameters": {"Tier": tier}},
        )


def object_share(*, user: Any, bucket: str, key: str, version_id: str, expires: int) -> str:
    """A presigned GET URL; recorded because it hands the object to whoever holds the link."""
    with audited(
        user=user, action="object.share", bucket=bucket, key=key, version_id=version_id
    ) as draft:
        draft.detail = f"expires in {expires} s"
        # HEAD first: a link to nothing helps nobody (fail clearly now), and on a versioned
        # bucket it names the current version, which the link pins so older ones stay out.
        detail = detail_from_headers(bucket, key, _head(bucket, key, version_id))
        draft.version_id = version_id or detail.version_id
        return object_presigned_url(
            bucket=bucket, key=key, expires=expires, version_id=draft.version_id,
            response_headers=share_headers(key=key, content_type=detail.content_type),
        )  # fmt: skip
