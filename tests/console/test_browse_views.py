"""The buckets page and the object browser, through the real client against coslocal."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("console_cos")

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_every_page_requires_login(client, db) -> None:
    response = client.get(reverse("objects:bucket-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_a_role_is_refused(client, charlie) -> None:
    client.force_login(charlie)
    response = client.get(reverse("objects:bucket-list"))
    assert response.status_code == 403
    assert b"viewer role" in response.content


def test_bucket_list_shows_buckets_from_coslocal(client, bob, demo_bucket) -> None:
    client.force_login(bob)
    response = client.get(reverse("objects:bucket-list"))
    assert response.status_code == 200
    assert b"<html" in response.content
    assert demo_bucket.encode() in response.content
    assert b"ap-guangzhou" in response.content


def test_object_list_full_page_shows_folders_and_objects(client, bob, demo_bucket) -> None:
    client.force_login(bob)
    response = client.get(reverse("objects:object-list", args=[demo_bucket]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    for folder in ("photos/", "docs/", "archive/", "odd names/"):
        assert folder in body
    assert "README.txt" in body


def test_object_list_htmx_request_gets_only_the_table_partial(client, bob, demo_bucket) -> None:
    client.force_login(bob)
    url = reverse("objects:object-list", args=[demo_bucket])
    response = client.get(url, {"prefix": "photos/2024/"}, **htmx_target("object-table"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="object-table"' in body
    assert "01/" in body and "12/" in body
    assert "HX-Request" in response["Vary"]


def htmx_target(target: str) -> dict[str, str]:
    return {**HTMX, "HTTP_HX_TARGET": target}


def test_load_more_returns_next_rows_and_a_new_load_more_row(client, bob, paged_bucket) -> None:
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    first = client.get(url, {"prefix": "many/", "page_size": 50}).content.decode()
    assert first.count('class="object-row"') == 50
    assert "item-049.txt" in first and "item-050.txt" not in first
    assert "marker=many%2Fitem-049.txt" in first
    second = client.get(
        url, {"prefix": "many/", "page_size": 50, "marker": "many/item-049.txt"},
        **htmx_target("load-more"),
    ).content.decode()  # fmt: skip
    assert "<html" not in second and 'id="object-table"' not in second
    assert second.count('class="object-row"') == 50
    assert "item-050.txt" in second and "item-099.txt" in second
    assert 'id="load-more"' in second
    last = client.get(
        url, {"prefix": "many/", "page_size": 50, "marker": "many/item-099.txt"},
        **htmx_target("load-more"),
    ).content.decode()  # fmt: skip
    assert last.count('class="object-row"') == 20
    assert 'id="load-more"' not in last


def test_keys_are_rendered_escaped(client, bob, cos_client, paged_bucket) -> None:
    key = "xss/<img src=x onerror=alert(1)>.txt"
    cos_client.put_object(Bucket=paged_bucket, Key=key, Body=b"x")
    client.force_login(bob)
    url = reverse("objects:object-list", args=[paged_bucket])
    body = client.get(url, {"prefix": "xss/"}).content.decode()
    assert "<img src=x onerror" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in body


def test_missing_bucket_is_a_clear_404(client, bob) -> None:
    client.force_login(bob)
    response = client.get(reverse("objects:object-list", args=["nope-1250000000"]))
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert b"The bucket does not exist, or this account cannot see it." in response.content
    assert b"Traceback" not in response.content


def test_missing_bucket_on_htmx_goes_to_the_flash_area(client, bob) -> None:
    client.force_login(bob)
    url = reverse("objects:object-list", args=["nope-1250000000"])
    response = client.get(url, **htmx_target("object-table"))
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#flash"
    assert b"<html" not in response.content


def test_unreachable_cos_is_a_clear_503(client, bob, settings) -> None:
    from objects_app.storage import get_cos_client
    from stack.net import free_port

    settings.COS_PORT = free_port()  # nothing listens there
    get_cos_client.cache_clear()
    client.force_login(bob)
    response = client.get(reverse("objects:bucket-list"))
    assert response.status_code == 503
    assert b"Could not reach COS" in response.content


def test_overlong_prefix_is_refused_before_calling_cos(client, bob, demo_bucket) -> None:
    client.force_login(bob)
    url = reverse("objects:object-list", args=[demo_bucket])
    response = client.get(url, {"prefix": "k" * 851})
    assert response.status_code == 422
    assert "longer than COS's limit of 850 bytes" in html.unescape(response.content.decode())
