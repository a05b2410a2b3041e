"""Fault injection over real sockets: error responses, connection resets, delays."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from qcloud_cos import CosClientError, CosS3Client, CosServiceError

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import host_for, sdk_client


@pytest.fixture
def faults(coslocal_srv: CoslocalServer) -> Iterator[CoslocalServer]:
    coslocal_srv.clear_faults()
    yield coslocal_srv
    coslocal_srv.clear_faults()


def test_error_for_next_n_requests(faults: CoslocalServer, sdk: CosS3Client, bucket: str) -> None:
    faults.set_faults(
        mode="error", status=503, code="SlowDown", count=2, method="PUT", path_prefix="/flaky"
    )
    sdk.put_object(Bucket=bucket, Key="other", Body=b"x")  # another path: not matched
    for _ in range(2):
        with pytest.raises(CosServiceError) as exc:
            sdk.put_object(Bucket=bucket, Key="flaky", Body=b"x")
        assert (exc.value.get_status_code(), exc.value.get_error_code()) == (503, "SlowDown")
        assert exc.value.get_request_id() not in ("", "Unknown")
    sdk.put_object(Bucket=bucket, Key="flaky", Body=b"x")
    state = faults.fault_state()
    assert state["fired"] == 2 and state["rules"][0]["fired"] == 2


def test_sdk_retries_through_a_500(faults: CoslocalServer, bucket: str) -> None:
    faults.set_faults(mode="error", status=500, code="InternalError", count=1, path_prefix="/retry")
    retrying = sdk_client(faults)
    retrying._retry = 1  # one retry, 1 s backoff in the SDK
    retrying.put_object(Bucket=bucket, Key="retry", Body=b"eventually")
    assert faults.fault_state()["fired"] == 1


def test_fraction_and_query_filter(faults: CoslocalServer, sdk: CosS3Client, bucket: str) -> None:
    upload_id = sdk.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    faults.set_faults(
        mode="error", status=500, code="InternalError", fraction=1.0, query_contains="partNumber"
    )
    sdk.put_object(Bucket=bucket, Key="not-a-part", Body=b"x")  # no partNumber: unaffected
    for _ in range(3):
        with pytest.raises(CosServiceError):
            sdk.upload_part(Bucket=bucket, Key="mp", Body=b"x", PartNumber=1, UploadId=upload_id)
    faults.set_faults(mode="error", fraction=0.0, query_contains="partNumber")
    sdk.upload_part(Bucket=bucket, Key="mp", Body=b"x", PartNumber=1, UploadId=upload_id)
    assert faults.fault_state()["fired"] == 3


def test_connection_reset(faults: CoslocalServer, sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="r", Body=b"fine")
    faults.set_faults(mode="reset", count=1, method="GET", path_prefix="/r")
    with pytest.raises(requests.ConnectionError) as exc:
        requests.get(f"{faults.endpoint_url}/r", headers={"Host": host_for(bucket)}, timeout=5)
    assert "reset" in str(exc.value).lower() or "aborted" in str(exc.value).lower()
    with pytest.raises(CosClientError):
        faults.set_faults(mode="reset", count=1, method="GET", path_prefix="/r")
        sdk.get_object(Bucket=bucket, Key="r")
    assert sdk.get_object(Bucket=bucket, Key="r")["Body"].get_raw_stream().read() == b"fine"


def test_delay(faults: CoslocalServer, sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="slow", Body=b"x")
    faults.set_faults(mode="delay", delay=0.6, count=1, path_prefix="/slow")
    started = time.monotonic()
    assert sdk.head_object(Bucket=bucket, Key="slow")["Content-Length"] == "1"  # still served
    assert time.monotonic() - started >= 0.6
    sdk.head_object(Bucket=bucket, Key="slow")  # count=1: the rule is used up
    assert faults.fault_state()["fired"] == 1


def test_admin_endpoint_needs_the_key(faults: CoslocalServer) -> None:
    req = urllib.request.Request(
        f"{faults.endpoint_url}/_coslocal/faults",
        data=json.dumps({"mode": "error"}).encode(),
        method="POST",
        headers={"X-Coslocal-Key": "wrong"},
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 403
    assert faults.fault_state()["rules"] == []
    with pytest.raises(urllib.error.HTTPError) as exc:
        faults.set_faults(mode="explode")
    assert exc.value.code == 400
    health = urllib.request.urlopen(f"{faults.endpoint_url}/_coslocal/health", timeout=5)
    assert health.read() == b"ok"


def test_fault_flag_at_start_up(tmp_path) -> None:
    spec = json.dumps(
        {"mode": "error", "status": 503, "code": "SlowDown", "count": 1, "path_prefix": "/"}
    )
    with CoslocalServer(tmp_path, extra_args=("--fault", spec)).start() as srv:
        client = sdk_client(srv)
        with pytest.raises(CosServiceError) as exc:
            client.create_bucket(Bucket="flag-1250000000")
        assert exc.value.get_status_code() == 503
        client.create_bucket(Bucket="flag-1250000000")
        assert srv.fault_state()["fired"] == 1


@pytest.mark.parametrize("call", ["complete", "copy"])
def test_error_inside_a_200_is_what_the_sdk_raises_on(
    faults: CoslocalServer, sdk: CosS3Client, bucket: str, call: str
) -> None:
    """COS may fail a Complete or Copy after its 200 went out: the body is then an <Error>."""
    sdk.put_object(Bucket=bucket, Key="src", Body=b"s" * 10)
    upload_id = sdk.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    etag = sdk.upload_part(
        Bucket=bucket, Key="dst", Body=b"p" * 10, PartNumber=1, UploadId=upload_id
    )["ETag"]

    def attempt() -> dict[str, Any]:
        if call == "copy":
            source = {"Bucket": bucket, "Key": "src", "Region": "ap-guangzhou"}
            return sdk.copy_object(Bucket=bucket, Key="dst2", CopySource=source)
        parts = {"Part": [{"PartNumber": 1, "ETag": etag}]}
        return sdk.complete_multipart_upload(
            Bucket=bucket, Key="dst", UploadId=upload_id, MultipartUpload=parts
        )

    method, query = ("PUT", None) if call == "copy" else ("POST", "uploadId")
    rule = {"mode": "error200", "code": "InternalError", "count": 1, "method": method}
    faults._admin("POST", [{**rule, "query_contains": query}] if query else [rule])
    with pytest.raises(CosServiceError) as exc:
        attempt()
    assert exc.value.get_status_code() == 200
    assert exc.value.get_error_code() == "InternalError"
    assert exc.value.get_request_id() not in ("", "Unknown")
    assert attempt()["ETag"]  # the next try goes through: nothing was half-done
