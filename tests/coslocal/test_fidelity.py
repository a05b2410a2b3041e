"""Issue 16, coslocal items 1-8, through the official Python SDK (its calls, or its signer).

1 strict Authorization fields; 2 Content-Type from the key's extension; 3 empty headers not kept;
4 unknown sub-resources answered 501, never as another operation; 5 only the hosts and paths COS
routes, a bucket through another region's host is 404; 6 SSE-COS and SSE-C; 7 x-cos-traffic-limit
validated and honoured; 8 the `sign=` query form.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client, CosServiceError
from qcloud_cos.cos_auth import CosS3Auth

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import REGION, host_for, sdk_client


def _error(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(CosServiceError) as exc:
        call()
    return exc.value.get_status_code(), exc.value.get_error_code()


def _code(resp: requests.Response) -> str:
    start = resp.content.find(b"<Code>")
    return resp.content[start + 6 : resp.content.find(b"</Code>")].decode()


def sdk_signed(
    srv: CoslocalServer,
    method: str,
    host: str,
    path: str = "/",
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
) -> requests.Response:
    """Any host and path, signed by the SDK's own CosS3Auth (the header form)."""
    conf = CosConfig(Region=REGION, SecretId=srv.secret_id, SecretKey=srv.secret_key)
    params = params or {}
    return requests.request(
        method,
        srv.endpoint_url + quote(path, safe="/-_.~"),
        params=params,
        headers={"Host": host, **(headers or {})},
        data=data,
        auth=CosS3Auth(conf, key=path.lstrip("/"), params=params),
        timeout=30,
    )


def _body(sdk: CosS3Client, bucket: str, key: str, **kw: Any) -> bytes:
    return sdk.get_object(Bucket=bucket, Key=key, **kw)["Body"].get_raw_stream().read()


# --- 1. Authorization fields are read strictly ------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("q-ak", (403, "InvalidAccessKeyId")),  # "ID " is another SecretId
        ("q-sign-time", (403, "AccessDenied")),
        ("q-key-time", (403, "AccessDenied")),
        ("q-header-list", (403, "SignatureDoesNotMatch")),
        ("q-url-param-list", (403, "SignatureDoesNotMatch")),
    ],
)
def test_trailing_space_in_an_authorization_field_is_refused(
    coslocal_srv: CoslocalServer,
    sdk: CosS3Client,
    url_signer: CosS3Client,
    bucket: str,
    field: str,
    expected: tuple[int, str],
) -> None:
    sdk.put_object(Bucket=bucket, Key="k", Body=b"k")
    headers = {"Host": host_for(bucket)}
    auth = url_signer.get_auth(Method="GET", Bucket=bucket, Key="k", Headers=headers)
    ok = requests.get(f"{coslocal_srv.endpoint_url}/k", headers={**headers, "Authorization": auth})
    assert ok.status_code == 200
    # (q-signature comes last, where HTTP itself drops trailing whitespace from the header)
    fields = auth.split("&")
    padded = "&".join(f + " " if f.startswith(field + "=") else f for f in fields)
    assert padded != auth
    resp = requests.get(
        f"{coslocal_srv.endpoint_url}/k", headers={**headers, "Authorization": padded}, timeout=10
    )
    assert (resp.status_code, _code(resp)) == expected


# --- 8. the whole authorization string in one sign= parameter ----------------------------------


