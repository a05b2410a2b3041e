"""Making an old version current (copy of a version onto its own key) and suspended versioning.

Issue 12: S3 and COS make an old version current by copying `key?versionId=V` onto `key`; a plain
copy onto itself without Replaced stays refused. Suspended buckets write `null` versions in place
and leave `null` delete markers (protocol 3.3, 3.8).
"""

from __future__ import annotations

from typing import Any

import pytest
from qcloud_cos import CosS3Client, CosServiceError

from tests.coslocal.conftest import REGION


def _body(sdk: CosS3Client, bucket: str, key: str, **kw: Any) -> bytes:
    return sdk.get_object(Bucket=bucket, Key=key, **kw)["Body"].get_raw_stream().read()


def _entries(sdk: CosS3Client, bucket: str, **kw: Any) -> list[tuple[str, str, str, str]]:
    """(kind, key, version id, IsLatest) in the server's order (it lists Versions and
    DeleteMarkers as separate lists; the SDK keeps each list in document order)."""
    page = sdk.list_objects_versions(Bucket=bucket, **kw)
    return [("v", v["Key"], v["VersionId"], v["IsLatest"]) for v in page.get("Version", [])] + [
        ("dm", d["Key"], d["VersionId"], d["IsLatest"]) for d in page.get("DeleteMarker", [])
    ]


