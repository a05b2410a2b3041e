"""The folder listing's storage-class filter: pages of matches, a bounded scan that says what it
scanned and found, and continues from where it stopped without skipping or repeating a key."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.restores.conftest import seed_objects

pytestmark = pytest.mark.usefixtures("restore_cos")

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "object-table"}
ARCHIVED = ["ARCHIVE", "DEEP_ARCHIVE"]


def names(body: str) -> list[str]:
    return re.findall(
        r'class="object-link"[^>]*>.*?<code class="key" translate="no">([^<]*)<', body
    )


def next_link(body: str) -> str:
    match = re.search(r'<tr id="load-more">.*?href="([^"]*)"', body, re.S)
    return match.group(1).replace("&amp;", "&") if match else ""


@pytest.fixture
def sparse(restore_cos, archive_bucket) -> str:  # type: ignore[no-untyped-def]
    """2,500 STANDARD keys in `mix/` with five archived ones spread out, plus a folder."""
    special = {5: "ARCHIVE", 10: "ARCHIVE", 1500: "DEEP_ARCHIVE", 2000: "ARCHIVE", 2400: "ARCHIVE"}
    rows = [(f"mix/k-{n:04d}", special.get(n, "STANDARD"), n) for n in range(2500)]
    rows += [("mix/", "STANDARD", 0), ("mix/sub/deep", "ARCHIVE", 1), ("other", "ARCHIVE", 1)]
    rows += [("mix/k-0007-ia", "STANDARD_IA", 1)]
    seed_objects(restore_cos, archive_bucket, rows)
    return archive_bucket


def test_filter_shows_only_the_chosen_classes_and_no_folders(client, bob, sparse, settings):
    settings.CONSOLE_CLASS_FILTER_SCAN_MAX = 100_000
    client.force_login(bob)
    url = reverse("objects:object-list", args=[sparse])
    body = client.get(url, {"prefix": "mix/", "storage_class": ARCHIVED}).content.decode()
    assert names(body) == ["k-0005", "k-0010", "k-1500", "k-2000", "k-2400"]
    assert "folder-row" not in body  # mix/sub/ is a folder: hidden while filtering
    assert 'id="load-more"' not in body
    # Every entry COS listed counts: 2,500 keys, the IA key, the sub/ folder, mix/'s placeholder.
    assert "5 items shown, 2,503 entries scanned" in body
    assert 'value="ARCHIVE" checked' in body and 'value="DEEP_ARCHIVE" checked' in body
    assert 'value="STANDARD" checked' not in body


def test_a_filtered_page_stops_at_its_scan_budget_and_continues(client, bob, sparse, settings):
    settings.CONSOLE_CLASS_FILTER_SCAN_MAX = 1000  # one listing call per request
    client.force_login(bob)
    url = reverse("objects:object-list", args=[sparse])
    first = client.get(url, {"prefix": "mix/", "storage_class": ARCHIVED}).content.decode()
    assert names(first) == ["k-0005", "k-0010"]
    assert "Scanned 1,000 entries, found 2 matches so far." in first
    assert "Continue scanning" in first
    seen, body, pages = names(first), first, 1
    while next_link(body):
        body = client.get(url + next_link(body), **{**HTMX, "HTTP_HX_TARGET": "load-more"})
        body = body.content.decode()
        assert "<html" not in body
        seen += names(body)
        pages += 1
    assert seen == ["k-0005", "k-0010", "k-1500", "k-2000", "k-2400"]
    assert pages == 3  # 2,503 entries, 1,000 a request
    assert "5 items shown, 2,503 entries scanned" in body  # the page count, out of band


def test_pages_that_fill_up_mid_listing_skip_and_repeat_nothing(
    client, bob, restore_cos, archive_bucket
):
    rows = [(f"d/{n:04d}", "ARCHIVE" if n % 3 == 0 else "STANDARD", 0) for n in range(360)]
    seed_objects(restore_cos, archive_bucket, rows)
    client.force_login(bob)
    url = reverse("objects:object-list", args=[archive_bucket])
    body = client.get(url, {"prefix": "d/", "storage_class": "ARCHIVE", "page_size": 50})
    body = body.content.decode()
    pages = [names(body)]
    assert "Load the next 50" in body and "Continue scanning" not in body
    while next_link(body):
        body = client.get(url + next_link(body), **HTMX).content.decode()
        pages.append(names(body))
    assert [len(p) for p in pages] == [50, 50, 20]
    assert sum(pages, []) == [f"{n:04d}" for n in range(0, 360, 3)]


def test_class_filter_and_name_filter_combine(client, bob, sparse, settings):
    settings.CONSOLE_CLASS_FILTER_SCAN_MAX = 100_000
    client.force_login(bob)
    url = reverse("objects:object-list", args=[sparse])
    body = client.get(url, {"prefix": "mix/", "q": "k-00", "storage_class": ["ARCHIVE"]})
    body = body.content.decode()
    assert names(body) == ["k-0005", "k-0010"]
    # The name filter and jump forms keep the class filter; the class form keeps the name filter.
    assert body.count('<input type="hidden" name="storage_class" value="ARCHIVE">') == 2
    assert 'id="class-filter-form"' in body


def test_nothing_of_the_class_says_so(client, bob, sparse):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[sparse])
    body = client.get(url, {"prefix": "mix/sub/", "storage_class": "STANDARD_IA"}).content.decode()
    assert "No object of class STANDARD_IA here." in body


def test_filtered_listing_full_page_and_partial(client, bob, sparse):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[sparse])
    query = {"prefix": "mix/", "storage_class": ARCHIVED}
    assert "<html" in client.get(url, query).content.decode()
    partial = client.get(url, query, **HTMX).content.decode()
    assert "<html" not in partial and 'id="object-table"' in partial


def test_unknown_storage_class_is_refused(client, bob, sparse):
    client.force_login(bob)
    url = reverse("objects:object-list", args=[sparse])
    response = client.get(url, {"storage_class": "GLACIER"})
    assert response.status_code == 422
    assert "GLACIER is not one of the available choices" in response.content.decode()


def test_select_everything_is_not_offered_while_class_filtered(client, alice, sparse, settings):
    """The batch delete's "everything that matches" matches names only, never classes."""
    settings.CONSOLE_CLASS_FILTER_SCAN_MAX = 1000
    client.force_login(alice)
    url = reverse("objects:object-list", args=[sparse])
    filtered = client.get(url, {"prefix": "mix/", "storage_class": ARCHIVED}).content.decode()
    assert 'data-truncated=""' in filtered
    unfiltered = client.get(url, {"prefix": "mix/", "page_size": 50}).content.decode()
    assert 'data-truncated="1"' in unfiltered