def test_sign_query_parameter_is_accepted(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, url_signer: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="dir/中文 file.txt", Body=b"signed")
    key = "dir/中文 file.txt"
    # what the Node SDK's getAuth + "?sign=" + encodeURIComponent(auth) produces
    auth = url_signer.get_auth(Method="GET", Bucket=bucket, Key=key, Expired=60)
    url = f"{coslocal_srv.endpoint_url}/{quote(key)}?sign={quote(auth, safe='')}"
    resp = requests.get(url, headers={"Host": host_for(bucket)}, timeout=10)
    assert resp.status_code == 200 and resp.content == b"signed"
    # the signature is checked: a sign= for another key is refused, not taken as anonymous
    other = url_signer.get_auth(Method="GET", Bucket=bucket, Key="other", Expired=60)
    bad = f"{coslocal_srv.endpoint_url}/{quote(key)}?sign={quote(other, safe='')}"
    resp = requests.get(bad, headers={"Host": host_for(bucket)}, timeout=10)
    assert (resp.status_code, _code(resp)) == (403, "SignatureDoesNotMatch")


# --- 2 and 3. Content-Type from the extension; empty headers not stored -------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a.zip", "application/zip"),
        ("notes.txt", "text/plain"),
        ("dir/Data.JSON", "application/json"),
        ("logo.svg", "image/svg+xml"),
        ("noext", "application/octet-stream"),
        ("archive.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_from_extension(
    sdk: CosS3Client, bucket: str, key: str, expected: str
) -> None:
    sdk.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert sdk.head_object(Bucket=bucket, Key=key)["Content-Type"] == expected
    sdk.put_object(Bucket=bucket, Key=key, Body=b"x", ContentType="text/x-given")
    assert sdk.head_object(Bucket=bucket, Key=key)["Content-Type"] == "text/x-given"


def test_empty_content_type_and_multipart_get_the_extension_type(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    resp = sdk_signed(
        coslocal_srv, "PUT", host_for(bucket), "/x.zip", headers={"Content-Type": ""}, data=b"x"
    )
    assert resp.status_code == 200, resp.text
    assert sdk.head_object(Bucket=bucket, Key="x.zip")["Content-Type"] == "application/zip"
    upload = sdk.create_multipart_upload(Bucket=bucket, Key="big.json")["UploadId"]
    part = sdk.upload_part(Bucket=bucket, Key="big.json", Body=b"{}", PartNumber=1, UploadId=upload)
    sdk.complete_multipart_upload(
        Bucket=bucket,
        Key="big.json",
        UploadId=upload,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert sdk.head_object(Bucket=bucket, Key="big.json")["Content-Type"] == "application/json"


def test_empty_headers_are_not_stored(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="a.txt", Body=b"x", CacheControl="", ContentDisposition="")
    head = sdk.head_object(Bucket=bucket, Key="a.txt")
    assert "Cache-Control" not in head and "Content-Disposition" not in head
    resp = sdk_signed(
        coslocal_srv,
        "PUT",
        host_for(bucket),
        "/b.txt",
        headers={"Cache-Control": "", "Expires": "", "x-cos-meta-empty": ""},
        data=b"x",
    )
    assert resp.status_code == 200
    head = sdk.head_object(Bucket=bucket, Key="b.txt")
    assert not {"Cache-Control", "Expires", "x-cos-meta-empty"} & set(head)
    sdk.put_object(Bucket=bucket, Key="c.txt", Body=b"x", CacheControl="no-cache")
    assert sdk.head_object(Bucket=bucket, Key="c.txt")["Cache-Control"] == "no-cache"


# --- 4. unknown sub-resources --------------------------------------------------------------------


def test_sdk_calls_of_unimplemented_subresources_are_501(sdk: CosS3Client, bucket: str) -> None:
    live = {"Description": "d", "Switch": "Enabled", "Target": {"Type": "HLS", "FragDuration": "3"}}
    calls = [
        lambda: sdk.put_live_channel(
            Bucket=bucket, ChannelName="ch1", LiveChannelConfiguration=live
        ),
        lambda: sdk.get_live_channel_info(Bucket=bucket, ChannelName="ch1"),
        lambda: sdk.list_live_channel(Bucket=bucket),
        lambda: sdk.get_bucket_domain_certificate(Bucket=bucket, DomainName="www.example.com"),
        lambda: sdk.get_bucket_response_control(Bucket=bucket),
    ]
    for call in calls:
        assert _error(call) == (501, "NotImplemented")
    assert "Contents" not in sdk.list_objects(Bucket=bucket)  # PUT /ch1?live created nothing


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("PUT", "/ch1", {"live": ""}),
        ("GET", "/", {"style": ""}),
        ("GET", "/", {"vod": ""}),
        ("GET", "/", {"someday-new-feature": ""}),
        ("GET", "/obj", {"ci-process": "imageInfo"}),
        ("POST", "/obj", {"append": "", "position": "0"}),
        ("GET", "/obj", {"tagging": ""}),
    ],
)
def test_raw_unimplemented_subresources_are_501(
    coslocal_srv: CoslocalServer,
    sdk: CosS3Client,
    bucket: str,
    method: str,
    path: str,
    params: dict[str, str],
) -> None:
    sdk.put_object(Bucket=bucket, Key="obj", Body=b"o")
    resp = sdk_signed(coslocal_srv, method, host_for(bucket), path, params=params, data=b"x")
    assert (resp.status_code, _code(resp)) == (501, "NotImplemented")
    assert [c["Key"] for c in sdk.list_objects(Bucket=bucket)["Contents"]] == ["obj"]


