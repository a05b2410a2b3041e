"""Roles are enforced on the server for every request, whatever the page shows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from objects_app.models import AuditEvent

pytestmark = pytest.mark.usefixtures("console_cos")

BUCKET = "roles-1250000000"
KEY = "keep/me.txt"


@pytest.fixture
def target(cos_client) -> str:  # type: ignore[no-untyped-def]
    if not cos_client.bucket_exists(BUCKET):
        cos_client.create_bucket(Bucket=BUCKET)
    cos_client.put_object(Bucket=BUCKET, Key=KEY, Body=b"precious", Metadata={"x-cos-meta-a": "1"})
    return KEY


@pytest.fixture
def dora(db) -> User:  # type: ignore[no-untyped-def]
    """An admin."""
    user = User.objects.create_user(username="dora", password="pw-dora")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


WRITES = {
    "object-delete": {"key": KEY, "confirmed": "on"},
    "objects-delete": {"selected": [KEY], "confirmed": "on"},
    "object-copy": {"key": KEY, "action": "move", "dest_key": "moved.txt", "overwrite": "on"},
    "object-metadata": {"key": KEY, "metadata": "a: 2"},
    "object-storage-class": {"key": KEY, "storage_class": "STANDARD_IA"},
    "folder-create": {"prefix": "", "name": "newdir"},
    "object-restore": {"key": KEY, "days": 1, "tier": "Bulk"},
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_viewer_cannot_write_and_nothing_changes(client, bob, cos_client, target, name):
    client.force_login(bob)
    before = cos_client.head_object(Bucket=BUCKET, Key=KEY)
    response = client.post(reverse(f"objects:{name}", args=[BUCKET]), WRITES[name])
    assert response.status_code == 403
    assert b"operator role" in response.content
    after = cos_client.head_object(Bucket=BUCKET, Key=KEY)
    assert (after["ETag"], after["x-cos-meta-a"]) == (before["ETag"], "1")
    assert "x-cos-storage-class" not in after
    assert not cos_client.object_exists(Bucket=BUCKET, Key="moved.txt")
    assert not cos_client.object_exists(Bucket=BUCKET, Key="newdir/")
    assert AuditEvent.objects.count() == 0


def test_viewer_cannot_upload(client, bob, cos_client, target):
    client.force_login(bob)
    upload = SimpleUploadedFile("x.txt", b"x")
    response = client.post(
        reverse("objects:object-upload", args=[BUCKET]),
        {"prefix": "", "relpath": "x.txt", "file": upload},
    )
    assert response.status_code == 403
    assert not cos_client.object_exists(Bucket=BUCKET, Key="x.txt")


def test_viewer_delete_over_htmx_is_refused_into_the_flash_area(client, bob, cos_client, target):
    client.force_login(bob)
    response = client.post(
        reverse("objects:object-delete", args=[BUCKET]),
        WRITES["object-delete"],
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#flash"
    assert cos_client.object_exists(Bucket=BUCKET, Key=KEY)


def test_user_without_role_cannot_read_objects(client, charlie, target):
    client.force_login(charlie)
    url = reverse("objects:object-detail", args=[BUCKET]) + "?key=" + KEY
    assert client.get(url).status_code == 403
    download = reverse("objects:object-download", args=[BUCKET]) + "?key=" + KEY
    assert client.get(download).status_code == 403


def test_writes_need_post(client, alice, target):
    client.force_login(alice)
    response = client.get(reverse("objects:object-delete", args=[BUCKET]), WRITES["object-delete"])
    assert response.status_code == 405


def test_writes_need_the_csrf_token(alice, cos_client, target):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(alice)
    response = csrf_client.post(
        reverse("objects:object-delete", args=[BUCKET]), WRITES["object-delete"]
    )
    assert response.status_code == 403
    assert cos_client.object_exists(Bucket=BUCKET, Key=KEY)


@pytest.mark.parametrize("who,status", [("alice", 403), ("bob", 403), ("dora", 200)])
def test_audit_page_is_for_admins_only(client, alice, bob, dora, who, status):
    client.force_login({"alice": alice, "bob": bob, "dora": dora}[who])
    assert client.get(reverse("objects:audit-list")).status_code == status
    assert client.get(reverse("objects:audit-export")).status_code == status


def test_audit_link_shown_to_admins_only(client, bob, dora, target):
    client.force_login(bob)
    assert b'id="nav-audit"' not in client.get(reverse("objects:bucket-list")).content
    client.force_login(dora)
    assert b'id="nav-audit"' in client.get(reverse("objects:bucket-list")).content
