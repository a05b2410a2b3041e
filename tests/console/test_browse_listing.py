"""Buckets page with versioning, and the browser's filter, jump-to-key and page size."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from objects_app.selectors.browse import jump_marker

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "object-table"}


def test_bucket_list_shows_versioning_state_per_bucket(client, bob, demo_bucket, paged_bucket):
    client.force_login(bob)
    body = client.get(reverse("objects:bucket-list")).content.decode()
    rows = {line.split("</a>")[0].rsplit(">", 1)[-1]: line for line in body.split("<tr>")[2:]}
    assert "Enabled" in rows[demo_bucket]
    assert "Off" in rows[paged_bucket]
    assert "ap-guangzhou" in rows[paged_bucket]


def test_bucket_list_htmx_partial(client, bob, demo_bucket):
    client.force_login(bob)
    response = client.get(
        reverse("objects:bucket-list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="bucket-table"
    )
    body = response.content.decode()
    assert "<html" not in body and '<table id="bucket-table"' in body.split("\n", 3)[2]


def test_versioning_that_cannot_be_read_shows_unknown(client, bob, coslocal, paged_bucket):
    client.force_login(bob)
    coslocal.set_faults(mode="error", status=403, code="AccessDenied", query_contains="versioning")
    try:
        body = client.get(reverse("objects:bucket-list")).content.decode()
    finally:
        coslocal.clear_faults()
    assert "unknown" in body and paged_bucket in body


def test_prefix_filter_lists_only_matching_keys(client, bob, paged_bucket):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(url, {"prefix": "many/", "q": "item-11"}, **HTMX).content.decode()
    assert body.count('class="object-row"') == 10
    assert "item-110.txt" in body and "item-119.txt" in body and "item-109" not in body
    # The filter stays inside the folder: the folder and the filter are separate fields.
    assert (
        'name="prefix" value="many/"' in body
        and 'name="q" id="name-filter" value="item-11"' in body
    )


def test_filter_shows_full_names_inside_the_folder(client, bob, paged_bucket):
    """Filtering `many/item-11` lists `item-110.txt`..., not the tail after the filter."""
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(url, {"prefix": "many/", "q": "item-11"}).content.decode()
    names = re.findall(r'<code class="key" translate="no">(item-[^<]*)</code>', body)
    assert names[:2] == ["item-110.txt", "item-111.txt"]
    assert "<title>many/ · " in body


def test_old_style_prefix_with_a_partial_name_is_split_into_folder_and_filter(
    client, bob, paged_bucket
):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(url, {"prefix": "many/item-11"}).content.decode()
    assert body.count('class="object-row"') == 10
    assert 'data-prefix="many/"' in body


def test_filter_that_matches_nothing_says_so(client, bob, paged_bucket):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(url, {"prefix": "many/", "q": "zzz"}).content.decode()
    assert "Nothing in this folder matches “zzz”." in body
    assert "This folder is empty." not in body


def test_jump_to_key_starts_the_page_at_that_key(client, bob, paged_bucket):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(
        url, {"prefix": "many/", "jump": "item-077.txt", "page_size": 50}
    ).content.decode()
    assert body.count('class="object-row"') == 43  # item-077 .. item-119
    first_row = body.split('class="object-row"')[1]
    assert "item-077.txt" in first_row
    assert "item-076.txt" not in body
    assert "starting at" in body


def test_jump_to_a_missing_name_starts_at_the_next_one(client, bob, paged_bucket):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(url, {"prefix": "many/", "jump": "item-0775"}).content.decode()
    assert "item-078.txt" in body.split('class="object-row"')[1]


def test_jump_marker_sorts_just_before_the_key() -> None:
    for key in ("a", "many/item-077.txt", "中文", "x/ü"):
        marker = jump_marker(key)
        assert marker.encode() < key.encode()
        assert key[:-1].encode() <= marker.encode()
    assert jump_marker("") == ""
    assert jump_marker("ab\x01") == "ab"


def test_page_size_choice_and_per_page_counts(client, bob, paged_bucket):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(url, {"prefix": "many/", "page_size": 100}).content.decode()
    assert body.count('class="object-row"') == 100
    assert "100 items shown; more below" in body
    assert '<option value="100" selected>' in body
    assert "page_size=100" in body.split('id="load-more"')[1]


def test_page_size_outside_the_choices_is_refused(client, bob, paged_bucket):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    response = client.get(url, {"page_size": 100000})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_navigation_links_push_url_and_carry_real_hrefs(client, bob, demo_bucket):
    client.force_login(bob)
    body = client.get(
        reverse("objects:object-list", args=[demo_bucket]), {"prefix": "photos/"}
    ).content.decode()
    folder_link = body.split('class="folder-row"')[1].split("</a>")[0]
    assert 'href="?prefix=photos%2F2023%2F"' in folder_link
    assert 'hx-get="?prefix=photos%2F2023%2F"' in folder_link
    assert 'hx-push-url="true"' in folder_link
    assert 'hx-trigger="objects-changed from:body"' in body


def test_operator_sees_upload_and_selection_viewer_does_not(client, alice, bob, demo_bucket):
    url = reverse("objects:object-list", args=[demo_bucket])
    client.force_login(bob)
    viewer = client.get(url).content.decode()
    assert 'id="upload-area"' not in viewer and 'name="selected"' not in viewer
    client.force_login(alice)
    operator = client.get(url).content.decode()
    assert 'id="upload-area"' in operator and 'name="selected"' in operator
    assert 'id="folder-form"' in operator
