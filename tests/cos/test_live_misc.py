"""Presigned URLs, STS tokens, generators, streaming bodies and bucket helpers against coslocal."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from coslocal.testing import CoslocalServer
from objects_app.cos import CosConfig, CosS3Client, CosServiceError

from .conftest import REGION, SECRET_ID, SECRET_KEY, STS_TOKEN, make_client, new_bucket_name


def fetch(
    url: str, server: CoslocalServer, method: str = "GET", data: bytes | None = None
) -> requests.Response:
    """Send a presigned URL to coslocal as if DNS pointed the COS host name at it."""
    parts = urlsplit(url)
    local = parts._replace(netloc=f"{server.host}:{server.port}", scheme="http").geturl()
    return requests.request(
        method, local, data=data, headers={"Host": parts.hostname or ""}, timeout=10
    )


def dns_style_client(token: str | None = None) -> CosS3Client:
    """A client configured like real COS (no IP/Port), only used to sign URLs."""
    return CosS3Client(
        CosConfig(
            Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY, Token=token, Scheme="http"
        )
    )


def test_presigned_get_and_put(
    client: CosS3Client, bucket: str, cos_server: CoslocalServer
) -> None:
    signer = dns_style_client()
    put_url = signer.get_presigned_url(Bucket=bucket, Key="pre/a b.txt", Method="PUT", Expired=60)
    assert fetch(put_url, cos_server, "PUT", b"presigned").status_code == 200
    get_url = signer.get_presigned_download_url(
        Bucket=bucket, Key="pre/a b.txt", Params={"response-content-type": "text/x-test"}
    )
    resp = fetch(get_url, cos_server)
    assert (resp.status_code, resp.content) == (200, b"presigned")
    assert resp.headers["Content-Type"] == "text/x-test"
    tampered = get_url.replace("pre/a%20b.txt", "pre/other")
    assert fetch(tampered, cos_server).status_code == 403


def test_sts_token_in_headers_and_presigned_urls(bucket: str, cos_server: CoslocalServer) -> None:
    with_token = make_client(cos_server, Token=STS_TOKEN)
    with_token.put_object(Bucket=bucket, Key="sts", Body=b"t")
    bad = make_client(cos_server, Token="wrong-token")
    with pytest.raises(CosServiceError) as info:
        bad.head_object(Bucket=bucket, Key="sts")
    assert info.value.status_code == 403
    url = dns_style_client(STS_TOKEN).get_presigned_download_url(Bucket=bucket, Key="sts")
    query = parse_qs(urlsplit(url).query)
    assert query["x-cos-security-token"] == [STS_TOKEN]
    assert "x-cos-security-token" in query["q-url-param-list"][0]
    assert fetch(url, cos_server).content == b"t"


def test_iter_objects_pages_through_odd_keys(client: CosS3Client, bucket: str) -> None:
    keys = sorted([f"p/{i:02d} +%&?.txt" for i in range(23)] + ["p/中文", "q/outside"])
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    listed = [o["Key"] for o in client.iter_objects(Bucket=bucket, Prefix="p/", MaxKeys=5)]
    assert listed == [k for k in keys if k.startswith("p/")]
    page = client.list_objects(Bucket=bucket, Prefix="p/", MaxKeys=5)
    assert page["IsTruncated"] == "true" and page["NextMarker"] == listed[4]


def test_iter_object_versions_and_uploads(client: CosS3Client, bucket: str) -> None:
    client.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    for i in range(3):
        client.put_object(Bucket=bucket, Key="v", Body=str(i).encode())
    client.delete_object(Bucket=bucket, Key="v")
    client.put_object(Bucket=bucket, Key="w", Body=b"w")
    versions = list(client.iter_object_versions(Bucket=bucket, MaxKeys=2))
    assert [(v["Key"], v["IsDeleteMarker"]) for v in versions] == [
        ("v", True),
        ("v", False),
        ("v", False),
        ("v", False),
        ("w", False),
    ]
    assert len({v["VersionId"] for v in versions}) == 5
    ids = {client.create_multipart_upload(Bucket=bucket, Key=f"u{i}")["UploadId"] for i in range(5)}
    assert {
        u["UploadId"] for u in client.iter_multipart_uploads(Bucket=bucket, MaxUploads=2)
    } == ids


def test_stream_body_helpers(client: CosS3Client, bucket: str, tmp_path: Path) -> None:
    client.put_object(Bucket=bucket, Key="s", Body=b"0123456789" * 1000)
    chunks = list(client.get_object(Bucket=bucket, Key="s")["Body"].get_stream(4096))
    assert [len(c) for c in chunks] == [4096, 4096, 1808]
    dest = tmp_path / "s.bin"
    body = client.get_object(Bucket=bucket, Key="s")["Body"]
    assert len(body) == 10000
    body.get_stream_to_file(str(dest))
    assert dest.read_bytes() == b"0123456789" * 1000
    assert b"".join(client.get_object(Bucket=bucket, Key="s")["Body"]) == b"0123456789" * 1000
    partial = client.get_object(Bucket=bucket, Key="s", Range="bytes=10-19")
    assert partial["Content-Range"] == "bytes 10-19/10000"
    assert partial["Body"].read_all() == b"0123456789"


def test_bucket_helpers(client: CosS3Client) -> None:
    name = new_bucket_name()
    assert client.bucket_exists(Bucket=name) is False
    client.create_bucket(Bucket=name)
    assert client.bucket_exists(Bucket=name) is True
    assert client.head_bucket(Bucket=name)["x-cos-bucket-region"] == REGION
    assert client.object_exists(Bucket=name, Key="nope") is False
    client.put_object(Bucket=name, Key="k", Body=b"1")
    assert client.object_exists(Bucket=name, Key="k") is True
    with pytest.raises(CosServiceError) as info:
        client.delete_bucket(Bucket=name)
    assert info.value.code == "BucketNotEmpty"
    client.delete_objects(Bucket=name, Delete={"Object": [{"Key": "k"}]})
    client.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in client.list_buckets()["Buckets"]["Bucket"]]


def test_delete_objects_in_batches_of_1000(client: CosS3Client, bucket: str) -> None:
    keys = [f"many/{i:04d}" for i in range(1000)]
    for key in keys[:20]:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    result = client.delete_objects(
        Bucket=bucket, Delete={"Quiet": "false", "Object": [{"Key": k} for k in keys]}
    )
    assert len(result["Deleted"]) == 1000 and "Error" not in result
    assert list(client.iter_objects(Bucket=bucket)) == []


def test_object_acl_with_policy_body(client: CosS3Client, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="acl", Body=b"")
    owner = "qcs::cam::uin/1250000000:uin/1250000000"
    policy = {
        "Owner": {"ID": owner},
        "AccessControlList": {
            "Grant": [
                {
                    "Grantee": {
                        "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        "@xsi:type": "Group",
                        "URI": "http://cam.qcloud.com/groups/global/AllUsers",
                    },
                    "Permission": "READ",
                },
            ]
        },
    }
    client.put_object_acl(Bucket=bucket, Key="acl", AccessControlPolicy=policy)
    acl = client.get_object_acl(Bucket=bucket, Key="acl")
    assert acl["CannedACL"] == "public-read"
    assert {
        "Grantee": {"Type": "Group", "URI": "http://cam.qcloud.com/groups/global/AllUsers"},
        "Permission": "READ",
    } in acl["AccessControlList"]["Grant"]
    anonymous = requests.get(
        f"{client.get_conf().uri(bucket, 'acl')}",
        timeout=10,
        headers={"Host": client.get_conf().get_host(bucket)},
    )
    assert anonymous.status_code == 200
    assert SECRET_KEY not in repr(client.get_conf())


def test_streamed_body_is_sent_chunked_and_not_retried(
    client: CosS3Client, bucket: str, cos_server: CoslocalServer
) -> None:
    client.put_object(Bucket=bucket, Key="gen", Body=(bytes([i]) * 1000 for i in range(5)))
    expected = b"".join(bytes([i]) * 1000 for i in range(5))
    assert client.get_object(Bucket=bucket, Key="gen")["Body"].read_all() == expected
    cos_server.set_faults(mode="error", status=503, code="SlowDown", count=1, method="PUT")
    try:
        with pytest.raises(CosServiceError):  # a generator cannot be rewound, so no retry
            client.put_object(Bucket=bucket, Key="gen2", Body=(b"x" for _ in range(3)))
        assert sum(r["fired"] for r in cos_server.fault_state()["rules"]) == 1
    finally:
        cos_server.clear_faults()


def test_anonymous_client_reads_public_objects_only(
    client: CosS3Client, bucket: str, cos_server: CoslocalServer
) -> None:
    client.put_object(Bucket=bucket, Key="public", Body=b"p", ACL="public-read")
    client.put_object(Bucket=bucket, Key="private", Body=b"q")
    anonymous = CosS3Client(
        CosConfig(
            Region=REGION, Anonymous=True, Scheme="http", IP=cos_server.host, Port=cos_server.port
        )
    )
    assert anonymous.get_object(Bucket=bucket, Key="public")["Body"].read_all() == b"p"
    with pytest.raises(CosServiceError) as info:
        anonymous.get_object(Bucket=bucket, Key="private")
    assert info.value.code == "AccessDenied"
