"""A copy shares its source's blob files (reference-counted) instead of copying the bytes: each
copy, make-current and metadata change must still read back exactly, and deleting one version
(one by one, in a Delete Multiple, by overwriting a null version) must never remove bytes that
another version still uses. Driven through the official SDK against a private server, so the
blob directory counts only this test's files."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from qcloud_cos import CosS3Client

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import sdk_client

MB = 1024 * 1024
BUCKET = "share-1250000000"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CoslocalServer]:
    with CoslocalServer(tmp_path / "data").start() as srv:
        yield srv


@pytest.fixture
def sdk(server: CoslocalServer) -> CosS3Client:
    client = sdk_client(server)
    client.create_bucket(Bucket=BUCKET)
    return client


def blob_files(server: CoslocalServer) -> int:
    return sum(1 for p in (server.data_dir / "blobs").rglob("*") if p.is_file())


def extra_refs(server: CoslocalServer) -> dict[str, int]:
    with sqlite3.connect(server.data_dir / "meta.sqlite3") as db:
        return dict(db.execute("SELECT blob, extra FROM blob_refs").fetchall())


def read(sdk: CosS3Client, key: str, version_id: str | None = None) -> bytes:
    extra = {"VersionId": version_id} if version_id else {}
    return bytes(sdk.get_object(Bucket=BUCKET, Key=key, **extra)["Body"].get_raw_stream().read())


def source(key: str, version_id: str | None = None) -> dict[str, str]:
    src = {"Bucket": BUCKET, "Key": key, "Region": "ap-guangzhou"}
    return {**src, "VersionId": version_id} if version_id else src


def test_copies_share_the_bytes_and_deleting_any_one_keeps_the_others(
    server: CoslocalServer, sdk: CosS3Client
) -> None:
    sdk.put_bucket_versioning(Bucket=BUCKET, Status="Enabled")
    first, second = os.urandom(MB + 7), b"second body"
    v1 = sdk.put_object(Bucket=BUCKET, Key="doc", Body=first)["x-cos-version-id"]
    sdk.put_object(Bucket=BUCKET, Key="doc", Body=second)
    assert blob_files(server) == 2
    # Make v1 current again (a copy onto its own key) and copy it to another key twice.
    made = sdk.copy_object(Bucket=BUCKET, Key="doc", CopySource=source("doc", v1))
    sdk.copy_object(Bucket=BUCKET, Key="other", CopySource=source("doc", v1))
    sdk.copy_object(Bucket=BUCKET, Key="third", CopySource=source("doc", v1), CopyStatus="Replaced",
                    ContentType="text/plain")  # fmt: skip
    assert blob_files(server) == 2  # no bytes were copied
    assert list(extra_refs(server).values()) == [3]
    current = sdk.head_object(Bucket=BUCKET, Key="doc")
    assert current["x-cos-version-id"] == made["VersionId"]
    assert current["x-cos-hash-crc64ecma"] == made["CRC64"]
    assert sdk.head_object(Bucket=BUCKET, Key="third")["Content-Type"] == "text/plain"
    # Deleting the version the copies came from keeps the bytes they use.
    sdk.delete_object(Bucket=BUCKET, Key="doc", VersionId=v1)
    assert blob_files(server) == 2
    assert read(sdk, "doc") == first and read(sdk, "other") == first
    assert read(sdk, "third") == first
    # Delete markers remove nothing; permanently deleting the copies one by one frees the file
    # only with the last of them.
    sdk.delete_object(Bucket=BUCKET, Key="other")
    other = [v["VersionId"] for v in sdk.list_objects_versions(Bucket=BUCKET, Prefix="other")
             ["Version"]]  # fmt: skip
    sdk.delete_object(Bucket=BUCKET, Key="other", VersionId=other[0])
    assert blob_files(server) == 2 and read(sdk, "doc") == first
    sdk.delete_object(Bucket=BUCKET, Key="doc", VersionId=made["VersionId"])
    assert blob_files(server) == 2 and read(sdk, "third") == first
    assert read(sdk, "doc") == second  # the older version is current again
    third = sdk.head_object(Bucket=BUCKET, Key="third")["x-cos-version-id"]
    sdk.delete_object(Bucket=BUCKET, Key="third", VersionId=third)
    assert blob_files(server) == 1 and extra_refs(server) == {}
    assert read(sdk, "doc") == second


def test_delete_multiple_of_a_source_and_its_copies_frees_the_file_once(
    server: CoslocalServer, sdk: CosS3Client
) -> None:
    sdk.put_bucket_versioning(Bucket=BUCKET, Status="Enabled")
    body = os.urandom(4096)
    v1 = sdk.put_object(Bucket=BUCKET, Key="a", Body=body)["x-cos-version-id"]
    copies = [sdk.copy_object(Bucket=BUCKET, Key=k, CopySource=source("a"))["VersionId"]
              for k in ("b", "c")]  # fmt: skip
    kept = sdk.copy_object(Bucket=BUCKET, Key="d", CopySource=source("a"))["VersionId"]
    objects = [{"Key": "a", "VersionId": v1}, {"Key": "b", "VersionId": copies[0]},
               {"Key": "c", "VersionId": copies[1]}]  # fmt: skip
    answer = sdk.delete_objects(Bucket=BUCKET, Delete={"Object": objects, "Quiet": "false"})
    assert len(answer["Deleted"]) == 3
    assert blob_files(server) == 1 and read(sdk, "d") == body  # "d" still uses it
    sdk.delete_objects(Bucket=BUCKET, Delete={"Object": [{"Key": "d", "VersionId": kept}]})
    assert blob_files(server) == 0 and extra_refs(server) == {}


def test_null_versions_replaced_by_a_copy_of_themselves_keep_their_bytes(
    server: CoslocalServer, sdk: CosS3Client
) -> None:
    """Without versioning a copy onto the same key replaces the null version whose files the
    copy uses: the new reference must be counted before the old row lets go."""
    body = os.urandom(MB)
    sdk.put_object(Bucket=BUCKET, Key="k", Body=body, ContentType="application/x-old")
    sdk.copy_object(Bucket=BUCKET, Key="k", CopySource=source("k"), CopyStatus="Replaced",
                    ContentType="application/x-new")  # fmt: skip
    assert read(sdk, "k") == body and blob_files(server) == 1 and extra_refs(server) == {}
    assert sdk.head_object(Bucket=BUCKET, Key="k")["Content-Type"] == "application/x-new"
    sdk.copy_object(Bucket=BUCKET, Key="copy", CopySource=source("k"))
    sdk.put_object(Bucket=BUCKET, Key="k", Body=b"overwritten")  # replaces the null version
    assert read(sdk, "copy") == body and blob_files(server) == 2
    sdk.delete_object(Bucket=BUCKET, Key="copy")  # unversioned: the row and its file go
    assert blob_files(server) == 1 and extra_refs(server) == {}


def test_a_copy_of_a_multipart_object_shares_every_part_across_a_restart(
    tmp_path: Path, server: CoslocalServer, sdk: CosS3Client
) -> None:
    parts = [os.urandom(MB), os.urandom(MB), os.urandom(1000)]
    upload = sdk.create_multipart_upload(Bucket=BUCKET, Key="big")["UploadId"]
    done = [{"PartNumber": n, "ETag": sdk.upload_part(Bucket=BUCKET, Key="big", Body=p,
                                                     PartNumber=n, UploadId=upload)["ETag"]}
            for n, p in enumerate(parts, start=1)]  # fmt: skip
    sdk.complete_multipart_upload(Bucket=BUCKET, Key="big", UploadId=upload,
                                  MultipartUpload={"Part": done})  # fmt: skip
    copied = sdk.copy_object(Bucket=BUCKET, Key="copy", CopySource=source("big"))
    assert copied["ETag"] == sdk.head_object(Bucket=BUCKET, Key="big")["ETag"]
    assert blob_files(server) == 3
    server.stop()
    with CoslocalServer(server.data_dir).start() as again:  # start-up orphan collection
        client = sdk_client(again)
        assert blob_files(again) == 3
        client.delete_object(Bucket=BUCKET, Key="big")
        body = client.get_object(Bucket=BUCKET, Key="copy")["Body"].get_raw_stream().read()
        assert body == b"".join(parts) and blob_files(again) == 3
        client.delete_object(Bucket=BUCKET, Key="copy")
        assert blob_files(again) == 0
