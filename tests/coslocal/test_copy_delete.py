"""PUT Object - Copy, DELETE Multiple Objects and storage classes."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from qcloud_cos import CosS3Client, CosServiceError

from coslocal.store import NewObject, Store
from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import sdk_client


def _src(bucket: str, key: str, **extra: str) -> dict[str, str]:
    return {"Bucket": bucket, "Key": key, "Region": "ap-guangzhou", **extra}


def test_copy_keeps_or_replaces_metadata(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(
        Bucket=bucket,
        Key="src+é",
        Body=b"payload",
        ContentType="text/x-a",
        Metadata={"x-cos-meta-a": "1"},
    )
    result = sdk.copy_object(Bucket=bucket, Key="copy", CopySource=_src(bucket, "src+é"))
    assert result["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    assert result["CRC64"] == sdk.head_object(Bucket=bucket, Key="src+é")["x-cos-hash-crc64ecma"]
    head = sdk.head_object(Bucket=bucket, Key="copy")
    assert head["Content-Type"] == "text/x-a" and head["x-cos-meta-a"] == "1"
    sdk.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource=_src(bucket, "src+é"),
        CopyStatus="Replaced",
        ContentType="text/x-b",
        Metadata={"x-cos-meta-b": "2"},
    )
    head = sdk.head_object(Bucket=bucket, Key="replaced")
    assert head["Content-Type"] == "text/x-b" and "x-cos-meta-a" not in head
    assert (
        sdk.get_object(Bucket=bucket, Key="replaced")["Body"].get_raw_stream().read() == b"payload"
    )


def test_copy_to_itself_needs_replaced(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="self", Body=b"x")
    with pytest.raises(CosServiceError) as exc:
        sdk.copy_object(Bucket=bucket, Key="self", CopySource=_src(bucket, "self"))
    assert exc.value.get_status_code() == 400
    sdk.update_object_meta(Bucket=bucket, Key="self", Metadata={"x-cos-meta-new": "yes"})
    assert sdk.head_object(Bucket=bucket, Key="self")["x-cos-meta-new"] == "yes"
    sdk.change_object_storage_class(Bucket=bucket, Key="self", StorageClass="STANDARD_IA")
    assert sdk.head_object(Bucket=bucket, Key="self")["x-cos-storage-class"] == "STANDARD_IA"


def test_copy_specific_version_and_missing_source(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = sdk.put_object(Bucket=bucket, Key="v", Body=b"one")["x-cos-version-id"]
    sdk.put_object(Bucket=bucket, Key="v", Body=b"two")
    result = sdk.copy_object(Bucket=bucket, Key="old", CopySource=_src(bucket, "v", VersionId=v1))
    assert result["x-cos-copy-source-version-id"] == v1
    assert sdk.get_object(Bucket=bucket, Key="old")["Body"].get_raw_stream().read() == b"one"
    with pytest.raises(CosServiceError) as exc:
        sdk.copy_object(Bucket=bucket, Key="x", CopySource=_src(bucket, "absent"))
    assert exc.value.get_status_code() == 404


def test_copy_conditions(sdk: CosS3Client, bucket: str) -> None:
    etag = sdk.put_object(Bucket=bucket, Key="c", Body=b"c")["ETag"]
    sdk.copy_object(Bucket=bucket, Key="c2", CopySource=_src(bucket, "c"), CopySourceIfMatch=etag)
    with pytest.raises(CosServiceError) as exc:
        sdk.copy_object(
            Bucket=bucket, Key="c3", CopySource=_src(bucket, "c"), CopySourceIfNoneMatch=etag
        )
    assert exc.value.get_status_code() == 412


def test_copy_over_5gb_refused(tmp_path, sdk: CosS3Client) -> None:
    """Seed a sparse 6 GiB object through the store, then ask the server to copy it."""
    data = tmp_path / "big"
    store = Store(data)
    store.create_bucket("big-1250000000", {"canned": "private", "grants": []})
    writer = store.blob_dir.writer()
    os.ftruncate(writer.fd, 6 * 1024**3)
    writer.finish()
    store.put_object(
        "big-1250000000",
        "huge",
        NewObject(
            6 * 1024**3,
            '"0"',
            "0",
            [[writer.blob_id, 6 * 1024**3]],
            {},
            "STANDARD",
            {"canned": "default"},
            time.time(),
        ),
    )
    with CoslocalServer(data).start() as srv:
        client = sdk_client(srv)
        with pytest.raises(CosServiceError) as exc:
            client.copy_object(
                Bucket="big-1250000000", Key="dup", CopySource=_src("big-1250000000", "huge")
            )
        assert exc.value.get_status_code() == 405
        assert "5GB" in exc.value.get_error_msg()


def test_delete_multiple(sdk: CosS3Client, bucket: str) -> None:
    keys = ["d1", "d 2", "d+3", "dir/é"]
    for key in keys:
        sdk.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = sdk.delete_objects(
        Bucket=bucket,
        Delete={"Quiet": "false", "Object": [{"Key": k} for k in [*keys, "never-existed"]]},
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == sorted([*keys, "never-existed"])
    assert "Contents" not in sdk.list_objects(Bucket=bucket)
    quiet = sdk.delete_objects(Bucket=bucket, Delete={"Quiet": "true", "Object": [{"Key": "z"}]})
    assert "Deleted" not in quiet and "Error" not in quiet


def test_delete_multiple_limits_and_md5(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, url_signer, bucket: str
) -> None:
    from tests.coslocal.conftest import signed_request

    too_many = {"Quiet": "true", "Object": [{"Key": f"k{i}"} for i in range(1001)]}
    with pytest.raises(CosServiceError) as exc:
        sdk.delete_objects(Bucket=bucket, Delete=too_many)
    assert exc.value.get_error_code() == "MalformedXML"
    body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    resp = signed_request(
        coslocal_srv, url_signer, "POST", bucket, params={"delete": ""}, data=body
    )
    assert resp.status_code == 400 and b"Content-MD5" in resp.content


def test_delete_multiple_versioned_reports_markers(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    vid = sdk.put_object(Bucket=bucket, Key="v", Body=b"x")["x-cos-version-id"]
    result = sdk.delete_objects(Bucket=bucket, Delete={"Object": [{"Key": "v"}]})
    (deleted,) = result["Deleted"]
    assert deleted["DeleteMarker"] == "true" and deleted["DeleteMarkerVersionId"]
    gone = sdk.delete_objects(Bucket=bucket, Delete={"Object": [{"Key": "v", "VersionId": vid}]})
    assert gone["Deleted"][0]["VersionId"] == vid


@pytest.mark.parametrize("klass", ["STANDARD_IA", "INTELLIGENT_TIERING", "ARCHIVE", "DEEP_ARCHIVE"])
def test_storage_classes(sdk: CosS3Client, bucket: str, klass: str) -> None:
    sdk.put_object(Bucket=bucket, Key=klass, Body=b"x", StorageClass=klass)
    assert sdk.head_object(Bucket=bucket, Key=klass)["x-cos-storage-class"] == klass
    (entry,) = sdk.list_objects(Bucket=bucket, Prefix=klass)["Contents"]
    assert entry["StorageClass"] == klass


def test_unsupported_storage_class(sdk: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as exc:
        sdk.put_object(Bucket=bucket, Key="x", Body=b"x", StorageClass="GLACIER_FOREVER")
    assert exc.value.get_status_code() == 400


def test_bucket_create_rules(sdk: CosS3Client, service_sdk: CosS3Client) -> None:
    with pytest.raises(CosServiceError) as exc:
        sdk.create_bucket(Bucket="other-1250000001")  # another account's APPID
    assert exc.value.get_status_code() == 403
    with pytest.raises(CosServiceError) as exc:
        sdk.create_bucket(Bucket="a" * 40 + "-1250000000")  # host name over 60 characters
    assert exc.value.get_error_code() == "BucketNameTooLong"
    sdk.create_bucket(Bucket="twice-1250000000")
    with pytest.raises(CosServiceError) as exc:
        sdk.create_bucket(Bucket="twice-1250000000")
    assert exc.value.get_status_code() == 409
    names = [b["Name"] for b in service_sdk.list_buckets()["Buckets"]["Bucket"]]
    assert "twice-1250000000" in names


def test_bucket_location(sdk: CosS3Client, bucket: str) -> None:
    assert sdk.get_bucket_location(Bucket=bucket) == {"LocationConstraint": "ap-guangzhou"}
