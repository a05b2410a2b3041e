"""Operator actions through the real client against coslocal: each one audited, errors clean."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from objects_app.models import AuditEvent
from tests.console.conftest import SCRATCH_BUCKET as BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str) -> str:
    return reverse(f"objects:{name}", args=[BUCKET])


def exists(cos_client, key: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(cos_client.object_exists(Bucket=BUCKET, Key=key))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_upload_puts_the_file_under_prefix_and_relative_path(client, alice, cos_client, scratch):
    client.force_login(alice)
    upload = SimpleUploadedFile("b.txt", b"hello upload", content_type="text/plain")
    response = client.post(
        url("object-upload"), {"prefix": scratch, "relpath": "dir/sub/b.txt", "file": upload}
    )
    assert response.status_code == 201
    key = f"{scratch}dir/sub/b.txt"
    assert response.json() == {"key": key, "size": 12}
    got = cos_client.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read_all() == b"hello upload"
    assert got["Content-Type"] == "text/plain"
    [event] = events("object.upload")
    assert (event.username, event.key, event.outcome) == ("alice", key, "ok")
    assert event.request_id and event.version_id


def test_upload_over_the_direct_limit_is_refused_and_nothing_stored(
    client, alice, cos_client, scratch, settings
):
    settings.CONSOLE_DIRECT_UPLOAD_MAX_BYTES = 10
    client.force_login(alice)
    upload = SimpleUploadedFile("big.bin", b"x" * 11)
    response = client.post(
        url("object-upload"), {"prefix": scratch, "relpath": "big.bin", "file": upload},
        HTTP_ACCEPT="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert "large-upload job" in response.json()["error"]
    assert not exists(cos_client, f"{scratch}big.bin")


@pytest.mark.parametrize("relpath", ["../escape.txt", "a/./b.txt", "a//b.txt", "/abs.txt"])
def test_upload_refuses_dot_and_empty_path_segments(client, alice, scratch, relpath):
    client.force_login(alice)
    upload = SimpleUploadedFile("f.txt", b"x")
    response = client.post(
        url("object-upload"), {"prefix": scratch, "relpath": relpath, "file": upload}
    )
    assert response.status_code == 422
    assert AuditEvent.objects.count() == 0


def test_new_folder_creates_a_placeholder_and_refreshes_the_table(
    client, alice, cos_client, scratch
):
    client.force_login(alice)
    response = client.post(url("folder-create"), {"prefix": scratch, "name": "reports"}, **HTMX)
    assert response.status_code == 200
    assert "objects-changed" in response["HX-Trigger"]
    assert response["HX-Retarget"] == "#flash"
    assert exists(cos_client, f"{scratch}reports/")
    again = client.post(url("folder-create"), {"prefix": scratch, "name": "reports"}, **HTMX)
    assert again.status_code == 409
    assert [e.outcome for e in events("folder.create")] == ["ok", "error"]


def test_delete_asks_for_confirmation_first(client, alice, cos_client, scratch):
    key = f"{scratch}doomed.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(alice)
    confirm = client.post(url("object-delete"), {"key": key}, **HTMX)
    assert confirm.status_code == 200
    assert 'id="delete-confirm"' in confirm.content.decode()
    assert exists(cos_client, key)
    assert AuditEvent.objects.count() == 0

    done = client.post(url("object-delete"), {"key": key, "confirmed": "on"}, **HTMX)
    assert done.status_code == 200
    assert done["HX-Redirect"].endswith("?prefix=" + scratch.replace("/", "%2F"))
    assert not exists(cos_client, key)
    [event] = events("object.delete")
    assert event.key == key and event.outcome == "ok" and event.version_id


def test_multi_select_delete_confirms_listing_keys_then_deletes_in_one_call(
    client, alice, cos_client, scratch
):
    keys = [f"{scratch}m-{n}.txt" for n in range(3)]
    for key in keys:
        cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(alice)
    confirm = client.post(url("objects-delete"), {"prefix": scratch, "selected": keys[:2]}, **HTMX)
    body = confirm.content.decode()
    assert 'id="confirm-dialog"' in body and "Delete 2 objects?" in body
    assert keys[0] in body and keys[1] in body and keys[2] not in body
    assert all(exists(cos_client, k) for k in keys)

    done = client.post(
        url("objects-delete"),
        {"prefix": scratch, "selected": keys[:2], "confirmed": "on"},
        **HTMX,
    )
    assert done.status_code == 200
    assert "objects-changed" in done["HX-Trigger"]
    assert "Deleted 2 objects" in done.content.decode()
    assert [exists(cos_client, k) for k in keys] == [False, False, True]
    assert sorted(e.key for e in events("object.delete")) == keys[:2]


def test_multi_select_delete_with_nothing_selected_is_refused(client, alice, scratch):
    client.force_login(alice)
    response = client.post(url("objects-delete"), {"prefix": scratch}, **HTMX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#flash"
    assert "Select at least one object or folder." in response.content.decode()


def test_bulk_result_reports_per_key_errors() -> None:
    from objects_app.services.objects import _bulk_result

    result = _bulk_result(
        {
            "Deleted": [{"Key": "a"}],
            "Error": [{"Key": "b", "Code": "AccessDenied", "Message": "no"}],
        }
    )
    assert result.deleted == ["a"]
    assert result.errors == [("b", "AccessDenied: no")]


def test_rename_keeps_metadata_and_storage_class(client, alice, cos_client, scratch):
    key = f"{scratch}old name.txt"
    cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"keep me", ContentType="text/csv",
        Metadata={"x-cos-meta-owner": "ops"}, StorageClass="STANDARD_IA",
    )  # fmt: skip
    client.force_login(alice)
    response = client.post(
        url("object-copy"), {"key": key, "action": "rename", "dest_key": "new name.txt"}, **HTMX
    )
    assert response.status_code == 200
    new = f"{scratch}new name.txt"
    assert "new+name.txt" in response["HX-Redirect"]
    assert not exists(cos_client, key)
    head = cos_client.head_object(Bucket=BUCKET, Key=new)
    assert head["Content-Type"] == "text/csv"
    assert head["x-cos-meta-owner"] == "ops"
    assert head["x-cos-storage-class"] == "STANDARD_IA"
    [event] = events("object.rename")
    assert event.key == key and new in event.detail and event.outcome == "ok"


def test_copy_refuses_to_overwrite_unless_confirmed(client, alice, cos_client, scratch):
    src, dest = f"{scratch}src.txt", f"{scratch}dest.txt"
    cos_client.put_object(Bucket=BUCKET, Key=src, Body=b"new")
    cos_client.put_object(Bucket=BUCKET, Key=dest, Body=b"old")
    client.force_login(alice)
    form = {"key": src, "action": "copy", "dest_key": dest, "dest_bucket": BUCKET}
    refused = client.post(url("object-copy"), form, **HTMX)
    assert refused.status_code == 409
    assert refused["HX-Retarget"] == "#flash"
    assert "already exists" in refused.content.decode()
    assert cos_client.get_object(Bucket=BUCKET, Key=dest)["Body"].read_all() == b"old"

    allowed = client.post(url("object-copy"), {**form, "overwrite": "on"}, **HTMX)
    assert allowed.status_code == 200
    assert cos_client.get_object(Bucket=BUCKET, Key=dest)["Body"].read_all() == b"new"
    assert exists(cos_client, src)
    assert [e.outcome for e in events("object.copy")] == ["error", "ok"]


def test_move_to_another_folder(client, alice, cos_client, scratch):
    src = f"{scratch}a/file.txt"
    cos_client.put_object(Bucket=BUCKET, Key=src, Body=b"moving")
    client.force_login(alice)
    dest = f"{scratch}b/file.txt"
    response = client.post(url("object-copy"), {"key": src, "action": "move", "dest_key": dest})
    assert response.status_code == 302
    assert not exists(cos_client, src)
    assert cos_client.get_object(Bucket=BUCKET, Key=dest)["Body"].read_all() == b"moving"


def test_move_whose_delete_fails_leaves_only_the_source(
    client, alice, cos_client, coslocal, scratch
):
    src, dest = f"{scratch}stay.txt", f"{scratch}gone.txt"
    cos_client.put_object(Bucket=BUCKET, Key=src, Body=b"x")
    client.force_login(alice)
    coslocal.set_faults(
        mode="error", status=403, code="AccessDenied", count=1, method="DELETE",
        path_prefix="/" + src,
    )  # fmt: skip
    try:
        response = client.post(
            url("object-copy"), {"key": src, "action": "move", "dest_key": dest}, **HTMX
        )
    finally:
        coslocal.clear_faults()
    assert response.status_code == 403
    assert b"Access denied" in response.content
    assert exists(cos_client, src)
    assert not exists(cos_client, dest)  # the copy was taken back: no half-done move
    [event] = events("object.move")
    assert event.outcome == "error" and "AccessDenied" in event.detail and event.request_id


def test_edit_metadata_replaces_headers_and_keeps_storage_class(client, alice, cos_client, scratch):
    key = f"{scratch}meta.txt"
    cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"m", Metadata={"x-cos-meta-old": "1"},
        StorageClass="STANDARD_IA",
    )  # fmt: skip
    client.force_login(alice)
    response = client.post(
        url("object-metadata"),
        {
            "key": key, "content_type": "application/json", "cache_control": "max-age=60",
            "metadata": "team: blue\nX-Cos-Meta-Tier: gold\n",
        },
        **HTMX,
    )  # fmt: skip
    assert response.status_code == 200
    head = cos_client.head_object(Bucket=BUCKET, Key=key)
    assert head["Content-Type"] == "application/json"
    assert head["Cache-Control"] == "max-age=60"
    assert head["x-cos-meta-team"] == "blue" and head["x-cos-meta-tier"] == "gold"
    assert "x-cos-meta-old" not in head
    assert head["x-cos-storage-class"] == "STANDARD_IA"
    assert events("object.metadata")[0].outcome == "ok"


def test_edit_metadata_rejects_non_ascii_values(client, alice, cos_client, scratch):
    key = f"{scratch}meta2.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"m")
    client.force_login(alice)
    response = client.post(url("object-metadata"), {"key": key, "metadata": "name: 中文"}, **HTMX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#flash"
    assert "ASCII only" in response.content.decode()
    assert AuditEvent.objects.count() == 0
    assert "x-cos-meta-name" not in cos_client.head_object(Bucket=BUCKET, Key=key)


@pytest.mark.parametrize("name", ["", "a/b", "..", "."])
def test_new_folder_refuses_bad_names(client, alice, cos_client, scratch, name):
    client.force_login(alice)
    response = client.post(url("folder-create"), {"prefix": scratch, "name": name}, **HTMX)
    assert response.status_code == 422
    assert not cos_client.list_objects(Bucket=BUCKET, Prefix=scratch).get("Contents")


def test_write_while_cos_is_unreachable_is_a_clear_503_and_audited(
    client, alice, scratch, settings
):
    from objects_app.storage import get_cos_client
    from stack.net import free_port

    settings.COS_PORT = free_port()  # nothing listens there
    get_cos_client.cache_clear()
    client.force_login(alice)
    upload = SimpleUploadedFile("u.txt", b"x")
    response = client.post(
        url("object-upload"), {"prefix": scratch, "relpath": "u.txt", "file": upload}, **HTMX
    )
    assert response.status_code == 503
    assert "Could not reach COS" in response.content.decode()
    [event] = events("object.upload")
    assert event.outcome == "error" and event.detail.endswith("COS unreachable")


def test_change_storage_class_keeps_content_headers_and_metadata(
    client, alice, cos_client, scratch
):
    key = f"{scratch}cold.txt"
    cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"c", ContentType="text/markdown",
        Metadata={"x-cos-meta-owner": "ops"},
    )  # fmt: skip
    client.force_login(alice)
    response = client.post(
        url("object-storage-class"), {"key": key, "storage_class": "STANDARD_IA"}, **HTMX
    )
    assert response.status_code == 200
    head = cos_client.head_object(Bucket=BUCKET, Key=key)
    assert head["x-cos-storage-class"] == "STANDARD_IA"
    assert head["Content-Type"] == "text/markdown"
    assert head["x-cos-meta-owner"] == "ops"
    [event] = events("object.storage_class")
    assert event.detail == "STANDARD -> STANDARD_IA"


def test_failed_delete_of_a_missing_bucket_is_audited_as_error(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("objects:object-delete", args=["nope-1250000000"]),
        {"key": "x.txt", "confirmed": "on"},
        **HTMX,
    )
    assert response.status_code == 404
    [event] = events("object.delete")
    assert event.outcome == "error" and "NoSuchBucket" in event.detail


def test_restore_of_an_archived_object(client, alice, cos_client, scratch):
    key = f"{scratch}frozen.bin"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"ice", StorageClass="ARCHIVE")
    client.force_login(alice)
    response = client.post(url("object-restore"), {"key": key, "days": 2, "tier": "Bulk"}, **HTMX)
    assert response.status_code == 200 and "HX-Redirect" in response
    assert (
        'ongoing-request="true"' in cos_client.head_object(Bucket=BUCKET, Key=key)["x-cos-restore"]
    )
    [event] = events("object.restore")
    assert event.outcome == "ok" and event.detail == "2 day(s), tier Bulk"
