"""Multipart uploads: initiate, parts, part copy, list, complete (all error cases), abort."""

from __future__ import annotations

import hashlib
import os

import pytest
from qcloud_cos import CosS3Client, CosServiceError

MB = 1024 * 1024


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def _crc(data: bytes) -> str:
    from fastcrc import crc64

    return str(crc64.xz(data))


def _upload(sdk: CosS3Client, bucket: str, key: str, parts: list[bytes]) -> tuple[str, list[dict]]:
    upload_id = sdk.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = []
    for n, data in enumerate(parts, 1):
        resp = sdk.upload_part(Bucket=bucket, Key=key, Body=data, PartNumber=n, UploadId=upload_id)
        assert resp["ETag"] == _etag(data)
        assert resp["x-cos-hash-crc64ecma"] == _crc(data)
        done.append({"PartNumber": n, "ETag": resp["ETag"]})
    return upload_id, done


def test_documented_multipart_etag_and_crc(sdk: CosS3Client, bucket: str) -> None:
    parts = [b"a" * MB, b"b" * MB, b"c" * 10]
    upload_id, done = _upload(sdk, bucket, "mp", parts)
    listed = sdk.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Part"]] == ["1", "2", "3"]
    assert [p["Size"] for p in listed["Part"]] == [str(MB), str(MB), "10"]
    result = sdk.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Part": listed["Part"]}
    )
    assert result["ETag"] == '"69ddf7d8409f301092da7f54dd6b2bc2-3"'
    whole = b"".join(parts)
    assert result["x-cos-hash-crc64ecma"] == _crc(whole)
    head = sdk.head_object(Bucket=bucket, Key="mp")
    assert head["x-cos-hash-crc64ecma"] == _crc(whole)
    assert head["Content-Length"] == str(len(whole))
    body = sdk.get_object(Bucket=bucket, Key="mp")["Body"].get_raw_stream().read()
    assert body == whole
    across = sdk.get_object(Bucket=bucket, Key="mp", Range=f"bytes={MB - 2}-{2 * MB + 1}")
    assert across["Body"].get_raw_stream().read() == whole[MB - 2 : 2 * MB + 2]
    with pytest.raises(CosServiceError) as exc:
        sdk.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert exc.value.get_error_code() == "NoSuchUpload"


def test_upload_file_helper(sdk: CosS3Client, bucket: str, tmp_path) -> None:
    data = os.urandom(3 * MB + 123)
    src = tmp_path / "f.bin"
    src.write_bytes(data)
    sdk.upload_file(Bucket=bucket, Key="uf", LocalFilePath=str(src), PartSize=1, MAXThread=4)
    assert sdk.get_object(Bucket=bucket, Key="uf")["Body"].get_raw_stream().read() == data


@pytest.mark.parametrize(
    ("parts_sent", "code"),
    [
        ([1, 3], "InvalidPart"),  # not continuous
        ([2, 1], "InvalidPartOrder"),
        ([2, 3], "InvalidPart"),  # does not start at 1
    ],
)
def test_complete_part_list_errors(
    sdk: CosS3Client, bucket: str, parts_sent: list[int], code: str
) -> None:
    upload_id, done = _upload(sdk, bucket, "bad", [b"1" * MB, b"2" * MB, b"3"])
    by_number = {p["PartNumber"]: p for p in done}
    with pytest.raises(CosServiceError) as exc:
        sdk.complete_multipart_upload(
            Bucket=bucket,
            Key="bad",
            UploadId=upload_id,
            MultipartUpload={"Part": [by_number[n] for n in parts_sent]},
        )
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (400, code)
    assert not sdk.object_exists(Bucket=bucket, Key="bad")
    sdk.abort_multipart_upload(Bucket=bucket, Key="bad", UploadId=upload_id)


def test_complete_small_part_and_wrong_etag(sdk: CosS3Client, bucket: str) -> None:
    upload_id, done = _upload(sdk, bucket, "small", [b"x" * 100, b"y" * 100])
    with pytest.raises(CosServiceError) as exc:
        sdk.complete_multipart_upload(
            Bucket=bucket, Key="small", UploadId=upload_id, MultipartUpload={"Part": done}
        )
    assert exc.value.get_error_code() == "EntityTooSmall"
    wrong = [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]
    with pytest.raises(CosServiceError) as exc:
        sdk.complete_multipart_upload(
            Bucket=bucket, Key="small", UploadId=upload_id, MultipartUpload={"Part": wrong}
        )
    assert exc.value.get_error_code() == "InvalidPart"
    # a single small part is fine (the last part may be small)
    result = sdk.complete_multipart_upload(
        Bucket=bucket, Key="small", UploadId=upload_id, MultipartUpload={"Part": done[:1]}
    )
    assert result["ETag"].endswith('-1"')
    assert sdk.get_object(Bucket=bucket, Key="small")["Body"].get_raw_stream().read() == b"x" * 100


def test_unknown_upload_and_bad_part_number(sdk: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as exc:
        sdk.upload_part(Bucket=bucket, Key="k", Body=b"x", PartNumber=1, UploadId="nope")
    assert (exc.value.get_status_code(), exc.value.get_error_code()) == (404, "NoSuchUpload")
    upload_id = sdk.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    with pytest.raises(CosServiceError) as exc:
        sdk.upload_part(Bucket=bucket, Key="k", Body=b"x", PartNumber=10001, UploadId=upload_id)
    assert exc.value.get_status_code() == 400
    with pytest.raises(CosServiceError) as exc:
        sdk.abort_multipart_upload(Bucket=bucket, Key="k", UploadId="nope")
    assert exc.value.get_error_code() == "NoSuchUpload"
    sdk.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)


