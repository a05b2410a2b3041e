"""GET Bucket and GET Bucket versions: pagination, delimiters, encoding, markers."""

from __future__ import annotations

from typing import Any

import pytest
from qcloud_cos import CosS3Client, CosServiceError

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import signed_request

KEYS = sorted(
    [
        "a.txt",
        "b/1.txt",
        "b/2.txt",
        "b/c/3.txt",
        "c d/x",
        "c+d/y",
        "c%d/z",
        "d/",
        "d/e",
        "e",
        "f/g/h",
        "z/é/ü",
    ],
    key=lambda k: k.encode(),
)


@pytest.fixture(scope="module")
def populated(sdk: CosS3Client) -> str:
    from tests.coslocal.conftest import new_bucket_name

    name = new_bucket_name("list")
    sdk.create_bucket(Bucket=name)
    for key in KEYS:
        sdk.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def _walk(sdk: CosS3Client, bucket: str, **kw: Any) -> tuple[list[str], list[str], int]:
    keys: list[str] = []
    prefixes: list[str] = []
    marker, pages = "", 0
    while True:
        page = sdk.list_objects(Bucket=bucket, Marker=marker, **kw)
        pages += 1
        keys += [c["Key"] for c in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if page["IsTruncated"] == "false":
            assert "NextMarker" not in page
            return keys, prefixes, pages
        marker = page["NextMarker"]
        assert marker


def test_full_listing_in_utf8_byte_order(sdk: CosS3Client, populated: str) -> None:
    keys, prefixes, _ = _walk(sdk, populated)
    assert keys == KEYS and prefixes == []


@pytest.mark.parametrize("max_keys", [1, 2, 3, 1000])
def test_pagination_without_delimiter(sdk: CosS3Client, populated: str, max_keys: int) -> None:
    keys, _, pages = _walk(sdk, populated, MaxKeys=max_keys)
    assert keys == KEYS
    assert pages == -(-len(KEYS) // max_keys) or pages == len(KEYS) // max_keys + 1


@pytest.mark.parametrize("max_keys", [1, 2, 5, 1000])
def test_pagination_with_delimiter(sdk: CosS3Client, populated: str, max_keys: int) -> None:
    keys, prefixes, _ = _walk(sdk, populated, Delimiter="/", MaxKeys=max_keys)
    assert keys == ["a.txt", "e"]
    assert prefixes == ["b/", "c d/", "c%d/", "c+d/", "d/", "f/", "z/"]


def test_prefix_and_delimiter(sdk: CosS3Client, populated: str) -> None:
    page = sdk.list_objects(Bucket=populated, Prefix="b/", Delimiter="/")
    assert [c["Key"] for c in page["Contents"]] == ["b/1.txt", "b/2.txt"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["b/c/"]
    assert page["Prefix"] == "b/"
    page = sdk.list_objects(Bucket=populated, Prefix="d/", Delimiter="/")
    assert [c["Key"] for c in page["Contents"]] == ["d/", "d/e"]  # the folder object itself
    empty = sdk.list_objects(Bucket=populated, Prefix="nothing/")
    assert "Contents" not in empty and "CommonPrefixes" not in empty


def test_max_keys_counts_common_prefixes(sdk: CosS3Client, populated: str) -> None:
    page = sdk.list_objects(Bucket=populated, Delimiter="/", MaxKeys=3)
    assert page["IsTruncated"] == "true"
    got = [c["Key"] for c in page.get("Contents", [])] + [
        p["Prefix"] for p in page.get("CommonPrefixes", [])
    ]
    assert sorted(got) == ["a.txt", "b/", "c d/"]
    assert page["NextMarker"] == "c d/"


def test_encoding_type_url_on_the_wire(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, populated: str
) -> None:
    params = {"prefix": "c", "encoding-type": "url", "delimiter": "/"}
    resp = signed_request(coslocal_srv, url_signer, "GET", populated, params=params)
    assert resp.status_code == 200
    body = resp.text
    assert "<Prefix>c%20d/</Prefix>" in body
    assert "<Prefix>c%2Bd/</Prefix>" in body
    assert "<Prefix>c%25d/</Prefix>" in body
    assert "<EncodingType>url</EncodingType>" in body


def test_invalid_arguments(sdk: CosS3Client, populated: str) -> None:
    with pytest.raises(CosServiceError) as exc:
        sdk.list_objects(Bucket=populated, Delimiter="//")
    assert exc.value.get_error_code() == "InvalidDelimiter"
    with pytest.raises(CosServiceError) as exc:
        sdk.list_objects(Bucket="nobucket-1250000000")
    assert exc.value.get_error_code() == "NoSuchBucket"


def test_marker_inside_a_common_prefix_skips_it(sdk: CosS3Client, populated: str) -> None:
    page = sdk.list_objects(Bucket=populated, Delimiter="/", Marker="b/")
    first = [p["Prefix"] for p in page["CommonPrefixes"]][0]
    assert first == "c d/"


def test_bucket_listing_header_region(sdk: CosS3Client, populated: str) -> None:
    assert sdk.head_bucket(Bucket=populated)["x-cos-bucket-region"] == "ap-guangzhou"
