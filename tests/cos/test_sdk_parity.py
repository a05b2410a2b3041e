"""The same scenario through our client and the official SDK returns the same dicts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from objects_app.cos import CosServiceError

from .conftest import new_bucket_name

MB = 1024 * 1024
ODD_KEYS = [
    "plain.txt",
    "dir/a b+c.txt",
    "dir/中文(腾讯云).bin",
    "dir/sub/x%41y",
    "semi;colon&amp=",
    "abc/../dots",
    "~tilde-_.",
    "dir/",
]
VOLATILE_KEYS = {
    "Date",
    "x-cos-request-id",
    "x-cos-trace-id",
    "LastModified",
    "Last-Modified",
    "CreationDate",
    "Initiated",
    "UploadId",
    "VersionId",
    "x-cos-version-id",
    "NextUploadIdMarker",
    "UploadIdMarker",
    "NextVersionIdMarker",
    "VersionIdMarker",
    "Expires",
    "x-cos-restore",
    "x-cos-restore-status",
}


def normalise(value: Any, bucket: str) -> Any:
    if isinstance(value, dict):
        return {
            k: ("<volatile>" if k in VOLATILE_KEYS else normalise(v, bucket))
            for k, v in value.items()
            if k != "Body"
        }
    if isinstance(value, list):
        return [normalise(v, bucket) for v in value]
    if isinstance(value, str):
        return re.sub(re.escape(bucket.split("-")[0]), "<bucket>", value)
    return value


def _error(fn: Any) -> tuple[int, str]:
    try:
        fn()
    except CosServiceError as exc:  # ours
        return exc.get_status_code(), exc.get_error_code()
    except Exception as exc:  # the SDK's own CosServiceError
        return exc.get_status_code(), exc.get_error_code()  # type: ignore[attr-defined]
    raise AssertionError("expected an error")


def objects_scenario(c: Any, b: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    c.create_bucket(Bucket=b)
    out.append(("head_bucket", c.head_bucket(Bucket=b)))
    for i, key in enumerate(ODD_KEYS):
        out.append(
            (
                f"put {key}",
                c.put_object(
                    Bucket=b,
                    Key=key,
                    Body=b"x" * i,
                    ContentType="text/plain",
                    Metadata={"x-cos-meta-n": str(i)},
                ),
            )
        )
    out.append(("head", c.head_object(Bucket=b, Key="dir/中文(腾讯云).bin")))
    got = c.get_object(
        Bucket=b, Key="dir/a b+c.txt", Range="bytes=0-0", ResponseCacheControl="no-cache"
    )
    out.append(("get body", got["Body"].get_raw_stream().read()))
    out.append(("get", got))
    out.append(("list", c.list_objects(Bucket=b)))
    out.append(("list delim", c.list_objects(Bucket=b, Prefix="dir/", Delimiter="/")))
    out.append(("list page", c.list_objects(Bucket=b, MaxKeys=2, Marker="abc/../dots")))
    out.append(("list empty", c.list_objects(Bucket=b, Prefix="nothing-here")))
    out.append(("list url", c.list_objects(Bucket=b, Prefix="dir/", EncodingType="url")))
    out.append(
        (
            "copy",
            c.copy_object(
                Bucket=b,
                Key="copied",
                CopySource={"Bucket": b, "Key": "dir/a b+c.txt", "Region": "ap-guangzhou"},
            ),
        )
    )
    out.append(
        (
            "copy replaced",
            c.copy_object(
                Bucket=b,
                Key="copied",
                CopyStatus="Replaced",
                ContentType="a/b",
                CopySource={"Bucket": b, "Key": "copied", "Region": "ap-guangzhou"},
            ),
        )
    )
    out.append(("head copied", c.head_object(Bucket=b, Key="copied")))
    out.append(("put acl", c.put_object_acl(Bucket=b, Key="plain.txt", ACL="public-read")))
    out.append(("get acl", c.get_object_acl(Bucket=b, Key="plain.txt")))
    out.append(("get acl default", c.get_object_acl(Bucket=b, Key="copied")))
    out.append(("delete", c.delete_object(Bucket=b, Key="plain.txt")))
    out.append(("delete missing", c.delete_object(Bucket=b, Key="never-there")))
    out.append(
        (
            "delete many",
            c.delete_objects(
                Bucket=b,
                Delete={
                    "Quiet": "false",
                    "Object": [{"Key": "copied"}, {"Key": "dir/"}, {"Key": "not-there"}],
                },
            ),
        )
    )
    out.append(
        (
            "delete quiet",
            c.delete_objects(Bucket=b, Delete={"Quiet": "true", "Object": [{"Key": "x"}]}),
        )
    )
    out.append(
        (
            "errors",
            [
                _error(lambda: c.get_object(Bucket=b, Key="plain.txt")),
                _error(lambda: c.head_object(Bucket=b, Key="plain.txt")),
                _error(lambda: c.delete_bucket(Bucket=b)),
                _error(lambda: c.create_bucket(Bucket=b)),
            ],
        )
    )
    return out


def multipart_scenario(c: Any, b: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    c.create_bucket(Bucket=b)
    c.put_object(Bucket=b, Key="src", Body=b"s" * (2 * MB + 5))
    init = c.create_multipart_upload(Bucket=b, Key="big/中 文", ContentType="a/b")
    out.append(("init", init))
    uid = init["UploadId"]
    out.append(
        (
            "part1",
            c.upload_part(Bucket=b, Key="big/中 文", Body=b"a" * MB, PartNumber=1, UploadId=uid),
        )
    )
    out.append(
        (
            "part2",
            c.upload_part_copy(
                Bucket=b,
                Key="big/中 文",
                PartNumber=2,
                UploadId=uid,
                CopySource={"Bucket": b, "Key": "src", "Region": "ap-guangzhou"},
                CopySourceRange="bytes=0-1048575",
            ),
        )
    )
    out.append(
        (
            "part3",
            c.upload_part(Bucket=b, Key="big/中 文", Body=b"c" * 10, PartNumber=3, UploadId=uid),
        )
    )
    other = c.create_multipart_upload(Bucket=b, Key="big/other")
    out.append(("uploads", c.list_multipart_uploads(Bucket=b, Prefix="big/")))
    parts = c.list_parts(Bucket=b, Key="big/中 文", UploadId=uid)
    out.append(("parts", parts))
    out.append(
        (
            "parts page",
            c.list_parts(Bucket=b, Key="big/中 文", UploadId=uid, MaxParts=1, PartNumberMarker=1),
        )
    )
    out.append(
        (
            "complete",
            c.complete_multipart_upload(
                Bucket=b, Key="big/中 文", UploadId=uid, MultipartUpload={"Part": parts["Part"]}
            ),
        )
    )
    out.append(
        ("abort", c.abort_multipart_upload(Bucket=b, Key="big/other", UploadId=other["UploadId"]))
    )
    out.append(("uploads after", c.list_multipart_uploads(Bucket=b)))
    out.append(("head big", c.head_object(Bucket=b, Key="big/中 文")))
    out.append(
        (
            "errors",
            [
                _error(lambda: c.list_parts(Bucket=b, Key="k", UploadId="nope")),
                _error(lambda: c.abort_multipart_upload(Bucket=b, Key="k", UploadId="nope")),
            ],
        )
    )
    return out


def bucket_scenario(c: Any, b: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    c.create_bucket(Bucket=b, ACL="private")
    out.append(("versioning unset", c.get_bucket_versioning(Bucket=b)))
    out.append(("acl", c.get_bucket_acl(Bucket=b)))
    c.put_bucket_acl(Bucket=b, ACL="public-read")
    out.append(("acl public", c.get_bucket_acl(Bucket=b)))
    c.put_bucket_versioning(Bucket=b, Status="Enabled")
    out.append(("versioning", c.get_bucket_versioning(Bucket=b)))
    for body in (b"1", b"22"):
        c.put_object(Bucket=b, Key="v/k", Body=body)
    out.append(("delete marker", c.delete_object(Bucket=b, Key="v/k")))
    out.append(("versions", c.list_objects_versions(Bucket=b, Prefix="v/")))
    out.append(("versions delim", c.list_objects_versions(Bucket=b, Delimiter="/")))
    out.append(("versions page", c.list_objects_versions(Bucket=b, MaxKeys=1)))
    c.put_bucket_versioning(Bucket=b, Status="Suspended")
    out.append(("suspended", c.get_bucket_versioning(Bucket=b)))
    c.put_object(Bucket=b, Key="cold", Body=b"zzz", StorageClass="ARCHIVE")
    out.append(("head cold", c.head_object(Bucket=b, Key="cold")))
    out.append(
        (
            "restore",
            c.restore_object(
                Bucket=b,
                Key="cold",
                RestoreRequest={"Days": 1, "CASJobParameters": {"Tier": "Expedited"}},
            ),
        )
    )
    out.append(
        (
            "restore again",
            _error(
                lambda: c.restore_object(
                    Bucket=b,
                    Key="cold",
                    RestoreRequest={"Days": 1, "CASJobParameters": {"Tier": "Expedited"}},
                )
            ),
        )
    )
    listed = [x for x in c.list_buckets()["Buckets"]["Bucket"] if x["Name"] == b]
    out.append(("list_buckets", listed))
    return out


@pytest.mark.parametrize("scenario", [objects_scenario, multipart_scenario, bucket_scenario])
def test_same_results_as_official_sdk(client: Any, sdk: Any, scenario: Any) -> None:
    ours_bucket, sdk_bucket = new_bucket_name("ours"), new_bucket_name("sdkx")
    ours = scenario(client, ours_bucket)
    theirs = scenario(sdk, sdk_bucket)
    assert [label for label, _ in ours] == [label for label, _ in theirs]
    for (label, mine), (_, official) in zip(ours, theirs, strict=True):
        assert normalise(mine, ours_bucket) == normalise(official, sdk_bucket), label