def test_reupload_part_overwrites(sdk: CosS3Client, bucket: str) -> None:
    upload_id, _ = _upload(sdk, bucket, "re", [b"old"])
    resp = sdk.upload_part(Bucket=bucket, Key="re", Body=b"new", PartNumber=1, UploadId=upload_id)
    sdk.complete_multipart_upload(
        Bucket=bucket,
        Key="re",
        UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": resp["ETag"]}]},
    )
    assert sdk.get_object(Bucket=bucket, Key="re")["Body"].get_raw_stream().read() == b"new"


def test_upload_part_copy(sdk: CosS3Client, bucket: str) -> None:
    source = os.urandom(2 * MB + 500)
    sdk.put_object(Bucket=bucket, Key="src é", Body=source)
    upload_id = sdk.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    copy_source = {"Bucket": bucket, "Key": "src é", "Region": "ap-guangzhou"}
    first = sdk.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        PartNumber=1,
        UploadId=upload_id,
        CopySource=copy_source,
        CopySourceRange=f"bytes=0-{MB + 99}",
    )
    assert first["ETag"] == _etag(source[: MB + 100])
    second = sdk.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        PartNumber=2,
        UploadId=upload_id,
        CopySource=copy_source,
        CopySourceRange=f"bytes={MB + 100}-{len(source) - 1}",
    )
    whole = sdk.upload_part_copy(  # empty range header = whole object
        Bucket=bucket, Key="dst", PartNumber=3, UploadId=upload_id, CopySource=copy_source
    )
    assert whole["ETag"] == _etag(source)
    sdk.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        MultipartUpload={
            "Part": [
                {"PartNumber": 1, "ETag": first["ETag"]},
                {"PartNumber": 2, "ETag": second["ETag"]},
                {"PartNumber": 3, "ETag": whole["ETag"]},
            ]
        },
    )
    got = sdk.get_object(Bucket=bucket, Key="dst")["Body"].get_raw_stream().read()
    assert got == source + source
    with pytest.raises(CosServiceError) as exc:
        sdk.upload_part_copy(
            Bucket=bucket, Key="dst", PartNumber=1, UploadId="nope", CopySource=copy_source
        )
    assert exc.value.get_error_code() == "NoSuchUpload"


def test_list_multipart_uploads(sdk: CosS3Client, bucket: str) -> None:
    ids = {}
    for key in ["a/1", "a/2", "b", "c d"]:
        ids[key] = sdk.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    listed = sdk.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in listed["Upload"]] == ["a/1", "a/2", "b", "c d"]
    grouped = sdk.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["a/"]
    assert [u["Key"] for u in grouped["Upload"]] == ["b", "c d"]
    page = sdk.list_multipart_uploads(Bucket=bucket, MaxUploads=2)
    assert page["IsTruncated"] == "true"
    rest = sdk.list_multipart_uploads(
        Bucket=bucket, KeyMarker=page["NextKeyMarker"], UploadIdMarker=page["NextUploadIdMarker"]
    )
    assert [u["Key"] for u in rest["Upload"]] == ["b", "c d"]
    for key, upload_id in ids.items():
        sdk.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    assert "Upload" not in sdk.list_multipart_uploads(Bucket=bucket)


def test_multipart_keeps_initiate_metadata(sdk: CosS3Client, bucket: str) -> None:
    upload_id = sdk.create_multipart_upload(
        Bucket=bucket,
        Key="m",
        ContentType="image/png",
        StorageClass="STANDARD_IA",
        Metadata={"x-cos-meta-origin": "mp"},
    )["UploadId"]
    resp = sdk.upload_part(Bucket=bucket, Key="m", Body=b"png", PartNumber=1, UploadId=upload_id)
    sdk.complete_multipart_upload(
        Bucket=bucket,
        Key="m",
        UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": resp["ETag"]}]},
    )
    head = sdk.head_object(Bucket=bucket, Key="m")
    assert head["Content-Type"] == "image/png"
    assert head["x-cos-storage-class"] == "STANDARD_IA"
    assert head["x-cos-meta-origin"] == "mp"


def test_concurrent_multi_chunk_parts_hash_correctly(sdk: CosS3Client, bucket: str) -> None:
    """Parts spanning several 1 MiB reads go through the hashing thread; four at once."""
    from concurrent.futures import ThreadPoolExecutor

    upload_id = sdk.create_multipart_upload(Bucket=bucket, Key="par")["UploadId"]
    bodies = {n: os.urandom(5 * MB + n) for n in range(1, 9)}

    def send(n: int) -> dict:
        return sdk.upload_part(
            Bucket=bucket, Key="par", Body=bodies[n], PartNumber=n, UploadId=upload_id
        )

    with ThreadPoolExecutor(4) as pool:
        replies = dict(zip(bodies, pool.map(send, bodies), strict=True))
    for n, reply in replies.items():
        assert reply["ETag"] == _etag(bodies[n])
        assert reply["x-cos-hash-crc64ecma"] == _crc(bodies[n])
    parts = [{"PartNumber": n, "ETag": replies[n]["ETag"]} for n in sorted(bodies)]
    done = sdk.complete_multipart_upload(
        Bucket=bucket, Key="par", UploadId=upload_id, MultipartUpload={"Part": parts}
    )
    whole = b"".join(bodies[n] for n in sorted(bodies))
    assert done["x-cos-hash-crc64ecma"] == _crc(whole)
    assert sdk.get_object(Bucket=bucket, Key="par")["Body"].get_raw_stream().read() == whole
