"""Wire-level behaviour the SDK and other clients rely on: 100-continue, chunked bodies, caps."""

from __future__ import annotations

import socket
import time

from qcloud_cos import CosS3Client

from coslocal.store import NewObject, Store
from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import host_for


def _recv_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_expect_100_continue(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    body = b"sent after 100 Continue"
    auth = url_signer.get_auth(Method="PUT", Bucket=bucket, Key="expect")
    head = (
        f"PUT /expect HTTP/1.1\r\nHost: {host_for(bucket)}\r\nContent-Length: {len(body)}\r\n"
        f"Expect: 100-continue\r\nAuthorization: {auth}\r\n\r\n"
    ).encode()
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as sock:
        sock.sendall(head)
        interim = _recv_until(sock, b"\r\n\r\n")
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        final = _recv_until(sock, b"\r\n\r\n")
        assert final.startswith(b"HTTP/1.1 200")
    assert sdk.get_object(Bucket=bucket, Key="expect")["Body"].get_raw_stream().read() == body


def test_raw_chunked_put_and_connection_close(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    auth = url_signer.get_auth(Method="PUT", Bucket=bucket, Key="chunky")
    head = (
        f"PUT /chunky HTTP/1.1\r\nHost: {host_for(bucket)}\r\nTransfer-Encoding: chunked\r\n"
        f"Connection: close\r\nAuthorization: {auth}\r\n\r\n"
    ).encode()
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as sock:
        sock.sendall(head + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        reply = _recv_until(sock, b"\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 200")
        assert b"connection: close" in reply.lower()
        assert sock.recv(10) == b""  # and the server really closed it
    assert sdk.get_object(Bucket=bucket, Key="chunky")["Body"].get_raw_stream().read() == (
        b"hello world"
    )


def test_max_keys_capped_at_1000(
    coslocal_srv: CoslocalServer, sdk: CosS3Client, bucket: str
) -> None:
    # seed 1500 objects straight into the live server's store (SQLite WAL allows it)
    store = Store(coslocal_srv.data_dir)
    for i in range(1500):
        store.put_object(
            bucket,
            f"many/{i:05d}",
            NewObject(
                0, '"d41d8cd98f00b204e9800998ecf8427e"', "0", [], {}, "STANDARD", {}, time.time()
            ),
        )
    page = sdk.list_objects(Bucket=bucket, Prefix="many/", MaxKeys=5000)
    assert len(page["Contents"]) == 1000 and page["IsTruncated"] == "true"
    assert page["MaxKeys"] == "1000" and page["NextMarker"] == "many/00999"
    rest = sdk.list_objects(Bucket=bucket, Prefix="many/", Marker=page["NextMarker"])
    assert len(rest["Contents"]) == 500 and rest["IsTruncated"] == "false"


def test_delete_multiple_reports_per_key_errors(sdk: CosS3Client, bucket: str) -> None:
    sdk.put_object(Bucket=bucket, Key="ok", Body=b"x")
    result = sdk.delete_objects(
        Bucket=bucket, Delete={"Object": [{"Key": "ok"}, {"Key": "k" * 851}]}
    )
    assert [d["Key"] for d in result["Deleted"]] == ["ok"]
    (error,) = result["Error"]
    assert error["Code"] == "KeyTooLong"


def test_status_codes_on_the_wire(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    from tests.coslocal.conftest import signed_request

    sdk.put_object(Bucket=bucket, Key="arch", Body=b"a", StorageClass="DEEP_ARCHIVE")
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><RestoreRequest><Days>1</Days>'
        b"<CASJobParameters><Tier>Standard</Tier></CASJobParameters></RestoreRequest>"
    )
    restore = signed_request(
        coslocal_srv, url_signer, "POST", bucket, "arch", params={"restore": ""}, data=body
    )
    assert restore.status_code == 202 and restore.content == b""
    again = signed_request(
        coslocal_srv, url_signer, "POST", bucket, "arch", params={"restore": ""}, data=body
    )
    assert again.status_code == 409 and b"RestoreAlreadyInProgress" in again.content
    delete = signed_request(coslocal_srv, url_signer, "DELETE", bucket, "arch")
    assert delete.status_code == 204 and delete.content == b""
    upload_id = sdk.create_multipart_upload(Bucket=bucket, Key="ab")["UploadId"]
    abort = signed_request(
        coslocal_srv, url_signer, "DELETE", bucket, "ab", params={"uploadId": upload_id}
    )
    assert abort.status_code == 204
    missing = signed_request(coslocal_srv, url_signer, "HEAD", bucket, "nothing-here")
    assert missing.status_code == 404 and missing.content == b""
    assert missing.headers["x-cos-request-id"] and missing.headers["x-cos-trace-id"]


def test_pipelined_puts_on_one_connection(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    """Two PUTs sent in one write: the first body must end exactly at its Content-Length."""
    wire = b""
    for key, body in [("pipe1", b"first body"), ("pipe2", b"second, longer body")]:
        auth = url_signer.get_auth(Method="PUT", Bucket=bucket, Key=key)
        wire += (
            f"PUT /{key} HTTP/1.1\r\nHost: {host_for(bucket)}\r\nContent-Length: {len(body)}\r\n"
            f"Authorization: {auth}\r\n\r\n"
        ).encode() + body
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as sock:
        sock.sendall(wire)
        replies = b""
        while replies.count(b"HTTP/1.1 200") < 2:
            chunk = sock.recv(65536)
            assert chunk, replies
            replies += chunk
    assert sdk.get_object(Bucket=bucket, Key="pipe1")["Body"].get_raw_stream().read() == (
        b"first body"
    )
    assert sdk.get_object(Bucket=bucket, Key="pipe2")["Body"].get_raw_stream().read() == (
        b"second, longer body"
    )


def test_unimplemented_subresources_say_so(sdk: CosS3Client, bucket: str) -> None:
    import pytest
    from qcloud_cos import CosServiceError

    sdk.put_object(Bucket=bucket, Key="t", Body=b"x")
    for call in (
        lambda: sdk.get_bucket_cors(Bucket=bucket),
        lambda: sdk.get_bucket_lifecycle(Bucket=bucket),
        lambda: sdk.get_object_tagging(Bucket=bucket, Key="t"),
    ):
        with pytest.raises(CosServiceError) as exc:
            call()
        assert (exc.value.get_status_code(), exc.value.get_error_code()) == (501, "NotImplemented")


def test_short_body_is_rejected_and_nothing_stored(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, sdk: CosS3Client, bucket: str
) -> None:
    auth = url_signer.get_auth(Method="PUT", Bucket=bucket, Key="short")
    head = (
        f"PUT /short HTTP/1.1\r\nHost: {host_for(bucket)}\r\nContent-Length: 1000\r\n"
        f"Authorization: {auth}\r\n\r\n"
    ).encode()
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as sock:
        sock.sendall(head + b"only a few bytes")
        sock.shutdown(socket.SHUT_WR)  # the client gives up mid-body
        reply = _recv_until(sock, b"</Error>")
    assert reply.startswith(b"HTTP/1.1 400") and b"IncompleteBody" in reply
    assert not sdk.object_exists(Bucket=bucket, Key="short")
    assert list((coslocal_srv.data_dir / "tmp").iterdir()) == []


def test_keep_alive_survives_rejected_bodies(
    coslocal_srv: CoslocalServer, url_signer: CosS3Client, bucket: str
) -> None:
    """A refused PUT (bad signature, bad digest) must not leave body bytes to be read as the
    next request on the same connection."""
    good = url_signer.get_auth(Method="PUT", Bucket=bucket, Key="ka")
    body = b"x" * 300_000

    def put(auth: str, extra: str = "") -> bytes:
        return (
            f"PUT /ka HTTP/1.1\r\nHost: {host_for(bucket)}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Authorization: {auth}\r\n\r\n"
        ).encode() + body

    bad_md5 = "Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as sock:
        for request, status in [
            (put(good.replace("q-signature=", "q-signature=0")), b"403"),
            (put(good, bad_md5), b"400"),
            (put(good), b"200"),
        ]:
            sock.sendall(request)
            reply = _recv_until(sock, b"\r\n\r\n")
            assert reply.startswith(b"HTTP/1.1 " + status), (status, reply[:200])
            length = int(reply.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            already = len(reply.split(b"\r\n\r\n", 1)[1])
            while already < length:
                already += len(sock.recv(length - already))
