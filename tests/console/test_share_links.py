"""Share links against coslocal: signed for the bucket's public host (COS_PUBLIC_ENDPOINT), so a
browser can open them; a tampered link is refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from objects_app.selectors.objects import object_presigned_url

pytestmark = pytest.mark.usefixtures("console_cos")


@pytest.fixture
def public_endpoint(settings, coslocal) -> str:  # type: ignore[no-untyped-def]
    settings.COS_PUBLIC_ENDPOINT = f"cos.ap-guangzhou.localhost:{coslocal.port}"
    return settings.COS_PUBLIC_ENDPOINT


def _fetch(url: str, port: int) -> requests.Response:
    # Python's resolver may not map *.localhost to loopback as browsers do: connect by IP.
    parts = urlsplit(url)
    return requests.get(
        f"http://127.0.0.1:{port}{parts.path}?{parts.query}",
        headers={"Host": parts.netloc}, timeout=10,
    )  # fmt: skip


def test_share_link_names_the_bucket_host_and_works(
    public_endpoint, coslocal, cos_client, paged_bucket
) -> None:
    cos_client.put_object(Bucket=paged_bucket, Key="share/a b+c.txt", Body=b"shared bytes")
    url = object_presigned_url(bucket=paged_bucket, key="share/a b+c.txt", expires=600)
    assert urlsplit(url).netloc == f"{paged_bucket}.{public_endpoint}"
    assert "127.0.0.1" not in url
    response = _fetch(url, coslocal.port)
    assert response.status_code == 200 and response.content == b"shared bytes"


def test_tampered_share_link_is_refused(
    public_endpoint, coslocal, cos_client, paged_bucket
) -> None:
    cos_client.put_object(Bucket=paged_bucket, Key="share/secret.txt", Body=b"secret")
    url = object_presigned_url(bucket=paged_bucket, key="share/secret.txt", expires=600)
    tampered = url.replace("share/secret.txt", "share/other.txt")
    assert _fetch(tampered, coslocal.port).status_code == 403


def test_without_public_endpoint_links_point_at_cos_itself(settings, paged_bucket) -> None:
    settings.COS_PUBLIC_ENDPOINT = ""
    url = object_presigned_url(bucket=paged_bucket, key="k.txt", expires=60)
    assert urlsplit(url).netloc == f"127.0.0.1:{settings.COS_PORT}"