def test_copy_of_old_version_onto_its_key_makes_it_current(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = sdk.put_object(
        Bucket=bucket,
        Key="doc",
        Body=b"one",
        ContentType="text/x-one",
        Metadata={"x-cos-meta-n": "1"},
    )["x-cos-version-id"]
    sdk.put_object(Bucket=bucket, Key="doc", Body=b"two", ContentType="text/x-two")
    resp = sdk.copy_object(
        Bucket=bucket,
        Key="doc",
        CopySource={"Bucket": bucket, "Key": "doc", "Region": REGION, "VersionId": v1},
        CopyStatus="Copy",
    )
    assert resp["x-cos-copy-source-version-id"] == v1
    v3 = resp["x-cos-version-id"]
    assert v3 not in ("", v1)
    assert _body(sdk, bucket, "doc") == b"one"
    head = sdk.head_object(Bucket=bucket, Key="doc")
    # directive Copy: the old version's metadata comes back with its bytes
    assert head["Content-Type"] == "text/x-one" and head["x-cos-meta-n"] == "1"
    assert head["x-cos-version-id"] == v3
    # nothing was lost: three versions, the copy is the latest
    versions = [(e[2], e[3]) for e in _entries(sdk, bucket) if e[0] == "v"]
    assert versions[0] == (v3, "true") and len(versions) == 3
    assert _body(sdk, bucket, "doc", VersionId=v1) == b"one"


def test_copy_of_version_over_a_delete_marker_undeletes(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = sdk.put_object(Bucket=bucket, Key="gone", Body=b"back")["x-cos-version-id"]
    sdk.delete_object(Bucket=bucket, Key="gone")
    assert not sdk.object_exists(Bucket=bucket, Key="gone")
    sdk.copy_object(
        Bucket=bucket,
        Key="gone",
        CopySource={"Bucket": bucket, "Key": "gone", "Region": REGION, "VersionId": v1},
    )
    assert _body(sdk, bucket, "gone") == b"back"


def test_plain_copy_onto_itself_still_needs_replaced(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    sdk.put_object(Bucket=bucket, Key="same", Body=b"x")
    with pytest.raises(CosServiceError) as exc:
        sdk.copy_object(
            Bucket=bucket,
            Key="same",
            CopySource={"Bucket": bucket, "Key": "same", "Region": REGION},
            CopyStatus="Copy",
        )
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (400, "InvalidRequest")
    assert len(_entries(sdk, bucket)) == 1


def test_copy_of_null_version_onto_itself_in_suspended_bucket(
    sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_object(Bucket=bucket, Key="n", Body=b"null body")  # written before versioning: null
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    sdk.put_object(Bucket=bucket, Key="n", Body=b"newer")
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    sdk.copy_object(
        Bucket=bucket,
        Key="n",
        CopySource={"Bucket": bucket, "Key": "n", "Region": REGION, "VersionId": "null"},
    )
    assert _body(sdk, bucket, "n") == b"null body"
    entries = _entries(sdk, bucket)
    # the copy replaced the null version in place: still exactly one null version, now latest
    assert [e[2] for e in entries if e[2] == "null"] == ["null"]
    assert entries[0][2:] == ("null", "true")
    assert len(entries) == 2


def test_suspended_put_overwrites_null_in_place_and_lists_newest_first(
    sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = sdk.put_object(Bucket=bucket, Key="k", Body=b"v1")["x-cos-version-id"]
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    for body in (b"n1", b"n2"):
        assert "x-cos-version-id" not in sdk.put_object(Bucket=bucket, Key="k", Body=body)
    assert _entries(sdk, bucket) == [("v", "k", "null", "true"), ("v", "k", v1, "false")]
    assert _body(sdk, bucket, "k", VersionId="null") == b"n2"
    # versioning on again: a new id on top, the null version stays as a noncurrent version
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v3 = sdk.put_object(Bucket=bucket, Key="k", Body=b"v3")["x-cos-version-id"]
    assert [e[2:] for e in _entries(sdk, bucket)] == [
        (v3, "true"),
        ("null", "false"),
        (v1, "false"),
    ]


def test_suspended_delete_leaves_a_null_delete_marker(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    v1 = sdk.put_object(Bucket=bucket, Key="d", Body=b"v1")["x-cos-version-id"]
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    sdk.put_object(Bucket=bucket, Key="d", Body=b"null")
    resp = sdk.delete_object(Bucket=bucket, Key="d")
    assert resp["x-cos-delete-marker"] == "true"
    # the null version is gone (replaced by the null marker); v1 is kept
    assert _entries(sdk, bucket) == [("v", "d", v1, "false"), ("dm", "d", "null", "true")]
    with pytest.raises(CosServiceError) as exc:
        sdk.get_object(Bucket=bucket, Key="d", VersionId="null")
    assert exc.value.get_status_code() == 404
    # a second delete replaces the null marker rather than stacking another one
    sdk.delete_object(Bucket=bucket, Key="d")
    assert _entries(sdk, bucket) == [("v", "d", v1, "false"), ("dm", "d", "null", "true")]
    # removing the null marker by id brings v1 back
    sdk.delete_object(Bucket=bucket, Key="d", VersionId="null")
    assert _body(sdk, bucket, "d") == b"v1"
    assert _entries(sdk, bucket) == [("v", "d", v1, "true")]


def test_suspended_delete_multiple_reports_null_marker(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    sdk.put_object(Bucket=bucket, Key="m", Body=b"x")
    result = sdk.delete_objects(Bucket=bucket, Delete={"Object": [{"Key": "m"}]})
    (deleted,) = result["Deleted"]
    assert deleted["DeleteMarker"] == "true" and deleted["DeleteMarkerVersionId"] == "null"
    assert _entries(sdk, bucket) == [("dm", "m", "null", "true")]


def test_suspended_version_listing_pages_through_null_entries(
    sdk: CosS3Client, bucket: str
) -> None:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    ids = [
        sdk.put_object(Bucket=bucket, Key="p", Body=b"%d" % i)["x-cos-version-id"] for i in (1, 2)
    ]
    sdk.put_bucket_versioning(Bucket=bucket, Status="Suspended")
    sdk.put_object(Bucket=bucket, Key="p", Body=b"null")
    sdk.put_object(Bucket=bucket, Key="q", Body=b"null")
    seen: list[tuple[str, str]] = []
    key_marker = vid_marker = ""
    while True:
        page = sdk.list_objects_versions(
            Bucket=bucket, KeyMarker=key_marker, VersionIdMarker=vid_marker, MaxKeys=1
        )
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Version", [])]
        if page["IsTruncated"] == "false":
            break
        key_marker, vid_marker = page["NextKeyMarker"], page["NextVersionIdMarker"] or ""
    assert seen == [("p", "null"), ("p", ids[1]), ("p", ids[0]), ("q", "null")]
