"""The object page says how an object is encrypted at rest (issue 16): SSE-COS is shown; an SSE-C
object, which COS serves only with its customer key, gets a plain explanation, not an outage."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest
from django.urls import reverse

from tests.console.conftest import SCRATCH_BUCKET as BUCKET

pytestmark = pytest.mark.usefixtures("console_cos")

CUSTOMER_KEY = b"k" * 32


def page(client, key: str):  # type: ignore[no-untyped-def]
    return client.get(reverse("objects:object-detail", args=[BUCKET]), {"key": key})


def test_sse_cos_object_page_says_it_is_encrypted(client, bob, cos_client, scratch) -> None:
    key = scratch + "sealed.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"s", ServerSideEncryption="AES256")
    client.force_login(bob)
    body = html.unescape(page(client, key).content.decode())
    cell = re.search(r'<td id="encryption">(.*?)</td>', body)
    assert cell and re.sub(r"<[^>]+>", "", cell.group(1)) == "Encrypted by COS (SSE-COS, AES256)"


def test_plain_object_page_says_it_is_not_encrypted(client, bob, cos_client, scratch) -> None:
    key = scratch + "plain.txt"
    cos_client.put_object(Bucket=BUCKET, Key=key, Body=b"p")
    client.force_login(bob)
    assert "Not encrypted at rest by COS" in html.unescape(page(client, key).content.decode())


def test_sse_c_object_is_explained_not_reported_as_an_outage(
    client, bob, cos_client, scratch
) -> None:
    key = scratch + "customer.bin"
    cos_client.put_object(
        Bucket=BUCKET, Key=key, Body=b"c",
        SSECustomerAlgorithm="AES256",
        SSECustomerKey=base64.b64encode(CUSTOMER_KEY).decode(),
        SSECustomerKeyMD5=base64.b64encode(hashlib.md5(CUSTOMER_KEY).digest()).decode(),
    )  # fmt: skip
    client.force_login(bob)
    response = page(client, key)
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "encrypted with a customer-provided key (SSE-C)" in body
    assert "unreachable" not in body.lower()
