"""PUT/GET/HEAD/DELETE Object through the official SDK, with the keys COS users actually write."""

from __future__ import annotations

import base64
import hashlib
import os
from email.utils import formatdate

import pytest
import requests
from qcloud_cos import CosS3Client, CosServiceError
from qcloud_cos.cos_comm import to_bytes

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import host_for, local_url

ODD_KEYS = [
    "plain.txt",
    "dir/sub/file.bin",
    "with space.txt",
    "plus+sign.txt",
    "percent%20literal%2F.txt",
    "./dot-slash",
    "a/./b",
    "question?mark",
    "hash#tag",
    "../../escape-attempt",
    "abc/../x",
    "unicode/腾讯云/ファイル-é.txt",
    "emoji-😀",
    "semi;colon=eq&amp,comma:colon@at$",
    "tilde~quote'paren()",
    "trailing/",
]


def _crc64(data: bytes) -> str:
    from fastcrc import crc64

    return str(crc64.xz(data)) if data else "0"


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_keys_round_trip(sdk: CosS3Client, bucket: str, key: str) -> None:
    body = f"body of {key}".encode()
    put = sdk.put_object(Bucket=bucket, Key=key, Body=body)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["x-cos-hash-crc64ecma"] == _crc64(body)
    head = sdk.head_object(Bucket=bucket, Key=key)
    assert head["Content-Length"] == str(len(body))
    assert head["x-cos-hash-crc64ecma"] == _crc64(body)
    got = sdk.get_object(Bucket=bucket, Key=key)
    assert got["Body"].get_raw_stream().read() == body
    listed = sdk.list_objects(Bucket=bucket, Prefix=key)
    assert [c["Key"] for c in listed["Contents"]] == [key]
    sdk.delete_object(Bucket=bucket, Key=key)
    assert not sdk.object_exists(Bucket=bucket, Key=key)


def test_keys_never_become_paths(
    sdk: CosS3Client, bucket: str, coslocal_srv: CoslocalServer
) -> None:
    for key in ["../../../../tmp/coslocal-escape", "..%2F..%2Fx", "a\x00b", "/abs"]:
        sdk.put_object(Bucket=bucket, Key=key, Body=b"x")
    data = coslocal_srv.data_dir
    names = {p.name for p in data.rglob("*")}
    assert not any("escape" in n or n in ("x", "abs") for n in names)
    assert not (data.parent / "tmp" / "coslocal-escape").exists()
    blob_names = [p.name for p in (data / "blobs").rglob("*") if p.is_file()]
    assert blob_names and all(len(n) == 32 and int(n, 16) >= 0 for n in blob_names)


def test_crc64_and_etag_match_the_documented_vector(sdk: CosS3Client, bucket: str) -> None:
    resp = sdk.put_object(Bucket=bucket, Key="vector", Body=b"[Object Content]")
    assert resp["ETag"] == '"ee8de918d05640145b18f70f4c3aa602"'
    assert resp["x-cos-hash-crc64ecma"] == "16749565679157681890"


def test_chunked_body_and_empty_object(sdk: CosS3Client, bucket: str) -> None:
    chunks = [os.urandom(70_000) for _ in range(5)]
    sdk.put_object(Bucket=bucket, Key="chunked", Body=iter(chunks))
    assert sdk.get_object(Bucket=bucket, Key="chunked")["Body"].get_raw_stream().read() == b"".join(
        chunks
    )
    empty = sdk.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert empty["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert empty["x-cos-hash-crc64ecma"] == "0"
    got = sdk.get_object(Bucket=bucket, Key="empty")
    assert got["Content-Length"] == "0"
    assert got["Body"].get_raw_stream().read() == b""


def test_metadata_and_standard_headers(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(
        Bucket=bucket,
        Key="meta",
        Body=b"x",
        ContentType="text/plain; charset=utf-8",
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="m.txt"',
        ContentEncoding="identity",
        Expires="Wed, 21 Oct 2030 07:28:00 GMT",
        Metadata={"x-cos-meta-author": "ada_lovelace", "x-cos-meta-n": "1"},
    )
    head = sdk.head_object(Bucket=bucket, Key="meta")
    assert head["Content-Type"] == "text/plain; charset=utf-8"
    assert head["Cache-Control"] == "max-age=60"
    assert head["Content-Disposition"] == 'attachment; filename="m.txt"'
    assert head["Expires"] == "Wed, 21 Oct 2030 07:28:00 GMT"
    assert head["x-cos-meta-author"] == "ada_lovelace"
    assert "x-cos-storage-class" not in head  # omitted for STANDARD
    assert "Last-Modified" in head and "ETag" in head and "x-cos-request-id" in head


def test_content_md5_checked(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="md5-ok", Body=b"abc", EnableMD5=True)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(CosServiceError) as exc:
        sdk.put_object(Bucket=bucket, Key="md5-bad", Body=b"abc", ContentMD5=wrong)
    assert exc.value.get_status_code() == 400
    assert exc.value.get_error_code() == "BadDigest"
    assert not sdk.object_exists(Bucket=bucket, Key="md5-bad")


def test_key_too_long(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="k" * 850, Body=b"ok")
    with pytest.raises(CosServiceError) as exc:
        sdk.put_object(Bucket=bucket, Key="k" * 851, Body=b"no")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (400, "KeyTooLong")
    with pytest.raises(CosServiceError) as exc:
        sdk.put_object(Bucket=bucket, Key="é" * 426, Body=b"no")  # 852 bytes of UTF-8
    assert exc.value.get_error_code() == "KeyTooLong"


def test_missing_key_and_bucket_errors(sdk: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="nope")
    err = exc.value
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchKey")
    assert err.get_request_id() not in ("", "Unknown")
    assert err.get_trace_id() not in ("", "Unknown")
    assert err.get_resource_location() not in ("", "Unknown")
    with pytest.raises(CosServiceError) as exc:
        sdk.head_object(Bucket=bucket, Key="nope")
    assert exc.value.get_status_code() == 404
    with pytest.raises(CosServiceError) as exc:
        sdk.put_object(Bucket="missing-1250000000", Key="k", Body=b"x")
    assert exc.value.get_error_code() == "NoSuchBucket"


def test_range_requests(sdk: CosS3Client, bucket: str) -> None:
    body = bytes(range(256)) * 40
    sdk.put_object(Bucket=bucket, Key="r", Body=body)
    part = sdk.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert part["Content-Range"] == f"bytes 10-19/{len(body)}"
    assert part["Body"].get_raw_stream().read() == body[10:20]
    tail = sdk.get_object(Bucket=bucket, Key="r", Range="bytes=-5")
    assert tail["Body"].get_raw_stream().read() == body[-5:]
    open_end = sdk.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(body) - 3}-")
    assert open_end["Body"].get_raw_stream().read() == body[-3:]
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(body)}-")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (416, "InvalidRange")


