"""complete_and_verify on coslocal: CRC agreement, mismatch, HEAD fallback, earlier completion."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from coslocal.testing import CoslocalServer
from objects_app.cos import CosCrcMismatchError, CosS3Client, CosServiceError, UploadedPart
from objects_app.cos.crc64 import crc64
from objects_app.cos.transfer import MB

from .conftest import make_client, write_file
from .test_live_retries import fired
from .test_live_transfers import _spy


def send_parts(
    client: CosS3Client, bucket: str, key: str, chunks: list[bytes]
) -> tuple[str, list[UploadedPart]]:
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    for number, data in enumerate(chunks, start=1):
        rt = client.upload_part(
            Bucket=bucket, Key=key, Body=data, PartNumber=number, UploadId=upload_id
        )
        parts.append(UploadedPart(number, rt["ETag"], crc64(data), len(data)))
    return upload_id, parts


CHUNKS = [b"a" * MB, b"b" * MB, b"tail"]


def test_completes_and_agrees(client: CosS3Client, bucket: str) -> None:
    upload_id, parts = send_parts(client, bucket, "ok", CHUNKS)
    result = client.complete_and_verify(
        Bucket=bucket, Key="ok", UploadId=upload_id, Parts=list(reversed(parts))
    )
    assert result["ETag"].endswith('-3"')
    assert int(result["x-cos-hash-crc64ecma"]) == crc64(b"".join(CHUNKS))
    assert client.get_object(Bucket=bucket, Key="ok")["Body"].read_all() == b"".join(CHUNKS)


def test_mismatch_raises_a_distinct_picklable_error(client: CosS3Client, bucket: str) -> None:
    upload_id, parts = send_parts(client, bucket, "bad", CHUNKS)
    parts[1] = parts[1]._replace(crc64=crc64(b"not what was sent"))
    with pytest.raises(CosCrcMismatchError) as info:
        client.complete_and_verify(Bucket=bucket, Key="bad", UploadId=upload_id, Parts=parts)
    err = pickle.loads(pickle.dumps(info.value))
    remote = int(client.head_object(Bucket=bucket, Key="bad")["x-cos-hash-crc64ecma"])
    assert (err.bucket, err.key, err.remote_crc, err.completed_here) == (
        bucket,
        "bad",
        remote,
        True,
    )
    assert err.local_crc != remote
    assert all(str(v) in str(err) for v in (bucket, "bad", remote, err.local_crc))


def test_mismatch_names_the_version_it_created(client: CosS3Client, bucket: str) -> None:
    client.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    upload_id, parts = send_parts(client, bucket, "v", CHUNKS)
    wrong = [p._replace(crc64=p.crc64 ^ 1) if p.number == 3 else p for p in parts]
    with pytest.raises(CosCrcMismatchError) as info:
        client.complete_and_verify(Bucket=bucket, Key="v", UploadId=upload_id, Parts=wrong)
    assert info.value.version_id == client.head_object(Bucket=bucket, Key="v")["x-cos-version-id"]


def test_asks_head_when_complete_reports_no_crc(
    client: CosS3Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    upload_id, parts = send_parts(client, bucket, "h", CHUNKS)
    real = client.complete_multipart_upload

    def without_crc(*args: Any, **kwargs: Any) -> dict[str, Any]:
        result = real(*args, **kwargs)
        del result["x-cos-hash-crc64ecma"]
        return result

    monkeypatch.setattr(client, "complete_multipart_upload", without_crc)
    heads = _spy(monkeypatch, client, "head_object")
    result = client.complete_and_verify(Bucket=bucket, Key="h", UploadId=upload_id, Parts=parts)
    assert "x-cos-hash-crc64ecma" not in result
    assert [call[1].get("VersionId") for call in heads] == [result["x-cos-version-id"]]
    # ...and HEAD's CRC is checked, too.
    upload_id, parts = send_parts(client, bucket, "h2", CHUNKS)
    with pytest.raises(CosCrcMismatchError):
        client.complete_and_verify(
            Bucket=bucket, Key="h2", UploadId=upload_id,
            Parts=[p._replace(crc64=0) for p in parts],
        )  # fmt: skip


def test_already_completed_upload_is_accepted_only_when_asked_and_the_crc_agrees(
    client: CosS3Client, bucket: str
) -> None:
    upload_id, parts = send_parts(client, bucket, "done", CHUNKS)
    listing = [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
    first = client.complete_multipart_upload(
        Bucket=bucket, Key="done", UploadId=upload_id, MultipartUpload={"Part": listing}
    )  # an earlier run completed it, then died before recording that
    with pytest.raises(CosServiceError) as info:
        client.complete_and_verify(Bucket=bucket, Key="done", UploadId=upload_id, Parts=parts)
    assert info.value.code == "NoSuchUpload"
    again = client.complete_and_verify(
        Bucket=bucket, Key="done", UploadId=upload_id, Parts=parts, AlreadyCompletedOk=True
    )
    assert again["ETag"] == first["ETag"]
    with pytest.raises(CosCrcMismatchError) as crc_info:  # someone else's object is there
        client.complete_and_verify(
            Bucket=bucket, Key="done", UploadId=upload_id, AlreadyCompletedOk=True,
            Parts=[p._replace(crc64=p.crc64 ^ 1) for p in parts],
        )  # fmt: skip
    assert crc_info.value.completed_here is False


def test_aborted_upload_is_not_taken_for_completed(client: CosS3Client, bucket: str) -> None:
    upload_id, parts = send_parts(client, bucket, "gone", CHUNKS)
    client.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=upload_id)
    with pytest.raises(CosServiceError) as info:
        client.complete_and_verify(
            Bucket=bucket, Key="gone", UploadId=upload_id, Parts=parts, AlreadyCompletedOk=True
        )
    assert info.value.code == "NoSuchUpload"


def test_upload_file_goes_through_complete_and_verify(
    client: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_file(tmp_path / "f", 2 * MB + 3)
    calls = _spy(monkeypatch, client, "complete_and_verify")
    client.upload_file(Bucket=bucket, Key="uf", LocalFilePath=str(tmp_path / "f"), PartSize=1)
    ((args, kwargs),) = calls
    parts = args[3]
    assert [(p.number, p.size) for p in parts] == [(1, MB), (2, MB), (3, 3)]
    assert [p.crc64 for p in parts] == [
        crc64(data[:MB]),
        crc64(data[MB : 2 * MB]),
        crc64(data[-3:]),
    ]
    assert kwargs["AlreadyCompletedOk"] is True


def test_upload_file_survives_a_lost_complete_answer(
    cos_server: CoslocalServer, bucket: str, tmp_path: Path, faults: CoslocalServer
) -> None:
    """Complete is processed but its answer never arrives; the retry meets NoSuchUpload."""
    data = os.urandom(2 * MB + 1)
    (tmp_path / "f").write_bytes(data)
    impatient = make_client(cos_server, Timeout=3)
    complete = {"mode": "delay", "method": "POST", "query_contains": "uploadId", "count": 1}
    # The first Complete times out at 3 s and is processed at 4.5 s; the retry (sent at ~3 s)
    # is held 2 s, so it is processed after the first one and answers NoSuchUpload at ~5 s.
    faults._admin("POST", [{**complete, "delay": 4.5}, {**complete, "delay": 2.0}])
    result = impatient.upload_file(
        Bucket=bucket, Key="lost", LocalFilePath=str(tmp_path / "f"), PartSize=1
    )
    assert fired(faults) == 2
    assert int(result["x-cos-hash-crc64ecma"]) == crc64(data)
    assert impatient.get_object(Bucket=bucket, Key="lost")["Body"].read_all() == data
