"""upload_file, download_file and copy against coslocal."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from coslocal.testing import CoslocalServer
from objects_app.cos import CosClientError, CosS3Client, CosServiceError
from objects_app.cos.crc64 import crc64
from objects_app.cos.transfer import MB

from .conftest import write_file
from .test_live_retries import fired


def _spy(monkeypatch: pytest.MonkeyPatch, client: CosS3Client, name: str) -> list[Any]:
    calls: list[Any] = []
    original = getattr(client, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(client, name, wrapper)
    return calls


def test_small_file_uses_one_put(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_file(tmp_path / "f", 1000)
    puts = _spy(monkeypatch, client, "put_object")
    seen: list[tuple[int, int]] = []
    result = client.upload_file(
        Bucket=bucket,
        Key="small",
        LocalFilePath=str(tmp_path / "f"),
        progress_callback=lambda a, b: seen.append((a, b)),
        ContentType="x/y",
    )
    assert len(puts) == 1 and seen == [(1000, 1000)]
    assert int(result["x-cos-hash-crc64ecma"]) == crc64(data)
    assert client.head_object(Bucket=bucket, Key="small")["Content-Type"] == "x/y"


def test_multipart_upload_parallel_with_progress_and_crc(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_file(tmp_path / "f", 5 * MB + 123)
    parts = _spy(monkeypatch, client, "upload_part")
    seen: list[int] = []
    result = client.upload_file(
        Bucket=bucket,
        Key="big/file",
        LocalFilePath=str(tmp_path / "f"),
        PartSize=1,
        MAXThread=3,
        progress_callback=lambda a, b: seen.append(a),
        Metadata={"x-cos-meta-origin": "test"},
    )
    assert len(parts) == 6
    assert sorted(seen) == seen and seen[-1] == len(data)
    assert result["ETag"].endswith('-6"')
    head = client.head_object(Bucket=bucket, Key="big/file")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(data)
    assert head["x-cos-meta-origin"] == "test"
    assert client.get_object(Bucket=bucket, Key="big/file")["Body"].read_all() == data


def test_upload_resumes_only_missing_parts(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_file(tmp_path / "f", 4 * MB + 10)
    uid = client.create_multipart_upload(Bucket=bucket, Key="resume")["UploadId"]
    for number in (1, 3):
        client.upload_part(
            Bucket=bucket,
            Key="resume",
            Body=data[(number - 1) * MB : number * MB],
            PartNumber=number,
            UploadId=uid,
        )
    client.create_multipart_upload(Bucket=bucket, Key="resume-other")  # same prefix, not ours
    parts = _spy(monkeypatch, client, "upload_part")
    seen: list[int] = []
    client.upload_file(
        Bucket=bucket,
        Key="resume",
        LocalFilePath=str(tmp_path / "f"),
        PartSize=1,
        progress_callback=lambda a, b: seen.append(a),
    )
    assert sorted(call[0][3] for call in parts) == [2, 4, 5]
    assert all(call[0][4] == uid for call in parts)
    assert min(seen) >= 2 * MB and seen[-1] == len(data)  # resumed parts count as done up front
    assert client.get_object(Bucket=bucket, Key="resume")["Body"].read_all() == data
    assert [u["Key"] for u in client.iter_multipart_uploads(Bucket=bucket)] == ["resume-other"]


def test_upload_id_callback_names_the_upload_used_new_or_resumed(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tmp_path / "f", 2 * MB + 5)
    reported: list[str] = []
    parts = _spy(monkeypatch, client, "upload_part")
    # Complete fails, leaving the upload unfinished: the next call resumes it.
    monkeypatch.setattr(client, "complete_multipart_upload", _raise_client_error)
    with pytest.raises(CosClientError):
        client.upload_file(
            Bucket=bucket, Key="cb", LocalFilePath=str(tmp_path / "f"), PartSize=1,
            upload_id_callback=reported.append,
        )  # fmt: skip
    listed = [
        u["UploadId"] for u in client.iter_multipart_uploads(Bucket=bucket) if u["Key"] == "cb"
    ]
    assert reported == listed and all(call[0][4] == reported[0] for call in parts)
    monkeypatch.undo()
    client.upload_file(
        Bucket=bucket, Key="cb", LocalFilePath=str(tmp_path / "f"), PartSize=1,
        upload_id_callback=reported.append,
    )  # fmt: skip
    assert reported == [listed[0], listed[0]]  # the resumed upload is reported again


def _raise_client_error(*args: Any, **kwargs: Any) -> Any:
    raise CosClientError("complete failed (test)")


def test_upload_does_not_reuse_parts_of_a_changed_file(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_file(tmp_path / "f", 2 * MB + 1, seed=1)
    uid = client.create_multipart_upload(Bucket=bucket, Key="changed")["UploadId"]
    client.upload_part(Bucket=bucket, Key="changed", Body=b"z" * MB, PartNumber=1, UploadId=uid)
    parts = _spy(monkeypatch, client, "upload_part")
    client.upload_file(Bucket=bucket, Key="changed", LocalFilePath=str(tmp_path / "f"), PartSize=1)
    assert len(parts) == 3
    assert client.get_object(Bucket=bucket, Key="changed")["Body"].read_all() == data


def test_upload_survives_injected_part_failures(
    client: CosS3Client, bucket: str, tmp_path: Path, faults: CoslocalServer
) -> None:
    data = write_file(tmp_path / "f", 3 * MB + 5)
    faults.set_faults(
        mode="error", status=503, code="SlowDown", count=3, query_contains="partNumber"
    )
    client.upload_file(
        Bucket=bucket, Key="flaky", LocalFilePath=str(tmp_path / "f"), PartSize=1, MAXThread=2
    )
    assert fired(faults) == 3
    assert client.get_object(Bucket=bucket, Key="flaky")["Body"].read_all() == data


def test_upload_crc_mismatch_is_detected(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tmp_path / "f", 2 * MB)
    real = client.complete_multipart_upload

    def lying(*args: Any, **kwargs: Any) -> dict[str, Any]:
        result = real(*args, **kwargs)
        result["x-cos-hash-crc64ecma"] = "12345"
        return result

    monkeypatch.setattr(client, "complete_multipart_upload", lying)
    with pytest.raises(CosClientError, match="CRC64 mismatch"):
        client.upload_file(Bucket=bucket, Key="crc", LocalFilePath=str(tmp_path / "f"), PartSize=1)


def test_download_small_and_ranged(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(5 * MB + 77)
    client.put_object(Bucket=bucket, Key="dl", Body=data)
    gets = _spy(monkeypatch, client, "get_object")
    seen: list[int] = []
    dest = tmp_path / "out.bin"
    client.download_file(
        Bucket=bucket,
        Key="dl",
        DestFilePath=str(dest),
        PartSize=1,
        MAXThread=3,
        progress_callback=lambda a, b: seen.append(a),
    )
    assert dest.read_bytes() == data
    assert len(gets) == 6 and all("Range" in call[1] for call in gets)
    assert seen[-1] == len(data)
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]  # no temp file or record left behind
    small = tmp_path / "small.bin"
    client.put_object(Bucket=bucket, Key="small", Body=b"tiny")
    client.download_file(Bucket=bucket, Key="small", DestFilePath=str(small))
    assert small.read_bytes() == b"tiny"


def test_download_resumes_after_a_failed_part(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(4 * MB + 1)
    client.put_object(Bucket=bucket, Key="dl", Body=data)
    dest = str(tmp_path / "out.bin")
    real = client._fetch_range
    fetched: list[int] = []

    def failing(bucket_: str, key: str, fd: int, part: Any, etag: str, kwargs: Any) -> int:
        if part.number == 3 and not fetched.count(-3):
            fetched.append(-3)
            raise CosServiceError("GET", "", 403, code="AccessDenied")
        fetched.append(part.number)
        return real(bucket_, key, fd, part, etag, kwargs)

    monkeypatch.setattr(client, "_fetch_range", failing)
    with pytest.raises(CosServiceError):
        client.download_file(Bucket=bucket, Key="dl", DestFilePath=dest, PartSize=1, MAXThread=1)
    assert not os.path.exists(dest) and os.path.exists(dest + ".cosdl.json")
    first_run = {n for n in fetched if n > 0}
    assert {1, 2} <= first_run and 3 not in first_run
    fetched.clear()
    fetched.append(-3)  # do not fail again
    client.download_file(Bucket=bucket, Key="dl", DestFilePath=dest, PartSize=1, MAXThread=1)
    assert sorted(fetched[1:]) == sorted({1, 2, 3, 4, 5} - first_run)
    assert Path(dest).read_bytes() == data and not os.path.exists(dest + ".cosdl.json")


def test_download_crc_mismatch_is_detected(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.put_object(Bucket=bucket, Key="dl", Body=b"abc" * MB)
    real = client.head_object

    def lying(*args: Any, **kwargs: Any) -> dict[str, str]:
        return {**real(*args, **kwargs), "x-cos-hash-crc64ecma": "1"}

    monkeypatch.setattr(client, "head_object", lying)
    for part_size in (1, 20):
        dest = tmp_path / f"out{part_size}"
        with pytest.raises(CosClientError, match="CRC64 mismatch"):
            client.download_file(
                Bucket=bucket, Key="dl", DestFilePath=str(dest), PartSize=part_size
            )
        assert not dest.exists()


def test_download_survives_connection_resets(
    client: CosS3Client, bucket: str, tmp_path: Path, faults: CoslocalServer
) -> None:
    data = os.urandom(3 * MB)
    client.put_object(Bucket=bucket, Key="dl", Body=data)
    faults.set_faults(mode="reset", count=2, method="GET")
    dest = tmp_path / "out"
    client.download_file(Bucket=bucket, Key="dl", DestFilePath=str(dest), PartSize=1)
    assert hashlib.md5(dest.read_bytes()).digest() == hashlib.md5(data).digest()
    assert fired(faults) == 2


def test_managed_copy_switches_to_part_copy_above_threshold(
    client: CosS3Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 * MB + 9)
    client.put_object(
        Bucket=bucket, Key="src", Body=data, ContentType="image/png", Metadata={"x-cos-meta-a": "1"}
    )
    part_copies = _spy(monkeypatch, client, "upload_part_copy")
    plain_copies = _spy(monkeypatch, client, "copy_object")
    source = {"Bucket": bucket, "Key": "src", "Region": "ap-guangzhou"}
    client.copy(Bucket=bucket, Key="small-copy", CopySource=source)
    assert len(plain_copies) == 1 and not part_copies
    monkeypatch.setattr(client.get_conf(), "_copy_part_threshold_size", 2 * MB)
    result = client.copy(Bucket=bucket, Key="big-copy", CopySource=source, PartSize=1, MAXThread=2)
    assert len(part_copies) == 4 and len(plain_copies) == 1
    assert result["ETag"].endswith('-4"')
    head = client.head_object(Bucket=bucket, Key="big-copy")
    assert (head["Content-Type"], head["x-cos-meta-a"]) == ("image/png", "1")
    assert client.get_object(Bucket=bucket, Key="big-copy")["Body"].read_all() == data


def test_managed_copy_aborts_on_failure(
    client: CosS3Client, bucket: str, faults: CoslocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.put_object(Bucket=bucket, Key="src", Body=os.urandom(2 * MB + 1))
    monkeypatch.setattr(client.get_conf(), "_copy_part_threshold_size", MB)
    faults.set_faults(
        mode="error", status=404, code="NoSuchKey", count=1, query_contains="partNumber=2"
    )
    with pytest.raises(CosServiceError):
        client.copy(
            Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, PartSize=1
        )
    assert list(client.iter_multipart_uploads(Bucket=bucket)) == []


def test_empty_file_round_trip(client: CosS3Client, bucket: str, tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    result = client.upload_file(Bucket=bucket, Key="empty", LocalFilePath=str(tmp_path / "empty"))
    assert result["x-cos-hash-crc64ecma"] == "0"
    client.download_file(Bucket=bucket, Key="empty", DestFilePath=str(tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == b""
