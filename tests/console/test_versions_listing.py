"""Issue 12: the folder listing's "Show versions" and "Show deleted" options."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from objects_app.selectors import versions as selectors
from objects_app.storage import get_cos_client
from tests.console.conftest import SCRATCH_BUCKET as BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}


def listing(**query: str) -> str:
    return reverse("objects:object-list", args=[BUCKET]) + "?" + urlencode(query)


def put(cos_client, key: str, body: bytes = b"x") -> str:  # type: ignore[no-untyped-def]
    return str(cos_client.put_object(Bucket=BUCKET, Key=key, Body=body)["x-cos-version-id"])


def delete(cos_client, key: str) -> str:  # type: ignore[no-untyped-def]
    return str(cos_client.delete_object(Bucket=BUCKET, Key=key)["x-cos-version-id"])


@pytest.fixture
def history(cos_client, scratch):  # type: ignore[no-untyped-def]
    """a: two versions; b: deleted (version + marker); c: one version; sub/ holds d."""
    ids = {"a1": put(cos_client, f"{scratch}a", b"1"), "a2": put(cos_client, f"{scratch}a", b"22")}
    ids["b1"] = put(cos_client, f"{scratch}b")
    ids["b-dm"] = delete(cos_client, f"{scratch}b")
    ids["c1"] = put(cos_client, f"{scratch}c")
    put(cos_client, f"{scratch}sub/d")
    return scratch, ids


def test_folder_versions_groups_every_version_under_its_key(history):
    prefix, ids = history
    page = selectors.folder_versions_page(bucket=BUCKET, prefix=prefix, page_size=100)
    assert [f.name for f in page.folders] == ["sub/"]
    assert [(g.name, [r.version_id for r in g.rows]) for g in page.groups] == [
        ("a", [ids["a2"], ids["a1"]]),
        ("b", [ids["b-dm"], ids["b1"]]),
        ("c", [ids["c1"]]),
    ]
    assert [g.deleted for g in page.groups] == [False, True, False]
    assert not page.is_truncated


def test_folder_versions_pages_mid_key_without_losing_or_repeating(history):
    prefix, ids = history
    seen, marker, version_marker, continued = [], "", "", []
    while True:
        page = selectors.folder_versions_page(
            bucket=BUCKET, prefix=prefix, marker=marker, version_marker=version_marker,
            page_size=3,
        )  # fmt: skip
        seen += [r.version_id for g in page.groups for r in g.rows]
        continued += [g.name for g in page.groups if g.continued]
        if not page.is_truncated:
            break
        marker, version_marker = page.next_marker, page.next_version_marker
    assert seen == [ids[n] for n in ("a2", "a1", "b-dm", "b1", "c1")]
    assert continued == ["b"]  # "b" was split: its marker on one page, its version on the next


def test_show_versions_page_and_load_more_partial(client, bob, history):
    prefix, ids = history
    client.force_login(bob)
    body = client.get(listing(prefix=prefix, versions="1")).content.decode()
    assert 'id="folder-versions"' in body and 'id="show-versions" data-autosubmit checked' in body
    for version in ids.values():
        assert version in body
    assert "delete-selected" not in body  # no bulk delete of keys in the versions view
    page = selectors.folder_versions_page(bucket=BUCKET, prefix=prefix, page_size=2)
    more = client.get(
        listing(
            prefix=prefix, versions="1", marker=page.next_marker,
            version_marker=page.next_version_marker, page_size="50",
        ),
        **HTMX,
        HTTP_HX_TARGET="versions-load-more",
    )  # fmt: skip
    text = more.content.decode()
    assert "<html" not in text and ids["a2"] not in text and ids["c1"] in text


def test_show_deleted_lists_deleted_keys_marked(client, alice, history):
    prefix, ids = history
    client.force_login(alice)
    plain = client.get(listing(prefix=prefix)).content.decode()
    assert 'data-key="' + prefix + 'b"' not in plain
    body = client.get(listing(prefix=prefix, deleted="1")).content.decode()
    assert f'<tr class="object-row deleted-row" data-key="{prefix}b">' in body
    assert body.count("deleted-row") == 1 and 'class="undelete-one"' in body
    assert 'id="undelete-selected"' in body
    page = selectors.folder_page_with_deleted(bucket=BUCKET, prefix=prefix, page_size=100)
    assert [(o.name, o.deleted) for o in page.objects] == [
        ("a", False),
        ("b", True),
        ("c", False),
    ]
    assert page.objects[1].marker_version_id == ids["b-dm"] and page.objects[0].size == 2


def test_show_deleted_skips_long_histories_and_pages_by_key(cos_client, scratch):
    for n in range(6):
        put(cos_client, f"{scratch}k0", str(n).encode())
    for name in ("k1", "k2", "k3"):
        put(cos_client, f"{scratch}{name}")
    delete(cos_client, f"{scratch}k2")
    page = selectors.folder_page_with_deleted(bucket=BUCKET, prefix=scratch, page_size=2)
    assert [o.name for o in page.objects] == ["k0", "k1"]
    assert page.next_marker == f"{scratch}k1"
    page = selectors.folder_page_with_deleted(
        bucket=BUCKET, prefix=scratch, marker=page.next_marker, page_size=2
    )
    assert [(o.name, o.deleted) for o in page.objects] == [("k2", True), ("k3", False)]


def test_viewer_sees_deleted_but_no_undelete(client, bob, history):
    prefix, _ = history
    client.force_login(bob)
    body = client.get(listing(prefix=prefix, deleted="1")).content.decode()
    assert "deleted-row" in body and "undelete" not in body.lower().replace("undeleted", "")


def test_show_deleted_fills_a_page_in_few_requests_when_keys_have_many_versions(
    cos_client, scratch, monkeypatch
):
    for n in range(12):
        for body in (b"1", b"2", b"3"):
            put(cos_client, f"{scratch}m{n:02d}", body)
    client = get_cos_client()
    calls = []
    listing = client.list_objects_versions
    monkeypatch.setattr(
        client, "list_objects_versions", lambda **kw: calls.append(kw) or listing(**kw)
    )
    page = selectors.folder_page_with_deleted(bucket=BUCKET, prefix=scratch, page_size=10)
    assert len(calls) <= 2  # it learns how many entries a key takes, rather than asking 10 times
    assert [o.name for o in page.objects] == [f"m{n:02d}" for n in range(10)]
    assert page.next_marker == f"{scratch}m09"
    rest = selectors.folder_page_with_deleted(
        bucket=BUCKET, prefix=scratch, marker=page.next_marker, page_size=10
    )
    assert [o.name for o in rest.objects] == ["m10", "m11"] and not rest.is_truncated
