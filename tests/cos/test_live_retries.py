"""Retries against coslocal's fault injection, over real sockets."""

from __future__ import annotations

import io
import logging

import pytest

from coslocal.testing import CoslocalServer
from objects_app.cos import CosClientError, CosS3Client, CosServiceError

from .conftest import make_client


def fired(server: CoslocalServer) -> int:
    """Firings of the current rules (the server's "fired" total spans earlier tests too)."""
    return sum(int(rule["fired"]) for rule in server.fault_state()["rules"])


def test_slowdown_is_retried_and_the_body_resent_whole(
    client: CosS3Client, bucket: str, faults: CoslocalServer
) -> None:
    faults.set_faults(mode="error", status=503, code="SlowDown", count=2, method="PUT")
    body = io.BytesIO(b"skip-" + b"payload" * 1000)
    body.seek(5)
    client.put_object(Bucket=bucket, Key="k", Body=body)
    assert fired(faults) == 2
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read_all() == b"payload" * 1000


def test_connection_resets_are_retried(
    client: CosS3Client, bucket: str, faults: CoslocalServer
) -> None:
    client.put_object(Bucket=bucket, Key="a", Body=b"1")
    faults.set_faults(mode="reset", count=3, method="GET")
    assert [c["Key"] for c in client.list_objects(Bucket=bucket)["Contents"]] == ["a"]
    assert fired(faults) == 3


def test_4xx_is_not_retried(client: CosS3Client, bucket: str, faults: CoslocalServer) -> None:
    faults.set_faults(mode="error", status=403, code="AccessDenied", count=5, method="GET")
    with pytest.raises(CosServiceError) as info:
        client.list_objects(Bucket=bucket)
    assert (info.value.status_code, info.value.code) == (403, "AccessDenied")
    assert fired(faults) == 1


def test_gives_up_after_max_retries(
    client: CosS3Client, bucket: str, faults: CoslocalServer
) -> None:
    faults.set_faults(mode="error", status=500, code="InternalError", count=100, method="HEAD")
    with pytest.raises(CosServiceError) as info:
        client.head_bucket(Bucket=bucket)
    assert info.value.status_code == 500
    assert fired(faults) == 4  # 1 + retry=3


def test_read_timeout_is_retried(
    cos_server: CoslocalServer, bucket: str, faults: CoslocalServer
) -> None:
    quick = make_client(cos_server, ReadTimeout=0.5)
    faults.set_faults(mode="delay", delay=1.5, count=1, method="GET")
    assert quick.list_objects(Bucket=bucket).get("Contents") is None
    assert fired(faults) == 1


def test_persistent_resets_become_client_error(
    client: CosS3Client, bucket: str, faults: CoslocalServer
) -> None:
    faults.set_faults(mode="reset", count=100, method="DELETE")
    with pytest.raises(CosClientError, match="connection failed"):
        client.delete_object(Bucket=bucket, Key="x")
    assert fired(faults) == 4


def test_one_debug_line_per_request_without_secrets(
    client: CosS3Client, bucket: str, faults: CoslocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    faults.set_faults(mode="error", status=503, code="SlowDown", count=1, method="PUT")
    with caplog.at_level(logging.DEBUG, logger="objects_app.cos"):
        client.put_object(Bucket=bucket, Key="logged", Body=b"x")
    lines = [r.getMessage() for r in caplog.records if r.name == "objects_app.cos.core"]
    assert len(lines) == 2 and "503" in lines[0] and "200" in lines[1]
    assert all("/logged" in line and "request_id=" in line for line in lines)
    text = caplog.text
    assert "q-signature" not in text and "coslocal-test-secret-key" not in text


def test_an_error_inside_a_200_complete_is_retried_over_real_sockets(
    client: CosS3Client, bucket: str, faults: CoslocalServer
) -> None:
    upload_id = client.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    etag = client.upload_part(
        Bucket=bucket, Key="m", Body=b"x" * 5, PartNumber=1, UploadId=upload_id
    )["ETag"]
    rule = {"mode": "error200", "code": "InternalError", "method": "POST"}
    faults._admin("POST", [{**rule, "query_contains": "uploadId", "count": 2}])
    result = client.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": etag}]},
    )  # fmt: skip
    assert result["ETag"] and fired(faults) == 2
    assert client.get_object(Bucket=bucket, Key="m")["Body"].read_all() == b"x" * 5
