"""Bad arguments raise CosClientError before any request is sent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import responses

from objects_app.cos import CosClientError, CosConfig, CosS3Client
from objects_app.cos.transfer import MB, choose_part_size, plan_parts

BUCKET = "demo-1250000000"


@pytest.fixture
def client() -> CosS3Client:
    return CosS3Client(CosConfig(Region="ap-guangzhou", SecretId="id", SecretKey="key"))


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        ("head_object", {"Bucket": BUCKET, "Key": ""}),
        ("get_object", {"Bucket": BUCKET, "Key": "/a/../"}),
        ("put_object", {"Bucket": "bad_bucket!", "Key": "k", "Body": b""}),
        ("put_object", {"Bucket": "-leading", "Key": "k", "Body": b""}),
        ("put_object", {"Bucket": BUCKET, "Key": "k", "Body": b"", "NoSuchKwarg": 1}),
        (
            "upload_part",
            {"Bucket": BUCKET, "Key": "k", "Body": b"", "PartNumber": 0, "UploadId": "u"},
        ),
        (
            "upload_part",
            {"Bucket": BUCKET, "Key": "k", "Body": b"", "PartNumber": 10001, "UploadId": "u"},
        ),
        (
            "upload_part",
            {"Bucket": BUCKET, "Key": "k", "Body": b"", "PartNumber": 1, "UploadId": ""},
        ),
        (
            "upload_part_copy",
            {
                "Bucket": BUCKET,
                "Key": "k",
                "PartNumber": -1,
                "UploadId": "u",
                "CopySource": {"Bucket": BUCKET, "Key": "s"},
            },
        ),
        (
            "delete_objects",
            {"Bucket": BUCKET, "Delete": {"Object": [{"Key": str(i)} for i in range(1001)]}},
        ),
        ("delete_objects", {"Bucket": BUCKET, "Delete": {"Object": [{"Key": ""}]}}),
        (
            "copy_object",
            {
                "Bucket": BUCKET,
                "Key": "k",
                "CopySource": {"Bucket": BUCKET, "Key": "s"},
                "CopyStatus": "Move",
            },
        ),
        ("copy_object", {"Bucket": BUCKET, "Key": "k", "CopySource": {"Key": "s"}}),
        ("list_objects", {"Bucket": BUCKET, "EncodingType": "base64"}),
        ("put_bucket_versioning", {"Bucket": BUCKET, "Status": "On"}),
        (
            "complete_multipart_upload",
            {"Bucket": BUCKET, "Key": "k", "UploadId": "u", "MultipartUpload": {}},
        ),
    ],
)
def test_bad_arguments_fail_before_any_request(
    client: CosS3Client, call: str, kwargs: dict[str, Any]
) -> None:
    with responses.RequestsMock() as rs:  # any request would fail as "not registered" anyway
        with pytest.raises(CosClientError):
            getattr(client, call)(**kwargs)
        assert len(rs.calls) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"Region": "ap-guangzhou"},
        {"SecretId": "a", "SecretKey": "b"},
        {"Region": "bad region", "SecretId": "a", "SecretKey": "b"},
        {"Region": "ap-guangzhou", "SecretId": "a", "SecretKey": "b", "Scheme": "ftp"},
        {"Region": "ap-guangzhou", "SecretId": " a", "SecretKey": "b"},
    ],
)
def test_bad_config(kwargs: dict[str, Any]) -> None:
    with pytest.raises(CosClientError):
        CosConfig(**kwargs)


@pytest.mark.parametrize(
    ("conf", "bucket", "key", "url"),
    [
        (
            {"Region": "ap-guangzhou"},
            BUCKET,
            "a b/c",
            "https://demo-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b/c",
        ),
        (
            {"Region": "cosgz", "Scheme": "http"},
            BUCKET,
            "/x",
            "http://demo-1250000000.cos.ap-guangzhou.myqcloud.com/x",
        ),
        (
            {"Region": "ap-guangzhou", "Appid": "1250000000"},
            "demo",
            "k",
            "https://demo-1250000000.cos.ap-guangzhou.myqcloud.com/k",
        ),
        (
            {"Endpoint": "cos.accelerate.myqcloud.com"},
            BUCKET,
            "k",
            "https://demo-1250000000.cos.accelerate.myqcloud.com/k",
        ),
        ({"Domain": "files.example.com"}, BUCKET, "k", "https://files.example.com/k"),
        (
            {"Region": "ap-guangzhou", "IP": "127.0.0.1", "Port": 9000},
            BUCKET,
            "abc/../x",
            "https://127.0.0.1:9000/abc/..%2Fx",
        ),
    ],
)
def test_urls_match_sdk(conf: dict[str, Any], bucket: str, key: str, url: str) -> None:
    from qcloud_cos import CosConfig as SdkConfig

    ours = CosConfig(SecretId="a", SecretKey="b", **conf)
    assert ours.uri(bucket, key) == url
    assert SdkConfig(SecretId="a", SecretKey="b", **conf).uri(bucket, key) == url


def test_part_planning_never_exceeds_10000_parts() -> None:
    size = 100 * 1024 * MB + 7  # 100 GiB with a 1 MB request
    part_size = choose_part_size(size, MB)
    parts = plan_parts(size, part_size)
    assert len(parts) <= 10000 and part_size % MB == 0
    assert sum(p.length for p in parts) == size
    assert all(p.length == part_size for p in parts[:-1]) and 0 < parts[-1].length <= part_size
    assert parts[1].range_header == f"bytes={part_size}-{2 * part_size - 1}"


def test_importing_the_client_does_not_import_django() -> None:
    code = "import sys, objects_app.cos; assert 'django' not in sys.modules, 'django imported'"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root)},
    )
    assert proc.returncode == 0, proc.stderr
