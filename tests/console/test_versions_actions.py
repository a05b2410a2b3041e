"""Issue 12: make a version current, delete one permanently, undelete, versioning; all audited."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from objects_app.errors import ObjectsError
from objects_app.models import AuditEvent
from objects_app.services import versions as services
from tests.console.conftest import SCRATCH_BUCKET as BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def dana(db) -> User:  # type: ignore[no-untyped-def]
    """An admin."""
    user = User.objects.create_user(username="dana", password="pw-dana")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


def post(client, name: str, data: dict[str, str], bucket: str = BUCKET):  # type: ignore[no-untyped-def]
    return client.post(reverse(f"objects:{name}", args=[bucket]), data, **HTMX)


def put(cos_client, key: str, body: bytes, **kw) -> str:  # type: ignore[no-untyped-def]
    return str(cos_client.put_object(Bucket=BUCKET, Key=key, Body=body, **kw)["x-cos-version-id"])


def body_of(cos_client, key: str, **kw) -> bytes:  # type: ignore[no-untyped-def]
    return cos_client.get_object(Bucket=BUCKET, Key=key, **kw)["Body"].read_all()


def entries(cos_client, key: str) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """(version id, is delete marker) newest first."""
    return [
        (e["VersionId"], e["IsDeleteMarker"])
        for e in cos_client.iter_object_versions(Bucket=BUCKET, Prefix=key)
        if e["Key"] == key
    ]


# --- make current ------------------------------------------------------------------------------


def test_make_current_copies_the_old_version_with_its_metadata(client, alice, cos_client, scratch):
    key = f"{scratch}doc.txt"
    v1 = put(cos_client, key, b"one", ContentType="text/x-one", Metadata={"x-cos-meta-n": "1"})
    put(cos_client, key, b"two", ContentType="text/x-two")
    client.force_login(alice)
    response = post(client, "version-make-current", {"key": key, "version_id": v1})
    assert response.status_code == 200
    detail = reverse("objects:object-detail", args=[BUCKET]) + "?" + urlencode({"key": key})
    assert response["HX-Redirect"] == detail
    assert body_of(cos_client, key) == b"one"
    head = cos_client.head_object(Bucket=BUCKET, Key=key)
    assert head["Content-Type"] == "text/x-one" and head["x-cos-meta-n"] == "1"
    assert len(entries(cos_client, key)) == 3  # nothing was deleted
    event = AuditEvent.objects.get(action="version.make_current", key=key)
    assert event.username == "alice" and event.version_id == v1 and event.outcome == "ok"
    assert head["x-cos-version-id"] in event.detail
    page = client.get(detail).content.decode()
    assert "is current again" in page


def test_make_current_undoes_a_delete(alice, cos_client, scratch):
    key = f"{scratch}undel.txt"
    v1 = put(cos_client, key, b"back")
    cos_client.delete_object(Bucket=BUCKET, Key=key)
    new = services.version_make_current(user=alice, bucket=BUCKET, key=key, version_id=v1)
    assert body_of(cos_client, key) == b"back"
    assert cos_client.head_object(Bucket=BUCKET, Key=key)["x-cos-version-id"] == new


def test_make_current_of_a_delete_marker_is_refused(client, alice, cos_client, scratch):
    key = f"{scratch}dm.txt"
    put(cos_client, key, b"x")
    marker = cos_client.delete_object(Bucket=BUCKET, Key=key)["x-cos-version-id"]
    client.force_login(alice)
    response = post(client, "version-make-current", {"key": key, "version_id": marker})
    assert response.status_code == 422
    assert "A delete marker has no content to make current" in response.content.decode()
    assert AuditEvent.objects.get(action="version.make_current").outcome == "error"


def test_make_current_of_a_version_deleted_meanwhile_says_so(client, alice, cos_client, scratch):
    key = f"{scratch}race.txt"
    v1 = put(cos_client, key, b"old")
    put(cos_client, key, b"new")
    cos_client.delete_object(Bucket=BUCKET, Key=key, VersionId=v1)  # another admin, meanwhile
    client.force_login(alice)
    response = post(client, "version-make-current", {"key": key, "version_id": v1})
    assert response.status_code == 404
    assert "was deleted meanwhile; nothing was changed" in response.content.decode()
    assert body_of(cos_client, key) == b"new"


def test_make_current_of_the_current_version_is_refused(alice, cos_client, scratch):
    key = f"{scratch}cur.txt"
    current = put(cos_client, key, b"x")
    with pytest.raises(ObjectsError) as exc:
        services.version_make_current(user=alice, bucket=BUCKET, key=key, version_id=current)
    assert exc.value.status == 409 and "already the current version" in exc.value.message


def test_make_current_needs_an_operator(client, bob, cos_client, scratch):
    key = f"{scratch}role.txt"
    v1 = put(cos_client, key, b"x")
    put(cos_client, key, b"y")
    client.force_login(bob)
    response = post(client, "version-make-current", {"key": key, "version_id": v1})
    assert response.status_code == 403
    assert body_of(cos_client, key) == b"y"


def test_make_current_on_a_suspended_bucket_replaces_the_null_version(alice, cos_client):
    bucket = "suspended-1250000000"
    if not cos_client.bucket_exists(bucket):
        cos_client.create_bucket(Bucket=bucket)
    cos_client.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = cos_client.put_object(Bucket=bucket, Key="s.txt", Body=b"kept")["x-cos-version-id"]
    cos_client.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    cos_client.put_object(Bucket=bucket, Key="s.txt", Body=b"null one")
    new = services.version_make_current(user=alice, bucket=bucket, key="s.txt", version_id=v1)
    assert new == "null"
    assert cos_client.get_object(Bucket=bucket, Key="s.txt")["Body"].read_all() == b"kept"
    ids = [e["VersionId"] for e in cos_client.iter_object_versions(Bucket=bucket, Prefix="s.txt")]
    assert ids == ["null", v1]  # the old null version was replaced in place, v1 kept


# --- delete a version permanently -----------------------------------------------------------------


def test_delete_version_asks_first_then_deletes_for_good(client, dana, cos_client, scratch):
    key = f"{scratch}del.txt"
    v1 = put(cos_client, key, b"one")
    v2 = put(cos_client, key, b"two")
    client.force_login(dana)
    ask = post(client, "version-delete", {"key": key, "version_id": v1})
    assert ask.status_code == 200 and "This cannot be undone." in ask.content.decode()
    assert [v for v, _ in entries(cos_client, key)] == [v2, v1]
    done = post(client, "version-delete", {"key": key, "version_id": v1, "confirmed": "on"})
    assert done.status_code == 200 and "HX-Redirect" in done
    assert [v for v, _ in entries(cos_client, key)] == [v2]
    event = AuditEvent.objects.get(action="version.delete")
    assert (event.username, event.key, event.version_id, event.outcome) == ("dana", key, v1, "ok")


def test_deleting_the_current_version_makes_the_previous_current(dana, cos_client, scratch):
    key = f"{scratch}top.txt"
    put(cos_client, key, b"one")
    v2 = put(cos_client, key, b"two")
    gone = services.version_delete(user=dana, bucket=BUCKET, key=key, version_id=v2)
    assert gone.key_has_current and body_of(cos_client, key) == b"one"


def test_deleting_the_delete_marker_brings_the_key_back(client, dana, cos_client, scratch):
    key = f"{scratch}dm2.txt"
    put(cos_client, key, b"alive")
    marker = cos_client.delete_object(Bucket=BUCKET, Key=key)["x-cos-version-id"]
    client.force_login(dana)
    post(client, "version-delete", {"key": key, "version_id": marker, "confirmed": "on"})
    assert body_of(cos_client, key) == b"alive"
    assert AuditEvent.objects.get(action="version.delete").detail == "delete marker"


def test_deleting_the_last_version_goes_to_the_versions_page(client, dana, cos_client, scratch):
    key = f"{scratch}last.txt"
    v1 = put(cos_client, key, b"x")
    client.force_login(dana)
    response = post(client, "version-delete", {"key": key, "version_id": v1, "confirmed": "on"})
    assert response["HX-Redirect"].startswith(reverse("objects:object-versions", args=[BUCKET]))
    assert "This key has no versions." in client.get(response["HX-Redirect"]).content.decode()


def test_delete_of_a_missing_version_says_so(client, dana, cos_client, scratch):
    key = f"{scratch}miss.txt"
    put(cos_client, key, b"x")
    client.force_login(dana)
    response = post(
        client, "version-delete", {"key": key, "version_id": "Tm9wZQ", "confirmed": "on"}
    )
    assert response.status_code == 404 and "Version Tm9wZQ of" in response.content.decode()


def test_delete_version_needs_an_admin(client, alice, cos_client, scratch):
    key = f"{scratch}adm.txt"
    v1 = put(cos_client, key, b"x")
    client.force_login(alice)
    response = post(client, "version-delete", {"key": key, "version_id": v1, "confirmed": "on"})
    assert response.status_code == 403
    assert entries(cos_client, key) == [(v1, False)]


# --- undelete -------------------------------------------------------------------------------------


def test_undelete_removes_the_markers_above_the_newest_version(client, alice, cos_client, scratch):
    key = f"{scratch}u.txt"
    put(cos_client, key, b"one")
    v2 = put(cos_client, key, b"two")
    cos_client.delete_object(Bucket=BUCKET, Key=key)
    cos_client.delete_object(Bucket=BUCKET, Key=key)  # deleted twice: two markers
    client.force_login(alice)
    response = post(client, "objects-undelete", {"selected": [key]})
    assert response.status_code == 200 and "objects-changed" in response["HX-Trigger"]
    assert "1 object is back." in response.content.decode()
    assert body_of(cos_client, key) == b"two"
    assert [dm for _, dm in entries(cos_client, key)] == [False, False]  # versions untouched
    event = AuditEvent.objects.get(action="object.undelete")
    assert event.username == "alice" and event.key == key and v2 in event.detail


def test_undelete_a_selection_reports_each_key(alice, cos_client, scratch):
    deleted = [f"{scratch}d{n}" for n in range(3)]
    for key in deleted:
        put(cos_client, key, b"x")
        cos_client.delete_object(Bucket=BUCKET, Key=key)
    alive = f"{scratch}alive"
    put(cos_client, alive, b"x")
    only_marker = f"{scratch}never"
    cos_client.delete_object(Bucket=BUCKET, Key=only_marker)
    keys = [*deleted, alive, only_marker, f"{scratch}nothing"]
    result = services.objects_undelete(user=alice, bucket=BUCKET, keys=keys)
    assert sorted(k for k, _ in result.restored) == deleted
    assert dict(result.skipped) == {
        alive: "not deleted: its latest version is current",
        only_marker: "no earlier version to bring back",
        f"{scratch}nothing": "no such key",
    }
    assert all(cos_client.object_exists(Bucket=BUCKET, Key=k) for k in deleted)
    assert AuditEvent.objects.filter(action="object.undelete").count() == 3


def test_undelete_refuses_select_across_and_empty(client, alice, scratch):
    client.force_login(alice)
    response = post(client, "objects-undelete", {"selected": [f"{scratch}x"], "select_across": "1"})
    assert response.status_code == 422 and "rows you checked" in response.content.decode()
    response = post(client, "objects-undelete", {})
    assert response.status_code == 422


def test_undelete_needs_an_operator(client, bob, cos_client, scratch):
    key = f"{scratch}v.txt"
    put(cos_client, key, b"x")
    cos_client.delete_object(Bucket=BUCKET, Key=key)
    client.force_login(bob)
    assert post(client, "objects-undelete", {"selected": [key]}).status_code == 403
    assert not cos_client.object_exists(Bucket=BUCKET, Key=key)


# --- bucket versioning ----------------------------------------------------------------------------


def test_enable_then_suspend_versioning_with_confirmation(client, dana, cos_client):
    bucket = f"vers{abs(hash(client)) % 10**8}-1250000000"
    cos_client.create_bucket(Bucket=bucket)
    client.force_login(dana)
    ask = post(client, "bucket-versioning", {"status": "Enabled"}, bucket=bucket)
    text = ask.content.decode()
    assert "Enable versioning?" in text and "can never go back to never-versioned" in text
    assert not cos_client.get_bucket_versioning(Bucket=bucket).get("Status")
    done = post(client, "bucket-versioning", {"status": "Enabled", "confirmed": "on"}, bucket)
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    assert cos_client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    post(client, "bucket-versioning", {"status": "Suspended", "confirmed": "on"}, bucket)
    assert cos_client.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    events = AuditEvent.objects.filter(action="bucket.versioning", bucket=bucket)
    assert [e.detail for e in events.order_by("id")] == ["Enabled", "Suspended"]
    page = client.get(reverse("objects:bucket-list")).content.decode()
    assert "Versioning is suspended for" in page


def test_versioning_cannot_be_turned_off_and_needs_an_admin(client, alice, dana):
    client.force_login(dana)
    response = post(client, "bucket-versioning", {"status": "Off", "confirmed": "on"})
    assert response.status_code == 422
    client.force_login(alice)
    response = post(client, "bucket-versioning", {"status": "Enabled", "confirmed": "on"})
    assert response.status_code == 403


def test_buckets_page_and_folder_header_offer_the_switch_to_admins(
    client, alice, dana, cos_client, scratch
):
    client.force_login(dana)
    page = client.get(reverse("objects:bucket-list")).content.decode()
    assert 'class="versioning-suspend"' in page  # the scratch bucket is versioned
    folder = client.get(reverse("objects:object-list", args=[BUCKET])).content.decode()
    assert 'id="bucket-versioning"' in folder and 'class="versioning-suspend"' in folder
    client.force_login(alice)
    folder = client.get(reverse("objects:object-list", args=[BUCKET])).content.decode()
    assert 'id="bucket-versioning"' in folder and "versioning-suspend" not in folder


@pytest.mark.parametrize("name", ["version-make-current", "version-delete"])
def test_malformed_version_ids_in_actions_are_a_400(client, dana, cos_client, scratch, name):
    key = f"{scratch}bad.txt"
    put(cos_client, key, b"x")
    client.force_login(dana)
    response = post(client, name, {"key": key, "version_id": "../x y", "confirmed": "on"})
    assert response.status_code == 400
    assert "This is not a valid version id." in response.content.decode()
    assert len(entries(cos_client, key)) == 1
