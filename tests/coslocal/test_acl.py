"""Bucket and object ACLs: canned ACLs, grants, XML bodies, and what anonymous callers may do."""

from __future__ import annotations

import pytest
import requests
from qcloud_cos import CosS3Client, CosServiceError

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import host_for

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"


def test_object_acl_round_trip(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="o", Body=b"x")
    assert sdk.get_object_acl(Bucket=bucket, Key="o")["CannedACL"] == "default"
    sdk.put_object_acl(Bucket=bucket, Key="o", ACL="public-read")
    acl = sdk.get_object_acl(Bucket=bucket, Key="o")
    assert acl["CannedACL"] == "public-read"
    grants = acl["AccessControlList"]["Grant"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    sdk.put_object_acl(Bucket=bucket, Key="o", ACL="private")
    assert sdk.get_object_acl(Bucket=bucket, Key="o")["CannedACL"] == "private"


def test_object_grant_headers_and_xml_body(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="g", Body=b"x", GrantRead='id="100000000011"')
    grants = sdk.get_object_acl(Bucket=bucket, Key="g")["AccessControlList"]["Grant"]
    ids = [g["Grantee"].get("ID") for g in grants if g["Permission"] == "READ"]
    assert "qcs::cam::uin/100000000011:uin/100000000011" in ids
    policy = {
        "Owner": {"ID": "qcs::cam::uin/1250000000:uin/1250000000"},
        "AccessControlList": {
            "Grant": [
                {
                    "Grantee": {
                        "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        "@xsi:type": "Group",
                        "URI": ALL_USERS,
                    },
                    "Permission": "READ",
                }
            ]
        },
    }
    sdk.put_object_acl(Bucket=bucket, Key="g", AccessControlPolicy=policy)
    assert sdk.get_object_acl(Bucket=bucket, Key="g")["CannedACL"] == "public-read"


def test_bucket_acl_round_trip(sdk: CosS3Client, bucket: str) -> None:
    assert sdk.get_bucket_acl(Bucket=bucket)["CannedACL"] == "private"
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert sdk.get_bucket_acl(Bucket=bucket)["CannedACL"] == "public-read"
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    assert sdk.get_bucket_acl(Bucket=bucket)["CannedACL"] == "public-read-write"
    with pytest.raises(CosServiceError) as exc:
        sdk.put_bucket_acl(Bucket=bucket, ACL="bogus")
    assert exc.value.get_status_code() == 400


def test_anonymous_reads_follow_the_object_acl(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="public", Body=b"open", ACL="public-read")
    sdk.put_object(Bucket=bucket, Key="private", Body=b"closed")
    got = anon_sdk.get_object(Bucket=bucket, Key="public")
    assert got["Body"].get_raw_stream().read() == b"open"
    assert anon_sdk.head_object(Bucket=bucket, Key="public")["Content-Length"] == "4"
    with pytest.raises(CosServiceError) as exc:
        anon_sdk.get_object(Bucket=bucket, Key="private")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (403, "AccessDenied")
    with pytest.raises(CosServiceError) as exc:
        anon_sdk.head_object(Bucket=bucket, Key="private")
    assert exc.value.get_status_code() == 403
    assert "x-cos-request-id" in exc.value.get_digest_msg()
    for call in (
        lambda: anon_sdk.put_object(Bucket=bucket, Key="anon", Body=b"x"),
        lambda: anon_sdk.delete_object(Bucket=bucket, Key="public"),
        lambda: anon_sdk.list_objects(Bucket=bucket),
        lambda: anon_sdk.put_object_acl(Bucket=bucket, Key="private", ACL="public-read"),
        lambda: anon_sdk.get_bucket_acl(Bucket=bucket),
    ):
        with pytest.raises(CosServiceError) as exc:
            call()
        assert exc.value.get_status_code() == 403


def test_plain_http_anonymous_reads(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="pub file", Body=b"hello", ACL="public-read")
    sdk.put_object(Bucket=bucket, Key="priv", Body=b"secret")
    base, host = coslocal_srv.endpoint_url, {"Host": host_for(bucket)}
    ok = requests.get(f"{base}/pub%20file", headers=host, timeout=5)
    assert ok.status_code == 200 and ok.content == b"hello"
    denied = requests.get(f"{base}/priv", headers=host, timeout=5)
    assert denied.status_code == 403 and b"<Code>AccessDenied</Code>" in denied.content
    empty_auth = requests.get(f"{base}/priv", headers={**host, "Authorization": ""}, timeout=5)
    assert empty_auth.status_code == 403


def test_public_bucket_inherited_by_default_objects(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="inherits", Body=b"i")
    sdk.put_object(Bucket=bucket, Key="locked", Body=b"l", ACL="private")
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert (
        anon_sdk.get_object(Bucket=bucket, Key="inherits")["Body"].get_raw_stream().read() == b"i"
    )
    listed = anon_sdk.list_objects(Bucket=bucket)
    assert {c["Key"] for c in listed["Contents"]} == {"inherits", "locked"}
    with pytest.raises(CosServiceError):
        anon_sdk.get_object(Bucket=bucket, Key="locked")
    with pytest.raises(CosServiceError):
        anon_sdk.put_object(Bucket=bucket, Key="w", Body=b"x")
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    anon_sdk.put_object(Bucket=bucket, Key="w", Body=b"anon write")
    assert sdk.get_object(Bucket=bucket, Key="w")["Body"].get_raw_stream().read() == b"anon write"


def test_anonymous_service_listing_denied(coslocal_srv: CoslocalServer) -> None:
    resp = requests.get(f"{coslocal_srv.endpoint_url}/", timeout=5)
    assert resp.status_code == 403 and b"AccessDenied" in resp.content


def test_anonymous_missing_key_reveals_nothing_in_private_bucket(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    with pytest.raises(CosServiceError) as exc:
        anon_sdk.get_object(Bucket=bucket, Key="absent")
    assert exc.value.get_status_code() == 403
    sdk.put_bucket_acl(Bucket=bucket, ACL="public-read")
    with pytest.raises(CosServiceError) as exc:
        anon_sdk.get_object(Bucket=bucket, Key="absent")
    assert exc.value.get_status_code() == 404
