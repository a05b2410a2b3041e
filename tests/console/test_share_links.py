"""Share links against coslocal: signed for the bucket's public host (COS_PUBLIC_ENDPOINT), so a
browser can open them; a tampered link is refused."""

from __future__ import annotations

import html
import re
import time
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.urls import reverse

from objects_app.selectors.objects import object_presigned_url
from tests.console.conftest import SCRATCH_BUCKET

SHARE_URL = re.compile(r'id="share-url" value="([^"]+)"')

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


# --- pinned share links (issue 15): the version and every response header are signed ------------


def _share(client, user, bucket: str, key: str, **extra: str) -> str:  # type: ignore[no-untyped-def]
    """A share link made through the console's own endpoint, as a user makes one."""
    client.force_login(user)
    response = client.post(
        reverse("objects:object-share", args=[bucket]), {"key": key, "expires": 3600, **extra}
    )
    assert response.status_code == 200, response.content
    return html.unescape(SHARE_URL.search(response.content.decode()).group(1))  # type: ignore[union-attr]


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _with_query(url: str, pairs: list[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(pairs)))


def _versions(cos_client, bucket: str, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Version ids of `key`, newest first."""
    listing = cos_client.list_objects_versions(Bucket=bucket, Prefix=key)
    return [v["VersionId"] for v in listing.get("Version", []) if v["Key"] == key]


def test_share_link_pins_the_current_version(
    client, bob, public_endpoint, coslocal, cos_client, scratch
) -> None:
    key = f"{scratch}report.txt"
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"overwritten secret")
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"current")
    current, older = _versions(cos_client, SCRATCH_BUCKET, key)
    url = _share(client, bob, SCRATCH_BUCKET, key)
    assert _query(url)["versionId"] == current
    assert _fetch(url, coslocal.port).content == b"current"

    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    added = _with_query(url, [*pairs, ("versionId", older)])
    changed = _with_query(url, [(k, older if k == "versionId" else v) for k, v in pairs])
    # Changed: the signature fails (403). Added: a repeated parameter, refused outright (400)
    # by coslocal, as one value must be both checked and served.
    for attempt, refused in ((added, {400, 403}), (changed, {403})):
        response = _fetch(attempt, coslocal.port)
        assert response.status_code in refused and b"overwritten secret" not in response.content

    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"newer")
    assert _fetch(url, coslocal.port).content == b"current"  # the link is for what was shared


def test_share_link_of_an_older_version_pins_that_version(
    client, bob, public_endpoint, coslocal, cos_client, scratch
) -> None:
    key = f"{scratch}v.txt"
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"one")
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"two")
    current, older = _versions(cos_client, SCRATCH_BUCKET, key)
    url = _share(client, bob, SCRATCH_BUCKET, key, version_id=older)
    assert _fetch(url, coslocal.port).content == b"one"
    changed = url.replace(f"versionId={older}", f"versionId={current}")
    assert changed != url and _fetch(changed, coslocal.port).status_code == 403


@pytest.mark.parametrize(
    "name,value",
    [
        ("response-content-type", "text/html"),
        ("response-content-disposition", "inline"),
    ],
)
def test_share_link_refuses_a_changed_or_added_response_header(
    client, bob, public_endpoint, coslocal, cos_client, scratch, name, value
) -> None:
    key = f"{scratch}notes.txt"
    body = b"<script>alert(document.domain)</script>"
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=body, ContentType="text/plain")
    url = _share(client, bob, SCRATCH_BUCKET, key)
    plain = _fetch(url, coslocal.port)
    assert plain.status_code == 200 and plain.headers["Content-Type"] == "text/plain"
    assert name in _query(url)  # signed by the console

    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    added = _with_query(url, [*pairs, (name, value)])
    changed = _with_query(url, [(k, value if k == name else v) for k, v in pairs])
    for attempt, refused in ((added, {400, 403}), (changed, {403})):
        response = _fetch(attempt, coslocal.port)
        assert response.status_code in refused, (attempt, response.headers)
        assert response.headers.get("Content-Type") != "text/html"


@pytest.mark.parametrize(
    "filename,content_type",
    [
        ("page.html", "text/html; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("doc.xhtml", "application/xhtml+xml"),
        ("feed.xml", "text/xml"),
        ("app.js", "text/javascript"),
        ("blob", ""),
    ],
)
def test_share_link_to_a_type_a_browser_runs_is_an_attachment(
    client, bob, public_endpoint, coslocal, cos_client, scratch, filename, content_type
) -> None:
    key = f"{scratch}{filename}"
    extra = {"ContentType": content_type} if content_type else {}
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"<script>1</script>", **extra)
    response = _fetch(_share(client, bob, SCRATCH_BUCKET, key), coslocal.port)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f'filename="{filename}"' in response.headers["Content-Disposition"]


def test_share_link_to_plain_text_or_an_image_still_opens_in_the_browser(
    client, bob, public_endpoint, coslocal, cos_client, scratch
) -> None:
    for name, ctype in (("a.txt", "text/plain"), ("p.png", "image/png")):
        cos_client.put_object(
            Bucket=SCRATCH_BUCKET, Key=scratch + name, Body=b"x", ContentType=ctype
        )
        response = _fetch(_share(client, bob, SCRATCH_BUCKET, scratch + name), coslocal.port)
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert response.headers["Content-Type"] == ctype


def test_share_link_is_what_the_official_sdk_signs_for_the_same_pins(
    client, bob, public_endpoint, coslocal, cos_client, scratch
) -> None:
    """The referee: the official SDK's signer, given the version and headers the console pins,
    produces the console's URL to the byte (same signing instant)."""
    from qcloud_cos import CosConfig as SdkConfig
    from qcloud_cos import CosS3Client as SdkClient

    from tests.conftest import SECRET_ID, SECRET_KEY

    key = f"{scratch}a b+c.html"
    cos_client.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=b"x", ContentType="text/html")
    [version] = _versions(cos_client, SCRATCH_BUCKET, key)
    # One signing instant for both signers (now, so the console's own HEAD is still valid).
    with mock.patch("time.time", return_value=float(int(time.time()))):
        ours = _share(client, bob, SCRATCH_BUCKET, key)
        sdk = SdkClient(
            SdkConfig(
                Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY, Scheme="http"
            )
        )
        theirs = sdk.get_presigned_download_url(
            Bucket=SCRATCH_BUCKET, Key=key, Expired=3600,
            Params={
                "versionId": version,
                "response-content-type": "text/html",
                "response-content-disposition": "attachment; filename=\"a b+c.html\"; "
                "filename*=UTF-8''a%20b%2Bc.html",
            },
            Headers={"Host": f"{SCRATCH_BUCKET}.cos.ap-guangzhou.localhost"},
        )  # fmt: skip
    assert _query(ours) == _query(theirs)
    assert _query(ours)["q-url-param-list"] == (
        "response-content-disposition;response-content-type;versionid"
    )
