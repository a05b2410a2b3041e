"""Conformance fixes: raw keys in Delete Multiple, keys starting with / or \\, anonymous response-*,
READ_ACP / WRITE_ACP and copy for anonymous callers, GET Service filters and pagination, copies
naming a delete marker, and VersionId "" in never-versioned buckets."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
import requests
from qcloud_cos import CosS3Client, CosServiceError

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import REGION, host_for, new_bucket_name, signed_request

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
OWNER_ID = "qcs::cam::uin/1250000000:uin/1250000000"


def _error(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(CosServiceError) as exc:
        call()
    return exc.value.get_status_code(), exc.value.get_error_code()


def _keys(sdk: CosS3Client, bucket: str) -> list[str]:
    return [c["Key"] for c in sdk.list_objects(Bucket=bucket).get("Contents", [])]


def _src(bucket: str, key: str, **extra: str) -> dict[str, str]:
    return {"Bucket": bucket, "Key": key, "Region": REGION, **extra}


# --- 1. DELETE Multiple Objects reads <Key> raw ---------------------------------------------------


@pytest.mark.parametrize(
    ("target", "neighbour"), [("a ", "a"), (" a", "a"), ("a", "a "), ("  ", " ")]
)
def test_delete_multiple_does_not_strip_keys(
    sdk: CosS3Client, bucket: str, target: str, neighbour: str
) -> None:
    sdk.put_object(Bucket=bucket, Key=target, Body=b"target")
    sdk.put_object(Bucket=bucket, Key=neighbour, Body=b"neighbour")
    result = sdk.delete_objects(
        Bucket=bucket, Delete={"Quiet": "false", "Object": [{"Key": target}]}
    )
    assert [d["Key"] for d in result["Deleted"]] == [target]
    assert "Error" not in result
    assert _keys(sdk, bucket) == [neighbour]
    assert sdk.get_object(Bucket=bucket, Key=neighbour)["Body"].get_raw_stream().read() == (
        b"neighbour"
    )


def test_delete_multiple_raw_xml_keeps_whitespace(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, url_signer: CosS3Client, bucket: str
) -> None:
    for key in ("k", " k "):
        sdk.put_object(Bucket=bucket, Key=key, Body=b"x")
    body = b"<Delete><Quiet>false</Quiet><Object><Key> k </Key></Object></Delete>"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    resp = signed_request(
        coslocal_srv,
        url_signer,
        "POST",
        bucket,
        params={"delete": ""},
        headers={"Content-MD5": md5, "Content-Type": "application/xml"},
        data=body,
    )
    assert resp.status_code == 200, resp.text
    assert b"<Key> k </Key>" in resp.content
    assert _keys(sdk, bucket) == ["k"]


# --- 2. keys may not start with / or \ -----------------------------------------------------------


# The SDK strips one leading "/" from Key, so "//abc" reaches the server as "/abc".
@pytest.mark.parametrize("key", ["\\abc", "//abc", "\\", "//", "\\/x", "//a/b"])
def test_put_key_with_leading_slash_or_backslash_refused(
    sdk: CosS3Client, bucket: str, key: str
) -> None:
    status, code = _error(lambda: sdk.put_object(Bucket=bucket, Key=key, Body=b"x"))
    assert (status, code) == (400, "InvalidObjectName")
    assert _keys(sdk, bucket) == []


def test_leading_slash_refused_on_raw_request(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    for key in ("/abc", "\\abc"):
        resp = signed_request(coslocal_srv, url_signer, "PUT", bucket, key, data=b"x")
        assert resp.status_code == 400, (key, resp.text)
        assert b"<Code>InvalidObjectName</Code>" in resp.content
    assert _keys(sdk, bucket) == []


def test_keys_with_inner_slashes_and_backslashes_still_allowed(
    sdk: CosS3Client, bucket: str
) -> None:
    for key in ("a\\b", "a//b", "a/", "abc\\"):
        sdk.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert sorted(_keys(sdk, bucket)) == sorted(["a\\b", "a//b", "a/", "abc\\"])


@pytest.mark.parametrize("bad", ["/abc", "\\abc", "//", "\\"])
def test_delete_multiple_reports_invalid_object_name_per_key(
    sdk: CosS3Client, bucket: str, bad: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="ok", Body=b"x")
    sdk.put_object(Bucket=bucket, Key="abc", Body=b"x")
    result = sdk.delete_objects(
        Bucket=bucket, Delete={"Quiet": "false", "Object": [{"Key": bad}, {"Key": "ok"}]}
    )
    assert [d["Key"] for d in result["Deleted"]] == ["ok"]
    (error,) = result["Error"]
    assert error["Key"] == bad and error["Code"] == "InvalidObjectName"
    assert _keys(sdk, bucket) == ["abc"]  # "/abc" was not read as "abc"


# --- 3. anonymous GET with response-* overrides --------------------------------------------------


@pytest.mark.parametrize(
    ("kwarg", "header", "value"),
    [
        ("ResponseContentType", "Content-Type", "text/evil"),
        ("ResponseContentLanguage", "Content-Language", "fr"),
        ("ResponseExpires", "Expires", "Thu, 01 Dec 1994 16:00:00 GMT"),
        ("ResponseCacheControl", "Cache-Control", "no-store"),
        ("ResponseContentDisposition", "Content-Disposition", 'attachment; filename="x"'),
        ("ResponseContentEncoding", "Content-Encoding", "identity"),
    ],
)
def test_anonymous_response_overrides_refused(
    sdk: CosS3Client,
    anon_sdk: CosS3Client,
    bucket: str,
    kwarg: str,
    header: str,
    value: str,
) -> None:
    sdk.put_object(Bucket=bucket, Key="o", Body=b"hello", ACL="public-read")
    overrides: dict[str, Any] = {kwarg: value}
    status, code = _error(lambda: anon_sdk.get_object(Bucket=bucket, Key="o", **overrides))
    assert (status, code) == (400, "InvalidRequest")
    plain = anon_sdk.get_object(Bucket=bucket, Key="o")
    assert plain["Body"].get_raw_stream().read() == b"hello"
    signed = sdk.get_object(Bucket=bucket, Key="o", **overrides)
    assert signed[header] == value
    assert signed["Body"].get_raw_stream().read() == b"hello"


def test_anonymous_response_override_refused_over_plain_http(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="o", Body=b"hello", ACL="public-read")
    resp = requests.get(
        f"{coslocal_srv.endpoint_url}/o",
        params={"response-content-type": "text/evil"},
        headers={"Host": host_for(bucket)},
        timeout=10,
    )
    assert resp.status_code == 400
    assert b"<Code>InvalidRequest</Code>" in resp.content
    ok = requests.get(
        f"{coslocal_srv.endpoint_url}/o", headers={"Host": host_for(bucket)}, timeout=10
    )
    assert ok.status_code == 200 and ok.content == b"hello"


# --- 4. READ_ACP / WRITE_ACP for AllUsers; anonymous copy ----------------------------------------


def _xml_policy(perm: str) -> dict[str, Any]:
    return {
        "Owner": {"ID": OWNER_ID},
        "AccessControlList": {
            "Grant": [
                {
                    "Grantee": {
                        "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        "@xsi:type": "Group",
                        "URI": ALL_USERS,
                    },
                    "Permission": perm,
                }
            ]
        },
    }


def _grant(
    srv: CoslocalServer,
    sdk: CosS3Client,
    signer: CosS3Client,
    bucket: str,
    key: str,
    how: str,
    perm: str,
) -> None:
    """Give AllUsers `perm` on the bucket (key "") or the object, by header or by XML body."""
    if how == "header":
        header = "x-cos-grant-" + perm.lower().replace("_", "-")
        resp = signed_request(
            srv,
            signer,
            "PUT",
            bucket,
            key,
            params={"acl": ""},
            headers={header: f'uri="{ALL_USERS}"'},
        )
        assert resp.status_code == 200, resp.text
    elif key:
        sdk.put_object_acl(Bucket=bucket, Key=key, AccessControlPolicy=_xml_policy(perm))
    else:
        sdk.put_bucket_acl(Bucket=bucket, AccessControlPolicy=_xml_policy(perm))


def _anon_get_acl(anon: CosS3Client, bucket: str, key: str) -> dict[str, Any]:
    if key:
        return anon.get_object_acl(Bucket=bucket, Key=key)  # type: ignore[no-any-return]
    return anon.get_bucket_acl(Bucket=bucket)  # type: ignore[no-any-return]


def _anon_put_acl(anon: CosS3Client, bucket: str, key: str) -> None:
    if key:
        anon.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")
    else:
        anon.put_bucket_acl(Bucket=bucket, ACL="public-read")


def _owner_acl(sdk: CosS3Client, bucket: str, key: str) -> dict[str, Any]:
    if key:
        return sdk.get_object_acl(Bucket=bucket, Key=key)  # type: ignore[no-any-return]
    return sdk.get_bucket_acl(Bucket=bucket)  # type: ignore[no-any-return]


def _owner_canned(sdk: CosS3Client, bucket: str, key: str) -> str:
    return str(_owner_acl(sdk, bucket, key)["CannedACL"])


def _perms(policy: dict[str, Any]) -> set[str]:
    return {
        g["Permission"]
        for g in policy["AccessControlList"]["Grant"]
        if g["Grantee"].get("URI") == ALL_USERS
    }


@pytest.mark.parametrize("how", ["header", "xml"])
@pytest.mark.parametrize("key", ["", "obj"], ids=["bucket", "object"])
def test_anonymous_read_acp_grant(
    coslocal_srv: CoslocalServer,
    sdk: CosS3Client,
    anon_sdk: CosS3Client,
    url_signer: CosS3Client,
    bucket: str,
    key: str,
    how: str,
) -> None:
    if key:
        sdk.put_object(Bucket=bucket, Key=key, Body=b"x", ACL="private")
    assert _error(lambda: _anon_get_acl(anon_sdk, bucket, key)) == (403, "AccessDenied")
    _grant(coslocal_srv, sdk, url_signer, bucket, key, how, "READ_ACP")
    assert _perms(_anon_get_acl(anon_sdk, bucket, key)) == {"READ_ACP"}
    # READ_ACP is not WRITE_ACP, and grants nothing else either
    assert _error(lambda: _anon_put_acl(anon_sdk, bucket, key)) == (403, "AccessDenied")
    assert _perms(_owner_acl(sdk, bucket, key)) == {"READ_ACP"}
    if key:
        assert _error(lambda: anon_sdk.get_object(Bucket=bucket, Key=key))[0] == 403
    else:
        assert _error(lambda: anon_sdk.list_objects(Bucket=bucket))[0] == 403


@pytest.mark.parametrize("how", ["header", "xml"])
@pytest.mark.parametrize("key", ["", "obj"], ids=["bucket", "object"])
def test_anonymous_write_acp_grant(
    coslocal_srv: CoslocalServer,
    sdk: CosS3Client,
    anon_sdk: CosS3Client,
    url_signer: CosS3Client,
    bucket: str,
    key: str,
    how: str,
) -> None:
    if key:
        sdk.put_object(Bucket=bucket, Key=key, Body=b"x", ACL="private")
    assert _error(lambda: _anon_put_acl(anon_sdk, bucket, key)) == (403, "AccessDenied")
    _grant(coslocal_srv, sdk, url_signer, bucket, key, how, "WRITE_ACP")
    assert _error(lambda: _anon_get_acl(anon_sdk, bucket, key)) == (403, "AccessDenied")
    _anon_put_acl(anon_sdk, bucket, key)
    assert _owner_canned(sdk, bucket, key) == "public-read"
    # the anonymous caller replaced the ACL, WRITE_ACP grant included
    assert _error(lambda: _anon_put_acl(anon_sdk, bucket, key)) == (403, "AccessDenied")


def test_anonymous_write_acp_over_plain_http(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="o", Body=b"x", ACL="private")
    url, host = f"{coslocal_srv.endpoint_url}/o?acl", {"Host": host_for(bucket)}
    grant = {"x-cos-grant-read-acp": f'uri="{ALL_USERS}"'}
    denied = requests.put(url, headers={**host, **grant}, timeout=10)
    assert denied.status_code == 403 and b"<Code>AccessDenied</Code>" in denied.content
    sdk.put_object_acl(Bucket=bucket, Key="o", AccessControlPolicy=_xml_policy("WRITE_ACP"))
    assert requests.put(url, headers={**host, **grant}, timeout=10).status_code == 200
    read = requests.get(url, headers=host, timeout=10)
    assert read.status_code == 200 and b"READ_ACP" in read.content


def test_full_control_grant_covers_acp(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="o", Body=b"x", ACL="private")
    sdk.put_object_acl(Bucket=bucket, Key="o", AccessControlPolicy=_xml_policy("FULL_CONTROL"))
    assert _perms(anon_sdk.get_object_acl(Bucket=bucket, Key="o")) == {"FULL_CONTROL"}
    anon_sdk.put_object_acl(Bucket=bucket, Key="o", ACL="private")
    assert _owner_canned(sdk, bucket, "o") == "private"


@pytest.mark.parametrize(
    ("source_acl", "bucket_acl", "allowed"),
    [
        ("public-read", "private", True),
        ("default", "public-read", True),  # a default object inherits its bucket's READ
        ("private", "public-read", False),
        ("private", "private", False),
        ("default", "private", False),
    ],
)
def test_anonymous_copy_into_public_read_write_bucket(
    sdk: CosS3Client,
    anon_sdk: CosS3Client,
    bucket: str,
    source_acl: str,
    bucket_acl: str,
    allowed: bool,
) -> None:
    target = new_bucket_name("prw")
    sdk.create_bucket(Bucket=target, ACL="public-read-write")
    sdk.put_bucket_acl(Bucket=bucket, ACL=bucket_acl)
    sdk.put_object(Bucket=bucket, Key="src", Body=b"payload", ACL=source_acl)

    def copy() -> None:
        anon_sdk.copy_object(Bucket=target, Key="copied", CopySource=_src(bucket, "src"))

    if allowed:
        copy()
        got = sdk.get_object(Bucket=target, Key="copied")["Body"].get_raw_stream().read()
        assert got == b"payload"
    else:
        assert _error(copy) == (403, "AccessDenied")
        assert _keys(sdk, target) == []


def test_anonymous_copy_into_private_bucket_refused(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="src", Body=b"payload", ACL="public-read")
    status, code = _error(
        lambda: anon_sdk.copy_object(Bucket=bucket, Key="copied", CopySource=_src(bucket, "src"))
    )
    assert (status, code) == (403, "AccessDenied")


def test_anonymous_upload_part_copy_needs_source_read(
    sdk: CosS3Client, anon_sdk: CosS3Client, bucket: str
) -> None:
    target = new_bucket_name("prw")
    sdk.create_bucket(Bucket=target, ACL="public-read-write")
    sdk.put_object(Bucket=bucket, Key="pub", Body=b"open", ACL="public-read")
    sdk.put_object(Bucket=bucket, Key="priv", Body=b"closed", ACL="private")
    upload_id = sdk.create_multipart_upload(Bucket=target, Key="dst")["UploadId"]
    part = anon_sdk.upload_part_copy(
        Bucket=target, Key="dst", PartNumber=1, UploadId=upload_id, CopySource=_src(bucket, "pub")
    )
    assert part["ETag"]
    status, _ = _error(
        lambda: anon_sdk.upload_part_copy(
            Bucket=target,
            Key="dst",
            PartNumber=2,
            UploadId=upload_id,
            CopySource=_src(bucket, "priv"),
        )
    )
    assert status == 403


# --- 5. GET Service: pagination, region filter, max-keys ----------------------------------------


def _names(result: dict[str, Any]) -> list[str]:
    buckets = result.get("Buckets") or {}
    return [b["Name"] for b in buckets.get("Bucket", [])]


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_service_pagination(sdk: CosS3Client, service_sdk: CosS3Client, page_size: int) -> None:
    for _ in range(3):
        sdk.create_bucket(Bucket=new_bucket_name("svc"))
    everything = service_sdk.list_buckets()
    assert everything["IsTruncated"] == "false"
    assert not everything.get("NextMarker")
    expected = _names(everything)
    assert expected == sorted(expected) and len(expected) >= 3
    pages: list[list[str]] = []
    marker = ""
    while True:
        page = service_sdk.list_buckets(Marker=marker, MaxKeys=page_size)
        names = _names(page)
        assert len(names) <= page_size
        assert (page.get("Marker") or "") == marker
        pages.append(names)
        if page["IsTruncated"] == "false":
            assert not page.get("NextMarker")
            break
        assert page["IsTruncated"] == "true"
        assert len(names) == page_size and page["NextMarker"] == names[-1]
        marker = page["NextMarker"]
        assert len(pages) <= len(expected)
    assert [n for p in pages for n in p] == expected


def test_service_marker_starts_after_it(sdk: CosS3Client, service_sdk: CosS3Client) -> None:
    made = sorted(new_bucket_name("mk") for _ in range(3))
    for name in made:
        sdk.create_bucket(Bucket=name)
    after = _names(service_sdk.list_buckets(Marker=made[0]))
    assert made[0] not in after and made[1] in after and made[2] in after
    assert all(n > made[0] for n in after)


def test_service_region_filter(sdk: CosS3Client, service_sdk: CosS3Client) -> None:
    name = new_bucket_name("rg")
    sdk.create_bucket(Bucket=name)
    everything = _names(service_sdk.list_buckets())
    assert name in everything
    assert _names(service_sdk.list_buckets(Region=REGION)) == everything
    elsewhere = service_sdk.list_buckets(Region="ap-beijing")
    assert _names(elsewhere) == []
    assert elsewhere["IsTruncated"] == "false"


@pytest.mark.parametrize("max_keys", ["abc", "-1", "1.5", " 1"])
def test_service_invalid_max_keys(service_sdk: CosS3Client, max_keys: str) -> None:
    status, code = _error(lambda: service_sdk.list_buckets(MaxKeys=max_keys))
    assert (status, code) == (400, "InvalidArgument")


# --- 6. copies naming a delete marker ------------------------------------------------------------


def _copy(sdk: CosS3Client, bucket: str, how: str, source: dict[str, str]) -> None:
    if how == "object":
        sdk.copy_object(Bucket=bucket, Key="dst", CopySource=source)
    else:
        upload_id = sdk.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
        sdk.upload_part_copy(
            Bucket=bucket, Key="dst", PartNumber=1, UploadId=upload_id, CopySource=source
        )


@pytest.mark.parametrize("how", ["object", "part"])
def test_copy_of_delete_marker(sdk: CosS3Client, bucket: str, how: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = sdk.put_object(Bucket=bucket, Key="src", Body=b"one")["x-cos-version-id"]
    marker = sdk.delete_object(Bucket=bucket, Key="src")["x-cos-version-id"]
    assert marker and marker != v1
    by_version = _error(lambda: _copy(sdk, bucket, how, _src(bucket, "src", VersionId=marker)))
    assert by_version == (400, "InvalidRequest")
    current = _error(lambda: _copy(sdk, bucket, how, _src(bucket, "src")))
    assert current[0] == 404 and current[1] == "NoSuchKey"
    # an older real version is still copyable by versionId while the marker is current
    _copy(sdk, bucket, how, _src(bucket, "src", VersionId=v1))


# --- 7. VersionId in never-versioned buckets -----------------------------------------------------


def test_versions_in_never_versioned_bucket(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, url_signer: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="k", Body=b"x")
    (version,) = sdk.list_objects_versions(Bucket=bucket)["Version"]
    # the SDK turns the empty <VersionId/> element into None
    assert version["Key"] == "k" and version["VersionId"] is None
    raw = signed_request(coslocal_srv, url_signer, "GET", bucket, params={"versions": ""})
    assert raw.status_code == 200
    assert b"<VersionId></VersionId>" in raw.content or b"<VersionId/>" in raw.content
    assert b"<VersionId>null</VersionId>" not in raw.content

    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    new = sdk.put_object(Bucket=bucket, Key="k", Body=b"y")["x-cos-version-id"]
    versions = sdk.list_objects_versions(Bucket=bucket)["Version"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [
        (new, "true"),
        ("null", "false"),
    ]


def test_versions_null_once_versioning_enabled_without_new_writes(
    sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="k", Body=b"x")
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    (version,) = sdk.list_objects_versions(Bucket=bucket)["Version"]
    assert version["VersionId"] == "null"
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    (version,) = sdk.list_objects_versions(Bucket=bucket)["Version"]
    assert version["VersionId"] == "null"


def test_versions_pagination_in_never_versioned_bucket(sdk: CosS3Client, bucket: str) -> None:
    for key in ("a", "b"):
        sdk.put_object(Bucket=bucket, Key=key, Body=b"x")
    first = sdk.list_objects_versions(Bucket=bucket, MaxKeys=1)
    assert first["IsTruncated"] == "true"
    assert [v["Key"] for v in first["Version"]] == ["a"]
    assert first["NextKeyMarker"] == "a"
    assert first.get("NextVersionIdMarker") in (None, "")
    second = sdk.list_objects_versions(Bucket=bucket, MaxKeys=1, KeyMarker="a", VersionIdMarker="")
    assert [(v["Key"], v["VersionId"]) for v in second["Version"]] == [("b", None)]
    assert second["IsTruncated"] == "false"
