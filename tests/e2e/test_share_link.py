"""A share link opened in Chromium reaches coslocal by the bucket's `*.localhost` host."""

from __future__ import annotations

import pytest

from objects_app.selectors.objects import object_presigned_url

pytestmark = pytest.mark.e2e


def test_chromium_opens_a_share_link(page, console_cos, cos_client, settings, demo_bucket) -> None:
    settings.COS_PUBLIC_ENDPOINT = f"cos.ap-guangzhou.localhost:{console_cos.port}"
    cos_client.put_object(
        Bucket=demo_bucket, Key="shared/hello.txt", Body=b"hello from a share link",
        ContentType="text/plain",
    )  # fmt: skip
    url = object_presigned_url(bucket=demo_bucket, key="shared/hello.txt", expires=300)
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.inner_text("body").strip() == "hello from a share link"