def test_conditional_get_and_head(sdk: CosS3Client, bucket: str) -> None:
    put = sdk.put_object(Bucket=bucket, Key="c", Body=b"cond")
    etag = put["ETag"]
    assert sdk.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].get_raw_stream().read()
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert exc.value.get_status_code() == 412
    # 304 is a success for the SDK (status < 400), with no body
    not_modified = sdk.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert not_modified["Body"].get_raw_stream().read() == b""
    future = formatdate(2_000_000_000, usegmt=True)
    past = formatdate(1_000_000_000, usegmt=True)
    sdk.head_object(Bucket=bucket, Key="c", IfModifiedSince=past)
    with pytest.raises(CosServiceError) as exc:
        sdk.head_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert exc.value.get_status_code() == 412
    sdk.head_object(Bucket=bucket, Key="c", IfUnmodifiedSince=future)


def test_conditional_get_returns_304_on_wire(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, url_signer: CosS3Client, bucket: str
) -> None:
    etag = sdk.put_object(Bucket=bucket, Key="c304", Body=b"x")["ETag"]
    url, headers = local_url(
        coslocal_srv, url_signer.get_presigned_url(Bucket=bucket, Key="c304", Method="GET")
    )
    resp = requests.get(url, headers={**headers, "If-None-Match": etag}, timeout=10)
    assert resp.status_code == 304 and resp.content == b""


def test_response_overrides(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = sdk.get_object(
        Bucket=bucket,
        Key="o",
        ResponseContentType="application/json",
        ResponseContentDisposition="attachment; filename=o.json",
        ResponseCacheControl="no-cache",
    )
    assert got["Content-Type"] == "application/json"
    assert got["Content-Disposition"] == "attachment; filename=o.json"
    assert got["Cache-Control"] == "no-cache"


def test_overwrite_replaces_content(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="ow", Body=b"first")
    sdk.put_object(Bucket=bucket, Key="ow", Body=b"second!")
    assert sdk.get_object(Bucket=bucket, Key="ow")["Body"].get_raw_stream().read() == b"second!"
    listed = sdk.list_objects(Bucket=bucket, Prefix="ow")
    assert len(listed["Contents"]) == 1 and listed["Contents"][0]["Size"] == "7"


def test_download_file_with_crc_check(sdk: CosS3Client, bucket: str, tmp_path) -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    sdk.put_object(Bucket=bucket, Key="dl", Body=body)
    dest = tmp_path / "dl.bin"
    sdk.download_file(Bucket=bucket, Key="dl", DestFilePath=str(dest), PartSize=1, EnableCRC=True)
    assert dest.read_bytes() == body


def test_request_id_and_canonical_header_names(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="h", Body=b"x")
    head = sdk.head_object(Bucket=bucket, Key="h")
    assert {"ETag", "Content-Length", "Last-Modified", "x-cos-request-id"} <= set(head)
    resp = requests.head(
        f"{coslocal_srv.endpoint_url}/h", headers={"Host": host_for(bucket)}, timeout=5
    )
    assert resp.status_code == 403 and resp.content == b""
    assert resp.headers["x-cos-request-id"] and resp.headers["x-cos-trace-id"]


def test_to_bytes_helper_is_stable() -> None:
    # guards our assumption that the SDK hands str bodies to requests as UTF-8
    assert to_bytes("é") == "é".encode()


def test_concurrent_overwrites_and_reads_never_see_partial_bodies(
    sdk: CosS3Client, bucket: str
) -> None:
    import threading
    import time

    bodies = {bytes([65 + i]) * (200_000 + i) for i in range(6)}
    sdk.put_object(Bucket=bucket, Key="hot", Body=next(iter(bodies)))
    stop = time.monotonic() + 1.5
    seen: list[bytes] = []
    failures: list[BaseException] = []

    def writer(body: bytes) -> None:
        while time.monotonic() < stop:
            sdk.put_object(Bucket=bucket, Key="hot", Body=body)

    def reader() -> None:
        try:
            while time.monotonic() < stop:
                seen.append(
                    sdk.get_object(Bucket=bucket, Key="hot")["Body"].get_raw_stream().read()
                )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(b,)) for b in list(bodies)[:3]]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert seen and all(body in bodies for body in seen)
