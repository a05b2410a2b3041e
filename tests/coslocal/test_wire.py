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
