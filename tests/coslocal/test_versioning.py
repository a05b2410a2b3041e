"""Bucket versioning: overwrite, delete markers, versionId reads and deletes, version listing."""

from __future__ import annotations

from typing import Any

import pytest
from qcloud_cos import CosS3Client, CosServiceError


def _versions(sdk: CosS3Client, bucket: str, **kw: Any) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    key_marker = version_marker = ""
    while True:
        page = sdk.list_objects_versions(
            Bucket=bucket, KeyMarker=key_marker, VersionIdMarker=version_marker, **kw
        )
        entries = [("v", v) for v in page.get("Version", [])]
        entries += [("dm", d) for d in page.get("DeleteMarker", [])]
        # COS lists versions and markers of one key newest first; rebuild that order
        entries.sort(key=lambda e: (e[1]["Key"].encode(), -_order(e[1])))
        out += [(kind, e["Key"], e["IsLatest"]) for kind, e in entries]
        if page["IsTruncated"] == "false":
            return out
        key_marker, version_marker = page["NextKeyMarker"], page["NextVersionIdMarker"] or ""


_seen: dict[str, int] = {}


def _order(entry: dict[str, Any]) -> int:
    return _seen.setdefault(entry["VersionId"], len(_seen))


def test_versioning_status_round_trip(sdk: CosS3Client, bucket: str) -> None:
    assert sdk.get_bucket_versioning(Bucket=bucket).get("Status") is None
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    assert sdk.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    assert sdk.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_versioned_overwrite_and_delete(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = sdk.put_object(Bucket=bucket, Key="doc", Body=b"one")["x-cos-version-id"]
    v2 = sdk.put_object(Bucket=bucket, Key="doc", Body=b"two")["x-cos-version-id"]
    assert v1 != v2
    assert sdk.get_object(Bucket=bucket, Key="doc")["Body"].get_raw_stream().read() == b"two"
    old = sdk.get_object(Bucket=bucket, Key="doc", VersionId=v1)
    assert old["Body"].get_raw_stream().read() == b"one"
    assert old["x-cos-version-id"] == v1

    deleted = sdk.delete_object(Bucket=bucket, Key="doc")
    assert deleted["x-cos-delete-marker"] == "true"
    marker = deleted["x-cos-version-id"]
    assert not sdk.object_exists(Bucket=bucket, Key="doc")
    assert "Contents" not in sdk.list_objects(Bucket=bucket)
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="doc")
    assert exc.value.get_status_code() == 404

    listing = sdk.list_objects_versions(Bucket=bucket)
    versions = {v["VersionId"]: v for v in listing["Version"]}
    assert set(versions) == {v1, v2}
    assert all(v["IsLatest"] == "false" for v in versions.values())
    (dm,) = listing["DeleteMarker"]
    assert dm["VersionId"] == marker and dm["IsLatest"] == "true"

    # removing the delete marker brings v2 back
    sdk.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert sdk.get_object(Bucket=bucket, Key="doc")["Body"].get_raw_stream().read() == b"two"
    # permanently deleting the current version promotes v1
    sdk.delete_object(Bucket=bucket, Key="doc", VersionId=v2)
    assert sdk.get_object(Bucket=bucket, Key="doc")["Body"].get_raw_stream().read() == b"one"
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="doc", VersionId=v2)
    assert exc.value.get_status_code() == 404


def test_suspended_versioning_writes_null_versions(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    kept = sdk.put_object(Bucket=bucket, Key="k", Body=b"kept")["x-cos-version-id"]
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    resp = sdk.put_object(Bucket=bucket, Key="k", Body=b"null-1")
    assert "x-cos-version-id" not in resp
    sdk.put_object(Bucket=bucket, Key="k", Body=b"null-2")
    ids = [v["VersionId"] for v in sdk.list_objects_versions(Bucket=bucket)["Version"]]
    assert sorted(ids) == sorted([kept, "null"])
    assert sdk.get_object(Bucket=bucket, Key="k")["Body"].get_raw_stream().read() == b"null-2"


def test_version_listing_pagination(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    for key in ["a", "b/x", "b/y", "c"]:
        for i in range(3):
            sdk.put_object(Bucket=bucket, Key=key, Body=str(i).encode())
    sdk.delete_object(Bucket=bucket, Key="c")
    full = sdk.list_objects_versions(Bucket=bucket)
    total = len(full["Version"]) + len(full["DeleteMarker"])
    assert total == 13
    for page_size in (1, 2, 5):
        seen: list[tuple[str, str]] = []
        key_marker = vid_marker = ""
        while True:
            page = sdk.list_objects_versions(
                Bucket=bucket, KeyMarker=key_marker, VersionIdMarker=vid_marker, MaxKeys=page_size
            )
            entries = page.get("Version", []) + page.get("DeleteMarker", [])
            assert len(entries) <= page_size
            seen += [(e["Key"], e["VersionId"]) for e in entries]
            if page["IsTruncated"] == "false":
                break
            key_marker, vid_marker = page["NextKeyMarker"], page["NextVersionIdMarker"] or ""
        assert len(seen) == 13 and len(set(seen)) == 13
    grouped = sdk.list_objects_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["b/"]
    latest = [v for v in grouped["Version"] if v["IsLatest"] == "true"]
    assert sorted(v["Key"] for v in latest) == ["a"]


def test_delete_bucket_requires_empty(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="x", Body=b"x")
    with pytest.raises(CosServiceError) as exc:
        sdk.delete_bucket(Bucket=bucket)
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (409, "BucketNotEmpty")
    sdk.delete_object(Bucket=bucket, Key="x")
    sdk.delete_bucket(Bucket=bucket)
    assert not sdk.bucket_exists(Bucket=bucket)
