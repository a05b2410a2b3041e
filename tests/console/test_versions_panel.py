"""Issue 12: the object page's Versions panel, its own page, preview and compare (read side)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from objects_app.selectors import versions as selectors
from tests.console.conftest import SCRATCH_BUCKET as BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, bucket: str = BUCKET, **query: str) -> str:
    return reverse(f"objects:{name}", args=[bucket]) + "?" + urlencode(query)


def put(cos_client, key: str, body: bytes, **kw) -> str:  # type: ignore[no-untyped-def]
    return str(cos_client.put_object(Bucket=BUCKET, Key=key, Body=body, **kw)["x-cos-version-id"])


def test_panel_lists_versions_and_markers_newest_first_with_labels(cos_client, scratch):
    key = f"{scratch}doc.txt"
    v1 = put(cos_client, key, b"one")
    v2 = put(cos_client, key, b"two!")
    marker = cos_client.delete_object(Bucket=BUCKET, Key=key)["x-cos-version-id"]
    v3 = put(cos_client, key, b"three")
    page = selectors.key_versions_page(bucket=BUCKET, key=key, page_size=50)
    assert [(r.version_id, r.label) for r in page.rows] == [
        (v3, "latest"),
        (marker, "delete-marker"),
        (v2, "noncurrent"),
        (v1, "noncurrent"),
    ]
    assert [r.size for r in page.rows] == [5, 0, 4, 3]
    assert page.rows[0].etag and page.rows[0].storage_class == "STANDARD"
    assert page.versioning == "Enabled" and not page.is_truncated


def test_panel_ignores_longer_keys_sharing_the_prefix(cos_client, scratch):
    key = f"{scratch}a"
    put(cos_client, key, b"x")
    put(cos_client, f"{scratch}a-longer", b"y")
    put(cos_client, f"{scratch}a/inside", b"z")
    page = selectors.key_versions_page(bucket=BUCKET, key=key, page_size=50)
    assert [r.key for r in page.rows] == [key]


def test_panel_pages_with_key_and_version_markers(cos_client, scratch):
    key = f"{scratch}many"
    ids = [put(cos_client, key, str(n).encode()) for n in range(7)]
    put(cos_client, f"{scratch}many2", b"other")
    seen, marker, shown = [], "", 0
    while True:
        page = selectors.key_versions_page(
            bucket=BUCKET, key=key, version_marker=marker, page_size=3, shown=shown
        )
        seen += [r.version_id for r in page.rows]
        shown = page.shown_total
        if not page.is_truncated:
            break
        marker = page.next_version_marker
    assert seen == ids[::-1] and shown == 7


def test_object_page_shows_the_panel_with_actions_by_role(client, bob, alice, cos_client, scratch):
    key = f"{scratch}p.txt"
    v1 = put(cos_client, key, b"one")
    v2 = put(cos_client, key, b"two")
    client.force_login(bob)
    body = client.get(url("object-detail", key=key)).content.decode()
    assert 'id="versions-panel"' in body and v1 in body and v2 in body
    assert "version-make-current" not in body and "version-delete" not in body
    assert f'name="a" value="{v1}" form="compare-form" aria-label' in body  # A = older
    client.force_login(alice)
    body = client.get(url("object-detail", key=key)).content.decode()
    assert body.count('class="version-make-current"') == 1  # not on the latest version
    assert "version-delete" not in body  # admin only


def test_versions_page_full_and_load_more_partial(client, bob, cos_client, scratch, settings):
    key = f"{scratch}lm.txt"
    for n in range(3):
        put(cos_client, key, bytes([65 + n]))
    client.force_login(bob)
    full = client.get(url("object-versions", key=key))
    assert full.status_code == 200 and "<html" in full.content.decode()
    rows = selectors.key_versions_page(bucket=BUCKET, key=key, page_size=2)
    more = client.get(
        url("object-versions", key=key, version_marker=rows.next_version_marker, shown="2"),
        **HTMX,
        HTTP_HX_TARGET="versions-load-more",
    )
    body = more.content.decode()
    assert "<html" not in body and body.count('class="version-row') == 1
    assert rows.rows[0].version_id not in body


def test_deleted_key_versions_page_says_it_is_deleted(client, bob, cos_client, scratch):
    key = f"{scratch}gone.txt"
    put(cos_client, key, b"x")
    cos_client.delete_object(Bucket=BUCKET, Key=key)
    client.force_login(bob)
    body = client.get(url("object-versions", key=key)).content.decode()
    assert 'id="key-deleted-note"' in body and "latest: the key is deleted" in body


def test_unversioned_bucket_says_so(client, bob, cos_client):
    bucket = "plain-1250000000"
    if not cos_client.bucket_exists(bucket):
        cos_client.create_bucket(Bucket=bucket)
    cos_client.put_object(Bucket=bucket, Key="only.txt", Body=b"x")
    client.force_login(bob)
    body = client.get(url("object-detail", bucket=bucket, key="only.txt")).content.decode()
    assert "Versioning has never been enabled for this bucket" in body


def test_preview_dialog_shows_the_old_text(client, bob, cos_client, scratch):
    key = f"{scratch}pv.txt"
    v1 = put(cos_client, key, b"first text", ContentType="text/plain")
    put(cos_client, key, b"second", ContentType="text/plain")
    client.force_login(bob)
    body = client.get(url("version-preview", key=key, version_id=v1), **HTMX).content.decode()
    assert 'id="version-text-preview" translate="no" tabindex="0">first text</pre>' in body


def test_compare_shows_metadata_and_a_line_diff(client, bob, cos_client, scratch):
    key = f"{scratch}cmp.txt"
    a = put(cos_client, key, b"alpha\nbeta\ngamma\n", ContentType="text/plain")
    b = put(
        cos_client, key, b"alpha\nBETA\ngamma\ndelta\n", ContentType="text/plain",
        Metadata={"x-cos-meta-owner": "ops"},
    )  # fmt: skip
    client.force_login(bob)
    body = client.get(url("version-compare", key=key, a=a, b=b)).content.decode()
    assert '<span class="diff-del">-beta</span>' in body
    assert '<span class="diff-add">+BETA</span>' in body
    assert '<span class="diff-add">+delta</span>' in body
    assert "x-cos-meta-owner" in body and "ops" in body
    assert body.count('class="differs"') >= 4  # version id, size, ETag, CRC64, meta


def test_compare_without_diff_for_large_or_binary(client, bob, cos_client, scratch):
    key = f"{scratch}big.txt"
    a = put(cos_client, key, b"x" * (1024 * 1024), ContentType="text/plain")
    b = put(cos_client, key, b"y", ContentType="text/plain")
    client.force_login(bob)
    body = client.get(url("version-compare", key=key, a=a, b=b)).content.decode()
    assert "both versions must be smaller than 1 MiB" in body
    key = f"{scratch}bin.dat"
    a = put(cos_client, key, b"\x00\x01", ContentType="application/octet-stream")
    b = put(cos_client, key, b"\x00\x02", ContentType="application/octet-stream")
    body = client.get(url("version-compare", key=key, a=a, b=b)).content.decode()
    assert "only text objects are compared line by line" in body


def test_compare_of_identical_text(client, bob, cos_client, scratch):
    key = f"{scratch}same.txt"
    a = put(cos_client, key, b"same\n", ContentType="text/plain")
    b = put(cos_client, key, b"same\n", ContentType="text/plain")
    client.force_login(bob)
    body = client.get(url("version-compare", key=key, a=a, b=b)).content.decode()
    assert 'id="same-content"' in body


# --- bad input: unknown or malformed version ids on every screen ----------------------------------


@pytest.mark.parametrize(
    "name", ["object-detail", "version-preview", "object-download", "object-versions-marker"]
)
def test_malformed_version_id_is_a_400(client, bob, cos_client, scratch, name):
    key = f"{scratch}m.txt"
    put(cos_client, key, b"x")
    client.force_login(bob)
    if name == "object-versions-marker":
        response = client.get(url("object-versions", key=key, version_marker="bad id<>"))
    else:
        response = client.get(url(name, key=key, version_id="bad id<>"))
    assert response.status_code == 400
    assert "This is not a valid version id." in response.content.decode()


def test_malformed_version_id_in_compare_and_listing_is_a_400(client, bob, cos_client, scratch):
    key = f"{scratch}m2.txt"
    v = put(cos_client, key, b"x")
    client.force_login(bob)
    response = client.get(url("version-compare", key=key, a=v, b="%%%"))
    assert response.status_code == 400 and "not a valid version id" in response.content.decode()
    response = client.get(url("object-list", versions="1", marker=key, version_marker="a b"))
    assert response.status_code == 400


@pytest.mark.parametrize("name", ["object-detail", "version-preview"])
def test_unknown_version_id_is_a_404_naming_the_version(client, bob, cos_client, scratch, name):
    key = f"{scratch}u.txt"
    put(cos_client, key, b"x")
    client.force_login(bob)
    response = client.get(url(name, key=key, version_id="Tm9TdWNoVmVyc2lvbg"), **HTMX)
    assert response.status_code == 404
    assert "Version Tm9TdWNoVmVyc2lvbg of" in response.content.decode()
    assert "does not exist" in response.content.decode()


def test_unknown_version_in_compare_is_a_404(client, bob, cos_client, scratch):
    key = f"{scratch}u2.txt"
    v = put(cos_client, key, b"x")
    client.force_login(bob)
    response = client.get(url("version-compare", key=key, a=v, b="Tm9TdWNo"))
    assert response.status_code == 404 and "Version Tm9TdWNo of" in response.content.decode()


def test_a_delete_marker_has_no_content_page(client, bob, cos_client, scratch):
    key = f"{scratch}dm.txt"
    put(cos_client, key, b"x")
    marker = cos_client.delete_object(Bucket=BUCKET, Key=key)["x-cos-version-id"]
    client.force_login(bob)
    response = client.get(url("object-detail", key=key, version_id=marker))
    assert response.status_code == 404
    assert "is a delete marker: it has no content to show" in response.content.decode()


def test_unknown_version_download_is_a_404(client, bob, cos_client, scratch):
    key = f"{scratch}u3.txt"
    put(cos_client, key, b"x")
    client.force_login(bob)
    response = client.get(url("object-download", key=key, version_id="Tm9TdWNo"))
    assert response.status_code == 404
    assert "That version of the object does not exist." in response.content.decode()


def test_compare_needs_two_different_versions(client, bob, cos_client, scratch):
    key = f"{scratch}one.txt"
    v = put(cos_client, key, b"x")
    client.force_login(bob)
    response = client.get(url("version-compare", key=key, a=v, b=v))
    assert response.status_code == 422
    assert "Choose two different versions" in response.content.decode()
