"""Bad input is a clear 4xx with the reason, never a 500 or "COS unreachable", and writes nothing
(issue 10). Every path that names a key follows one rule with the same message."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from objects_app.models import AuditEvent
from tests.console.conftest import SCRATCH_BUCKET as BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}
JSON = {"HTTP_ACCEPT": "application/json"}
CONTROL = "a\r\nb"


def url(name: str, bucket: str = BUCKET) -> str:
    return reverse(f"objects:{name}", args=[bucket])


def text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.content.decode())


def keys_under(cos_client, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [o["Key"] for o in cos_client.iter_objects(Bucket=BUCKET, Prefix=prefix)]


@pytest.mark.parametrize("bucket", ["-x-", "a_b", "UPPER-1250000000", "nodash", "a--1250000000-"])
def test_invalid_bucket_names_in_urls_are_refused_not_reported_as_an_outage(
    client, bob, bucket
) -> None:
    client.force_login(bob)
    response = client.get(f"/b/{bucket}/")
    body = text(response)
    assert response.status_code == 404
    assert "is not a valid bucket name" in body and "unreachable" not in body.lower()


def test_invalid_bucket_name_on_htmx_goes_to_the_flash(client, alice) -> None:
    client.force_login(alice)
    response = client.post("/b/-x-/folder/", {"name": "n"}, **HTMX)
    assert response.status_code == 404 and response["HX-Retarget"] == "#flash"


def test_copy_to_an_invalid_bucket_is_a_field_error(client, alice, cos_client, scratch) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=scratch + "a.txt", Body=b"a")
    client.force_login(alice)
    response = client.post(
        url("object-copy"),
        {"key": scratch + "a.txt", "action": "copy", "dest_bucket": "-bad-", "dest_key": "b.txt"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "dest_bucket" in response["HX-Trigger"] and "not a valid bucket name" in text(response)
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("name", [CONTROL, "/x", "x/", "a/b", ".", "..", "tab\there"])
def test_new_folder_names_follow_the_one_key_rule(client, alice, cos_client, scratch, name):
    client.force_login(alice)
    response = client.post(url("folder-create"), {"prefix": scratch, "name": name}, **HTMX)
    assert response.status_code == 422, name
    assert "name" in response["HX-Trigger"]
    assert keys_under(cos_client, scratch) == []


def test_direct_upload_refuses_control_characters_like_large_upload(
    client, alice, cos_client, scratch
) -> None:
    client.force_login(alice)
    upload = SimpleUploadedFile("f.txt", b"x")
    response = client.post(
        url("object-upload"), {"prefix": scratch, "relpath": CONTROL, "file": upload}, **JSON
    )
    assert response.status_code == 422
    assert "control characters" in response.json()["error"]
    assert keys_under(cos_client, scratch) == []


@pytest.mark.parametrize("dest", [CONTROL, "/abs", ""])
def test_copy_and_rename_destinations_follow_the_one_key_rule(
    client, alice, cos_client, scratch, dest
) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=scratch + "a.txt", Body=b"a")
    client.force_login(alice)
    for action in ("copy", "rename"):
        response = client.post(
            url("object-copy"), {"key": scratch + "a.txt", "action": action, "dest_key": dest},
            **HTMX,
        )  # fmt: skip
        assert response.status_code == 422, (action, dest)
    assert keys_under(cos_client, scratch) == [scratch + "a.txt"]


def test_existing_keys_with_control_characters_stay_reachable(client, bob, cos_client, scratch):
    """COS allows them (only CAN..ESC are forbidden): objects made elsewhere can still be opened."""
    key = scratch + "odd\tname.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    client.force_login(bob)
    response = client.get(url("object-detail"), {"key": key})
    assert response.status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2024-02-30", "yesterday"])
def test_audit_dates_out_of_range_are_refused(client, django_user_model, day) -> None:
    from django.contrib.auth.models import Group

    admin = django_user_model.objects.create_user(username="ada", password="x")
    admin.groups.add(Group.objects.get_or_create(name="admin")[0])
    client.force_login(admin)
    for view in ("audit-list", "audit-export"):
        response = client.get(reverse(f"objects:{view}"), {"date_to": day})
        assert response.status_code == 422, (view, day)


def test_too_many_fields_is_a_clear_400(client, alice, scratch) -> None:
    client.force_login(alice)
    data = {"prefix": scratch, "selected": [f"{scratch}k{n}" for n in range(2200)]}
    response = client.post(url("objects-delete"), data, **HTMX)
    assert response.status_code == 400
    assert "too many fields" in text(response)


def test_restore_of_a_non_archived_object_is_refused_before_cos(
    client, alice, cos_client, scratch
) -> None:
    cos_client.put_object(Bucket=BUCKET, Key=scratch + "hot.txt", Body=b"h")
    client.force_login(alice)
    response = client.post(
        url("object-restore"), {"key": scratch + "hot.txt", "days": 1, "tier": "Bulk"}, **HTMX
    )
    assert response.status_code == 422
    assert "Only ARCHIVE and DEEP_ARCHIVE objects need restoring" in text(response)


@pytest.mark.parametrize("days", [0, 366, -1, "x"])
def test_restore_days_out_of_range_are_refused(client, alice, cos_client, scratch, days) -> None:
    key = scratch + "cold.bin"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"c", StorageClass="ARCHIVE")
    client.force_login(alice)
    response = client.post(
        url("object-restore"), {"key": key, "days": days, "tier": "Bulk"}, **HTMX
    )
    assert response.status_code == 422 and "days" in response["HX-Trigger"]
    assert "x-cos-restore" not in cos_client.head_object(Bucket=BUCKET, Key=key)


def test_styled_pages_for_unknown_urls_and_a_missing_key(client, bob) -> None:
    client.force_login(bob)
    for path in ("/jobs/999999/", "/nowhere/", url("object-detail")):
        response = client.get(path)
        assert response.status_code in (404, 422), path
        assert '<html lang="en">' in response.content.decode(), path
        assert 'class="error-page"' in response.content.decode(), path


def test_favicon_is_served(client, db) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200


def test_htmx_request_with_an_expired_session_redirects_the_whole_page(client, db) -> None:
    response = client.get(url("object-list"), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/login/")


@pytest.mark.parametrize("mode", ["versions", "deleted"])
def test_class_filter_with_versions_or_deleted_shown_is_refused_with_a_reason(
    client, bob, scratch, mode
) -> None:
    client.force_login(bob)
    query = {"prefix": scratch, mode: "on", "storage_class": "ARCHIVE"}
    response = client.get(url("object-list"), query)
    assert response.status_code == 422
    assert "The storage-class filter works on the plain listing only." in text(response)
    assert client.get(url("object-list"), {"prefix": scratch, mode: "on"}).status_code == 200