def test_unknown_parameter_with_a_value_is_ignored(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="obj", Body=b"o")
    resp = sdk_signed(coslocal_srv, "GET", host_for(bucket), "/obj", params={"t": "123"})
    assert resp.status_code == 200 and resp.content == b"o"


# --- 5. routing ---------------------------------------------------------------------------------


def test_service_requests_only_at_the_root_of_service_hosts(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    local = f"{coslocal_srv.host}:{coslocal_srv.port}"
    for host in (local, "service.cos.myqcloud.com", f"cos.{REGION}.myqcloud.com"):
        ok = sdk_signed(coslocal_srv, "GET", host, "/")
        assert ok.status_code == 200 and bucket.encode() in ok.content, host
        wrong = sdk_signed(coslocal_srv, "GET", host, "/any/path")
        assert (wrong.status_code, _code(wrong)) == (404, "NoSuchBucket"), host
    for host in (f"ci.{REGION}.myqcloud.com", "example.com"):
        resp = sdk_signed(coslocal_srv, "GET", host, "/")
        assert (resp.status_code, _code(resp)) == (404, "NoSuchBucket"), host
    # another region's endpoint lists that region's buckets: none here
    other = sdk_signed(coslocal_srv, "GET", "cos.ap-beijing.myqcloud.com", "/")
    assert other.status_code == 200 and b"<Bucket>" not in other.content


def test_bucket_through_another_regions_host_is_404(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="k", Body=b"k")
    beijing = sdk_client(coslocal_srv, Region="ap-beijing")
    assert _error(lambda: beijing.head_bucket(Bucket=bucket))[0] == 404
    assert _error(lambda: beijing.get_object(Bucket=bucket, Key="k")) == (404, "NoSuchBucket")
    assert _error(lambda: beijing.put_object(Bucket=bucket, Key="n", Body=b"")) == (
        404,
        "NoSuchBucket",
    )
    assert not sdk.object_exists(Bucket=bucket, Key="n")
    # a copy whose source names another region does not find the bucket either
    assert _error(
        lambda: sdk.copy_object(
            Bucket=bucket,
            Key="c",
            CopySource={"Bucket": bucket, "Key": "k", "Region": "ap-beijing"},
        )
    ) == (404, "NoSuchBucket")
    # the accelerate endpoint serves every region's buckets
    accel = sdk_client(coslocal_srv, Endpoint="cos.accelerate.myqcloud.com")
    assert _body(accel, bucket, "k") == b"k"


# --- 6. server-side encryption ------------------------------------------------------------------


def _customer_key(seed: bytes) -> dict[str, str]:
    key = hashlib.sha256(seed).digest()
    return {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(key).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def _copy_source_key(seed: bytes) -> dict[str, str]:
    return {"CopySource" + k: v for k, v in _customer_key(seed).items()}


def test_sse_cos_on_put_head_get_copy_and_multipart(sdk: CosS3Client, bucket: str) -> None:
    put = sdk.put_object(Bucket=bucket, Key="enc", Body=b"secret", ServerSideEncryption="AES256")
    assert put["x-cos-server-side-encryption"] == "AES256"
    assert sdk.head_object(Bucket=bucket, Key="enc")["x-cos-server-side-encryption"] == "AES256"
    got = sdk.get_object(Bucket=bucket, Key="enc")
    assert got["x-cos-server-side-encryption"] == "AES256"
    assert got["Body"].get_raw_stream().read() == b"secret"
    src = {"Bucket": bucket, "Key": "enc", "Region": REGION}
    copied = sdk.copy_object(
        Bucket=bucket, Key="enc2", CopySource=src, ServerSideEncryption="AES256"
    )
    assert copied["x-cos-server-side-encryption"] == "AES256"
    assert sdk.head_object(Bucket=bucket, Key="enc2")["x-cos-server-side-encryption"] == "AES256"
    sdk.copy_object(Bucket=bucket, Key="plain", CopySource=src)  # not inherited (protocol 3.7)
    assert "x-cos-server-side-encryption" not in sdk.head_object(Bucket=bucket, Key="plain")
    init = sdk.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="AES256")
    part = sdk.upload_part(
        Bucket=bucket, Key="mp", Body=b"p", PartNumber=1, UploadId=init["UploadId"]
    )
    assert part["x-cos-server-side-encryption"] == "AES256"
    done = sdk.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=init["UploadId"],
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["x-cos-server-side-encryption"] == "AES256"
    assert sdk.head_object(Bucket=bucket, Key="mp")["x-cos-server-side-encryption"] == "AES256"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ServerSideEncryption": "cos/kms"}, (501, "NotImplemented")),
        ({"ServerSideEncryption": "DES"}, (400, "InvalidArgument")),
        ({"ServerSideEncryption": "AES256", **_customer_key(b"k")}, (400, "InvalidArgument")),
        (
            {**_customer_key(b"k"), "SSECustomerKeyMD5": "AAAAAAAAAAAAAAAAAAAAAA=="},
            (400, "InvalidArgument"),
        ),
        ({**_customer_key(b"k"), "SSECustomerAlgorithm": "AES128"}, (400, "InvalidArgument")),
        ({"SSECustomerAlgorithm": "AES256"}, (400, "InvalidArgument")),
    ],
)
def test_sse_requests_coslocal_cannot_honour_are_refused(
    sdk: CosS3Client, bucket: str, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    assert _error(lambda: sdk.put_object(Bucket=bucket, Key="x", Body=b"x", **headers)) == expected
    assert not sdk.object_exists(Bucket=bucket, Key="x")


def test_sse_c_needs_the_key_to_read(sdk: CosS3Client, bucket: str) -> None:
    key, wrong = _customer_key(b"right"), _customer_key(b"wrong")
    put = sdk.put_object(Bucket=bucket, Key="c", Body=b"customer", **key)
    assert put["x-cos-server-side-encryption-customer-algorithm"] == "AES256"
    assert put["x-cos-server-side-encryption-customer-key-MD5"] == key["SSECustomerKeyMD5"]
    assert _error(lambda: sdk.get_object(Bucket=bucket, Key="c")) == (400, "InvalidRequest")
    assert _error(lambda: sdk.head_object(Bucket=bucket, Key="c"))[0] == 400
    assert _error(lambda: sdk.get_object(Bucket=bucket, Key="c", **wrong)) == (403, "AccessDenied")
    assert _body(sdk, bucket, "c", **key) == b"customer"
    head = sdk.head_object(Bucket=bucket, Key="c", **key)
    assert head["x-cos-server-side-encryption-customer-key-MD5"] == key["SSECustomerKeyMD5"]
    assert "SSECustomerKey" not in str(head) and key["SSECustomerKey"] not in str(head)
    # a copy needs the source's key; the copy is encrypted only as asked
    src = {"Bucket": bucket, "Key": "c", "Region": REGION}
    assert _error(lambda: sdk.copy_object(Bucket=bucket, Key="d", CopySource=src))[0] == 400
    sdk.copy_object(Bucket=bucket, Key="d", CopySource=src, **_copy_source_key(b"right"), **wrong)
    assert _body(sdk, bucket, "d", **wrong) == b"customer"
    sdk.copy_object(Bucket=bucket, Key="e", CopySource=src, **_copy_source_key(b"right"))
    assert _body(sdk, bucket, "e") == b"customer"
    # a key for an object that has none is refused too
    assert _error(lambda: sdk.get_object(Bucket=bucket, Key="e", **key)) == (400, "InvalidRequest")


def test_sse_c_multipart_parts_bring_the_key(sdk: CosS3Client, bucket: str, tmp_path: Any) -> None:
    key = _customer_key(b"mp")
    init = sdk.create_multipart_upload(Bucket=bucket, Key="m", **key)
    upload = init["UploadId"]
    assert _error(
        lambda: sdk.upload_part(Bucket=bucket, Key="m", Body=b"p", PartNumber=1, UploadId=upload)
    ) == (400, "InvalidRequest")
    # the SDK's upload_file forwards the SSE-C kwargs to every part
    path = tmp_path / "big.bin"
    path.write_bytes(b"0123456789" * 250_000)  # 2.5 MB: three 1 MB parts
    sdk.upload_file(Bucket=bucket, Key="big.bin", LocalFilePath=str(path), PartSize=1, **key)
    assert _body(sdk, bucket, "big.bin", **key) == path.read_bytes()
    assert _error(lambda: sdk.get_object(Bucket=bucket, Key="big.bin"))[0] == 400


# --- 7. x-cos-traffic-limit ---------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["819199", "838860801", "fast", "-1", ""])
def test_traffic_limit_out_of_range_is_400(sdk: CosS3Client, bucket: str, limit: str) -> None:
    assert _error(
        lambda: sdk.put_object(Bucket=bucket, Key="t", Body=b"x", TrafficLimit=limit)
    ) == (400, "InvalidArgument")
    sdk.put_object(Bucket=bucket, Key="t", Body=b"x")
    assert _error(lambda: sdk.get_object(Bucket=bucket, Key="t", TrafficLimit=limit)) == (
        400,
        "InvalidArgument",
    )


def test_traffic_limit_caps_bandwidth(sdk: CosS3Client, bucket: str) -> None:
    body = b"b" * (256 * 1024)  # 2 Mbit: one second at 2,097,152 bit/s
    limit = str(2 * 1024 * 1024)
    started = time.monotonic()
    sdk.put_object(Bucket=bucket, Key="slow", Body=body, TrafficLimit=limit)
    put_seconds = time.monotonic() - started
    started = time.monotonic()
    got = sdk.get_object(Bucket=bucket, Key="slow", TrafficLimit=limit)["Body"].get_raw_stream()
    assert got.read() == body
    get_seconds = time.monotonic() - started
    started = time.monotonic()
    assert _body(sdk, bucket, "slow") == body
    free_seconds = time.monotonic() - started
    assert 0.9 < put_seconds < 5, put_seconds
    assert 0.9 < get_seconds < 5, get_seconds
    assert free_seconds < 0.5, free_seconds
    # the boundaries themselves are accepted
    sdk.put_object(Bucket=bucket, Key="edge", Body=b"e", TrafficLimit="838860800")
    assert _body(sdk, bucket, "edge", TrafficLimit="819200") == b"e"
