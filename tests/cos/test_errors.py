"""Error mapping from HTTP answers, retries, and picklable errors (scripted transport)."""

from __future__ import annotations

import io
import pickle
import re
from typing import Any

import pytest
import requests
import responses

from objects_app.cos import CosClientError, CosConfig, CosS3Client, CosServiceError

BUCKET = "demo-1250000000"
ANY = re.compile(r"http://127\.0\.0\.1:9/.*")


def error_xml(code: str, message: str = "msg") -> bytes:
    return (
        f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>/{BUCKET}/k</Resource><RequestId>req-1</RequestId>"
        f"<TraceId>trace-1</TraceId></Error>"
    ).encode()


@pytest.fixture
def client() -> CosS3Client:
    conf = CosConfig(
        Region="ap-guangzhou",
        SecretId="id",
        SecretKey="SECRETKEYVALUE",
        Scheme="http",
        IP="127.0.0.1",
        Port=9,
        RetryBackoff=0.001,
        RetryBackoffMax=0.002,
    )
    return CosS3Client(conf, retry=3)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, "NoSuchKey"),
        (403, "AccessDenied"),
        (409, "BucketNotEmpty"),
        (400, "InvalidArgument"),
        (403, "InvalidObjectState"),
        (412, "PreconditionFailed"),
    ],
)
def test_xml_error_becomes_service_error_without_retry(
    client: CosS3Client, status: int, code: str
) -> None:
    with responses.RequestsMock() as rs:
        rs.add(
            "GET",
            ANY,
            status=status,
            body=error_xml(code, "the message"),
            headers={"x-cos-request-id": "hdr-req"},
        )
        with pytest.raises(CosServiceError) as info:
            client.get_object(Bucket=BUCKET, Key="k")
        assert len(rs.calls) == 1  # 4xx is never retried
    err = info.value
    assert (err.status_code, err.code, err.message) == (status, code, "the message")
    assert (err.request_id, err.trace_id, err.resource) == ("req-1", "trace-1", f"/{BUCKET}/k")
    assert err.get_error_code() == code and err.get_status_code() == status
    assert err.get_origin_msg().startswith("<?xml")


def test_head_404_without_body_uses_status(client: CosS3Client) -> None:
    with responses.RequestsMock() as rs:
        rs.add("HEAD", ANY, status=404, headers={"x-cos-request-id": "r9", "x-cos-trace-id": "t9"})
        with pytest.raises(CosServiceError) as info:
            client.head_object(Bucket=BUCKET, Key="k")
    assert (info.value.code, info.value.request_id, info.value.trace_id) == (
        "NoSuchResource",
        "r9",
        "t9",
    )


def test_object_exists_false_on_404(client: CosS3Client) -> None:
    with responses.RequestsMock() as rs:
        rs.add("HEAD", ANY, status=404)
        assert client.object_exists(Bucket=BUCKET, Key="k") is False
        rs.add("HEAD", ANY, status=403)
        with pytest.raises(CosServiceError):
            client.object_exists(Bucket=BUCKET, Key="k")


def test_5xx_retried_then_succeeds_and_body_reseeked(client: CosS3Client) -> None:
    bodies: list[bytes] = []

    def record(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        body: Any = request.body  # bytes, or the file-like body the client re-seeks
        bodies.append(body.read() if hasattr(body, "read") else bytes(body or b""))
        if len(bodies) < 3:
            return 503, {}, error_xml("SlowDown")
        return 200, {"ETag": '"e"'}, b""

    fp = io.BytesIO(b"prefix-HELLO-WORLD")
    fp.seek(7)
    with responses.RequestsMock() as rs:
        rs.add_callback("PUT", ANY, callback=record)
        result = client.put_object(Bucket=BUCKET, Body=fp, Key="k")
        auths = [c.request.headers["Authorization"] for c in rs.calls]
    assert result["ETag"] == '"e"'
    assert bodies == [b"HELLO-WORLD"] * 3
    assert len(auths) == 3 and all(a.startswith("q-sign-algorithm=sha1") for a in auths)


def test_5xx_gives_up_after_retries(client: CosS3Client) -> None:
    with responses.RequestsMock() as rs:
        rs.add("GET", ANY, status=500, body=error_xml("InternalError"))
        with pytest.raises(CosServiceError) as info:
            client.list_objects(Bucket=BUCKET)
        assert len(rs.calls) == 4
    assert info.value.code == "InternalError"


def test_connection_error_retried_then_client_error(client: CosS3Client) -> None:
    with responses.RequestsMock() as rs:
        rs.add("GET", ANY, body=requests.ConnectionError("refused"))
        with pytest.raises(CosClientError, match="connection failed"):
            client.list_objects(Bucket=BUCKET)
        assert len(rs.calls) == 4


@pytest.mark.parametrize("call", ["copy_object", "complete_multipart_upload"])
def test_200_with_error_body_raises(client: CosS3Client, call: str) -> None:
    with responses.RequestsMock() as rs:
        rs.add(
            "PUT" if call == "copy_object" else "POST",
            ANY,
            status=200,
            body=error_xml("InternalError", "copy failed midway"),
        )
        with pytest.raises(CosServiceError) as info:
            if call == "copy_object":
                client.copy_object(
                    Bucket=BUCKET, Key="d", CopySource={"Bucket": BUCKET, "Key": "s"}
                )
            else:
                client.complete_multipart_upload(
                    Bucket=BUCKET,
                    Key="d",
                    UploadId="u",
                    MultipartUpload={"Part": [{"PartNumber": 1, "ETag": "e"}]},
                )
        assert len(rs.calls) == 4  # InternalError in the body is retried like a 5xx
    assert (info.value.status_code, info.value.code) == (200, "InternalError")


def test_errors_pickle_round_trip() -> None:
    err = CosServiceError(
        "GET",
        "<Error/>",
        404,
        code="NoSuchKey",
        error_message="m",
        resource="/r",
        request_id="q",
        trace_id="t",
    )
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, CosServiceError)
    assert back.get_digest_msg() == err.get_digest_msg()
    assert (back.status_code, back.method, back.get_origin_msg()) == (404, "GET", "<Error/>")
    client_err = pickle.loads(pickle.dumps(CosClientError("boom")))
    assert isinstance(client_err, CosClientError) and str(client_err) == "boom"


def test_messages_never_contain_credentials(client: CosS3Client) -> None:
    with responses.RequestsMock() as rs:
        rs.add("GET", ANY, status=403, body=error_xml("AccessDenied"))
        with pytest.raises(CosServiceError) as info:
            client.list_objects(Bucket=BUCKET)
    text = str(info.value) + repr(info.value) + repr(client.get_conf())
    assert "SECRETKEYVALUE" not in text and "q-signature" not in text
