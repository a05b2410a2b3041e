"""Version history writes: make a version current, delete one for good, undelete, versioning.

Every action is audited (who made which version current, deleted which version, undeleted
what). Making current and undeleting never delete a version of content: the first copies the
old version onto the key (a new current version), the second removes delete markers only.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from objects_app.cos import CosServiceError
from objects_app.errors import ObjectsError
from objects_app.models import AuditEvent
from objects_app.selectors.objects import detail_from_headers
from objects_app.selectors.versions import (
    MARKER,
    MISSING,
    merged_rows,
    version_lookup,
    version_missing_error,
)
from objects_app.services.audit import audit_record_many, audited
from objects_app.storage import get_cos_client

# Undelete looks at each selected key's newest entries; this many keys are looked at at once.
UNDELETE_THREADS = 8
UNDELETE_MAX_KEYS = 1000  # one Delete Multiple request; larger selections are refused
VERSIONING_STATES = ("Enabled", "Suspended")


def _current_version_id(bucket: str, key: str) -> str | None:
    """The current version's id ("null" when it has none); None when the key has no current."""
    try:
        headers = get_cos_client().head_object(Bucket=bucket, Key=key)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return None
        raise
    return str(headers.get("x-cos-version-id") or "null")


def version_make_current(*, user: Any, bucket: str, key: str, version_id: str) -> str:
    """Copy version `version_id` onto its own key, so it becomes the current version again.

    Returns the new current version's id. Refused for a delete marker (nothing to copy), for the
    version that is already current, and with "deleted meanwhile" when the version is gone.
    """
    with audited(
        user=user, action="version.make_current", bucket=bucket, key=key, version_id=version_id
    ) as draft:
        state, headers = version_lookup(bucket=bucket, key=key, version_id=version_id)
        _refuse_unless_version(state, key, version_id)
        if _current_version_id(bucket, key) == version_id:
            raise ObjectsError(
                _("Version %(version)s is already the current version of %(key)s.")
                % {"version": version_id, "key": key},
                status=409,
            )
        source = detail_from_headers(bucket, key, headers)
        response = _copy_version(bucket, key, version_id, source.storage_class)
        new_id = str(response.get("x-cos-version-id") or response.get("VersionId") or "null")
        draft.detail = f"copied onto the key as version {new_id}"
        draft.request_id = str(response.get("x-cos-request-id") or "")
    return new_id


def _refuse_unless_version(state: str, key: str, version_id: str) -> None:
    if state == MARKER:
        raise ObjectsError(
            _(
                "A delete marker has no content to make current. To bring %(key)s back, make "
                "one of its versions current, or undelete it."
            )
            % {"key": key},
            status=422,
        )
    if state == MISSING:
        raise ObjectsError(
            _(
                "Version %(version)s of %(key)s was deleted meanwhile; nothing was changed. "
                "Reload to see the versions that exist now."
            )
            % {"version": version_id, "key": key},
            status=404,
        )


def _copy_version(bucket: str, key: str, version_id: str, storage_class: str) -> dict[str, Any]:
    """`key?versionId=V` copied onto `key` (directive Copy: its metadata comes back too)."""
    try:
        return get_cos_client().copy(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id},
            CopyStatus="Copy",
            StorageClass=storage_class,
        )
    except CosServiceError as exc:
        if exc.get_status_code() == 404:  # gone between our HEAD and the copy
            _refuse_unless_version(MISSING, key, version_id)
        raise


@dataclass(frozen=True)
class VersionDeleted:
    key: str
    version_id: str
    was_delete_marker: bool
    key_has_current: bool  # after the delete: is there a current version to show?


def version_delete(*, user: Any, bucket: str, key: str, version_id: str) -> VersionDeleted:
    """Delete one version or delete marker permanently (there is no undo)."""
    with audited(
        user=user, action="version.delete", bucket=bucket, key=key, version_id=version_id
    ) as draft:
        state, headers = version_lookup(bucket=bucket, key=key, version_id=version_id)
        if state == MISSING:
            raise version_missing_error(key, version_id)
        draft.detail = "delete marker" if state == MARKER else f"{headers.get('Content-Length')} B"
        response = get_cos_client().delete_object(Bucket=bucket, Key=key, VersionId=version_id)
        draft.request_id = str(response.get("x-cos-request-id") or "")
    has_current = _current_version_id(bucket, key) is not None
    return VersionDeleted(key, version_id, state == MARKER, has_current)


# --- undelete ------------------------------------------------------------------------------------


