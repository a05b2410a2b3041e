"""The one "is this worth another try" rule, and the client's retries following it (scripted)."""

from __future__ import annotations

import pickle
import re
from typing import Any

import pytest
import requests
import responses
import urllib3

from objects_app.cos import (
    CosClientError,
    CosConfig,
    CosConnectionError,
    CosCrcMismatchError,
    CosS3Client,
    CosServiceError,
    is_retryable,
)
from objects_app.cos.transfer import Part, run_parallel

from .test_errors import error_xml

BUCKET = "demo-1250000000"
ANY = re.compile(r"http://127\.0\.0\.1:9/.*")


def service_error(status: int, code: str) -> CosServiceError:
    return CosServiceError("PUT", "", status, code=code)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (service_error(500, "InternalError"), True),
        (service_error(503, "SlowDown"), True),
        (service_error(502, "Unknown"), True),
        (service_error(200, "InternalError"), True),  # an <Error> inside a 200 (Complete/Copy)
        (service_error(200, "ServiceUnavailable"), True),
        (service_error(200, "SlowDown"), True),
        (service_error(200, "AccessDenied"), False),
        (service_error(404, "NoSuchKey"), False),
        (service_error(403, "AccessDenied"), False),
        (service_error(409, "BucketNotEmpty"), False),
        (service_error(400, "SlowDown"), True),  # the code says "later", whatever the status
        (CosConnectionError("GET /: connection failed"), True),
        (CosClientError("Key is required not empty"), False),
        (CosClientError("some upload_part fail", retryable=True), True),
        (CosCrcMismatchError("b-1", "k", 1, 2), False),
        (requests.ConnectionError("refused"), True),
        (requests.ReadTimeout("slow"), True),
        (urllib3.exceptions.ProtocolError("broken"), True),
        (ConnectionResetError(104, "reset"), True),
        (TimeoutError("timed out"), True),
        (ValueError("bug"), False),
        (OSError(28, "No space left on device"), False),
    ],
)
def test_is_retryable(exc: BaseException, expected: bool) -> None:
    assert is_retryable(exc) is expected


def test_new_errors_pickle_with_their_fields() -> None:
    conn = pickle.loads(pickle.dumps(CosConnectionError("GET /k: connection failed")))
    assert isinstance(conn, CosConnectionError) and conn.retryable and is_retryable(conn)
    assert str(conn) == "GET /k: connection failed"
    wrapped = pickle.loads(pickle.dumps(CosClientError("parts failed", retryable=True)))
    assert wrapped.retryable is True
    crc = CosCrcMismatchError(
        "b-1250000000", "dir/k", 11, 22, part_number=3, completed_here=True, version_id="v1"
    )
    back = pickle.loads(pickle.dumps(crc))
    assert isinstance(back, CosCrcMismatchError) and not is_retryable(back)
    fields = ("bucket", "key", "local_crc", "remote_crc", "part_number", "completed_here")
    assert [getattr(back, f) for f in fields] == ["b-1250000000", "dir/k", 11, 22, 3, True]
    assert back.version_id == "v1" and str(back) == str(crc)
    assert all(s in str(back) for s in ("b-1250000000/dir/k part 3", "11", "22"))


@pytest.fixture
def client() -> CosS3Client:
    conf = CosConfig(
        Region="ap-guangzhou", SecretId="id", SecretKey="key", Scheme="http",
        IP="127.0.0.1", Port=9, RetryBackoff=0.001, RetryBackoffMax=0.002,
    )  # fmt: skip
    return CosS3Client(conf, retry=3)


def copy(client: CosS3Client) -> Any:
    return client.copy_object(Bucket=BUCKET, Key="d", CopySource={"Bucket": BUCKET, "Key": "s"})


@pytest.mark.parametrize(
    ("status", "code", "calls"),
    [
        (200, "SlowDown", 4),
        (200, "ServiceUnavailable", 4),
        (200, "AccessDenied", 1),  # an <Error> in a 200 that is final
        (503, "ServiceUnavailable", 4),
        (500, "Unknown", 4),
        (403, "AccessDenied", 1),
    ],
)
def test_client_retries_exactly_what_the_rule_calls_retryable(
    client: CosS3Client, status: int, code: str, calls: int
) -> None:
    with responses.RequestsMock() as rs:
        rs.add("PUT", ANY, status=status, body=error_xml(code))
        with pytest.raises(CosServiceError) as info:
            copy(client)
        assert len(rs.calls) == calls
    assert is_retryable(info.value) is (calls > 1)


def test_transport_failure_is_a_retryable_connection_error(client: CosS3Client) -> None:
    with responses.RequestsMock() as rs:
        rs.add("GET", ANY, body=requests.exceptions.ChunkedEncodingError("body broke off"))
        with pytest.raises(CosConnectionError) as info:
            client.list_objects(Bucket=BUCKET)
        assert len(rs.calls) == 4
    assert is_retryable(info.value) and isinstance(info.value, CosClientError)


def test_a_bad_argument_is_final(client: CosS3Client) -> None:
    with pytest.raises(CosClientError) as info:
        client.put_object(Bucket=BUCKET, Key="", Body=b"")
    assert not is_retryable(info.value)


def _fail_with(exc: Exception) -> Any:
    def fn(part: Part) -> None:
        if part.number == 2:
            raise exc

    return fn


PARTS = [Part(1, 0, 1), Part(2, 1, 1)]


@pytest.mark.parametrize(
    "cause", [service_error(503, "SlowDown"), CosConnectionError("reset"), ConnectionResetError()]
)
def test_parallel_parts_failing_for_a_retryable_reason_can_be_resumed(cause: Exception) -> None:
    with pytest.raises(CosClientError, match="some upload_part fail") as info:
        run_parallel(_fail_with(cause), PARTS, 2, "upload_part")
    assert is_retryable(info.value) and info.value.__cause__ is cause


@pytest.mark.parametrize(
    "cause",
    [service_error(404, "NoSuchUpload"), CosCrcMismatchError("b-1", "k", 1, 2, part_number=2)],
)
def test_parallel_parts_failing_for_good_raise_the_cause(cause: Exception) -> None:
    with pytest.raises(type(cause)) as info:
        run_parallel(_fail_with(cause), PARTS, 2, "upload_part")
    assert info.value is cause and not is_retryable(info.value)


def test_parallel_parts_failing_locally_are_final() -> None:
    with pytest.raises(CosClientError, match="some upload_part fail") as info:
        run_parallel(_fail_with(OSError(28, "No space left")), PARTS, 2, "upload_part")
    assert not is_retryable(info.value)