@dataclass
class UndeleteResult:
    restored: list[tuple[str, str]] = field(default_factory=list)  # (key, version now current)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (key, "Code: message")


@dataclass(frozen=True)
class _Plan:
    key: str
    markers: list[str]  # delete markers above the newest version, newest first
    version_id: str = ""  # the version that becomes current
    reason: str = ""  # why nothing is done ("" when there is something to do)


def _history(bucket: str, key: str) -> Iterator[Any]:
    """The key's entries, newest first, page after page (stops at the first other key)."""
    client, key_marker, version_marker = get_cos_client(), "", ""
    while True:
        result = client.list_objects_versions(
            Bucket=bucket, Prefix=key, KeyMarker=key_marker, VersionIdMarker=version_marker,
            MaxKeys=100,
        )  # fmt: skip
        for row in merged_rows(result):
            if row.key != key:
                return
            yield row
        version_marker = str(result.get("NextVersionIdMarker") or "")
        if str(result.get("IsTruncated")).lower() != "true" or not version_marker:
            return
        key_marker = key


def _undelete_plan(bucket: str, key: str) -> _Plan:
    markers: list[str] = []
    for row in _history(bucket, key):
        if not row.is_delete_marker:
            if not markers:
                return _Plan(key, [], reason=_("not deleted: its latest version is current"))
            return _Plan(key, markers, version_id=row.version_id or "null")
        markers.append(row.version_id or "null")
    if markers:
        return _Plan(key, [], reason=_("no earlier version to bring back"))
    return _Plan(key, [], reason=_("no such key"))


def objects_undelete(*, user: Any, bucket: str, keys: list[str]) -> UndeleteResult:
    """Remove the delete markers above each key's newest version, so that version is current.

    Only delete markers are removed (one Delete Multiple request for the whole selection); a
    key that was written again meanwhile is "not deleted" and left alone.
    """
    if len(keys) > UNDELETE_MAX_KEYS:
        raise ObjectsError(
            _("Undelete at most %(n)d keys at a time.") % {"n": UNDELETE_MAX_KEYS}, status=422
        )
    with ThreadPoolExecutor(max_workers=UNDELETE_THREADS) as pool:
        plans = list(pool.map(lambda k: _undelete_plan(bucket, k), keys))
    result = UndeleteResult(skipped=[(p.key, p.reason) for p in plans if p.reason])
    todo = [p for p in plans if not p.reason]
    if todo:
        _remove_markers(user, bucket, todo, result)
    return result


def _remove_markers(user: Any, bucket: str, plans: list[_Plan], result: UndeleteResult) -> None:
    objects = [{"Key": p.key, "VersionId": m} for p in plans for m in p.markers]
    try:
        response = get_cos_client().delete_objects(
            Bucket=bucket, Delete={"Quiet": "true", "Object": objects}
        )
    except Exception as exc:
        rows = [_undelete_row(p, AuditEvent.Outcome.ERROR, type(exc).__name__) for p in plans]
        audit_record_many(user=user, action="object.undelete", bucket=bucket, rows=rows)
        raise
    failed = {
        str(e.get("Key")): f"{e.get('Code', 'Error')}: {e.get('Message', '')}"
        for e in response.get("Error") or []
    }
    rows = []
    for plan in plans:
        if plan.key in failed:
            result.errors.append((plan.key, failed[plan.key]))
            rows.append(_undelete_row(plan, AuditEvent.Outcome.ERROR, failed[plan.key]))
        else:
            result.restored.append((plan.key, plan.version_id))
            rows.append(_undelete_row(plan, AuditEvent.Outcome.OK, ""))
    audit_record_many(user=user, action="object.undelete", bucket=bucket, rows=rows)


def _undelete_row(plan: _Plan, outcome: str, error: str) -> dict[str, str]:
    detail = f"removed delete marker(s) {', '.join(plan.markers)}; current: {plan.version_id}"
    return {
        "key": plan.key,
        "version_id": plan.markers[0],
        "outcome": outcome,
        "detail": f"{detail}; {error}" if error else detail,
    }


# --- bucket versioning ---------------------------------------------------------------------------


def bucket_versioning_set(*, user: Any, bucket: str, status: str) -> None:
    """Enable or suspend versioning (COS cannot turn it off once it was enabled)."""
    if status not in VERSIONING_STATES:
        raise ObjectsError(_("Versioning can only be enabled or suspended."), status=422)
    with audited(user=user, action="bucket.versioning", bucket=bucket, detail=status):
        get_cos_client().put_bucket_versioning(Bucket=bucket, Status=status)
