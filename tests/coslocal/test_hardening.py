"""Issue 15 in coslocal: repeated parameters on presigned URLs, and slow or idle clients.

(a) A presigned URL pinned to one version must not serve another version when a second
`versionId` is added: repeated parameters are refused with 400 (the notes are silent on COS).
(b) Slow or idle clients cannot take every thread: 50 of them held open while normal requests
keep answering in under a second; heads that never finish and bodies that stall are cut off.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from qcloud_cos import CosS3Client

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import host_for, local_url, new_bucket_name, sdk_client

# --- (a) one value for checking and serving --------------------------------------------------


@pytest.fixture
def two_versions(sdk: CosS3Client, bucket: str) -> tuple[str, str]:
    sdk.put_bucket_versioning(Bucket=bucket, Status="Enabled")
    old = sdk.put_object(Bucket=bucket, Key="doc", Body=b"old secret")["x-cos-version-id"]
    new = sdk.put_object(Bucket=bucket, Key="doc", Body=b"current")["x-cos-version-id"]
    return old, new


def test_presigned_url_with_a_repeated_version_id_is_refused(
    coslocal_srv: CoslocalServer,
    url_signer: CosS3Client,
    bucket: str,
    two_versions: tuple[str, str],
) -> None:
    old, new = two_versions
    signed = url_signer.get_presigned_url(
        Bucket=bucket, Key="doc", Method="GET", Params={"versionId": new}, Expired=300
    )
    url, headers = local_url(coslocal_srv, signed)
    ok = requests.get(url, headers=headers, timeout=10)
    assert ok.status_code == 200 and ok.content == b"current"
    path, _, query = url.partition("?")
    for tampered in (
        f"{path}?versionId={old}&{query}",  # prepended: served first, signed last
        f"{url}&versionId={old}",
        f"{url}&versionid={old}",  # the signature folds case; so does the check
        f"{path}?VERSIONID={old}&{query}",
    ):
        resp = requests.get(tampered, headers=headers, timeout=10)
        assert resp.status_code == 400, (tampered, resp.status_code, resp.content)
        assert b"<Code>InvalidArgument</Code>" in resp.content
        assert b"old secret" not in resp.content


def test_repeated_parameter_refused_for_signed_requests_too(
    coslocal_srv: CoslocalServer,
    url_signer: CosS3Client,
    bucket: str,
    two_versions: tuple[str, str],
) -> None:
    old, new = two_versions
    headers = {"Host": host_for(bucket)}
    auth = url_signer.get_auth(
        Method="GET", Bucket=bucket, Key="doc", Params={"versionId": new}, Headers=headers
    )
    resp = requests.get(
        f"{coslocal_srv.endpoint_url}/doc?versionId={old}&versionId={new}",
        headers={**headers, "Authorization": auth},
        timeout=10,
    )
    assert resp.status_code == 400 and b"old secret" not in resp.content


# --- (b) slow and idle clients ----------------------------------------------------------------

HOLD_SECONDS = 4.0


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoslocalServer]:
    # default threads (32); short timeouts so the cut-off tests stay quick
    srv = CoslocalServer(
        tmp_path_factory.mktemp("guarded"),
        extra_args=("--header-timeout", "2", "--io-timeout", "1.5"),
    ).start()
    yield srv
    srv.stop()


def _connect(srv: CoslocalServer) -> socket.socket:
    return socket.create_connection((srv.host, srv.port), timeout=10)


class SlowClients:
    """Holds sockets open and feeds each a byte at a time from one thread."""

    def __init__(self) -> None:
        self.trickling: list[socket.socket] = []
        self.idle: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.3):
            for s in self.trickling:
                with contextlib.suppress(OSError):
                    s.send(b"x")

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for s in self.trickling + self.idle:
            s.close()


def _open_slow_clients(srv: CoslocalServer, bucket: str) -> SlowClients:
    host = host_for(bucket)
    clients = SlowClients()
    for i in range(30):  # large uploads whose body trickles: they may hold at most 24 threads
        s = _connect(srv)
        s.sendall(
            f"PUT /big{i} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10000000\r\n\r\n".encode()
            + b"b" * 70_000
        )
        clients.trickling.append(s)
    for _ in range(10):  # slowloris: a head that never ends
        s = _connect(srv)
        s.sendall(f"GET /k HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode())
        clients.trickling.append(s)
    for i in range(5):  # small bodies that trickle
        s = _connect(srv)
        s.sendall(
            f"PUT /small{i} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5000\r\n\r\n".encode()
        )
        clients.trickling.append(s)
    for _ in range(5):  # connected, silent
        clients.idle.append(_connect(srv))
    clients.thread.start()
    return clients


def test_fifty_slow_connections_do_not_stall_normal_requests(guarded: CoslocalServer) -> None:
    # a longer header timeout than the hold, or the slow heads would simply be cut off
    sdk = sdk_client(guarded, Timeout=5)
    bucket = new_bucket_name("guard")
    sdk.create_bucket(Bucket=bucket)
    sdk.put_object(Bucket=bucket, Key="k", Body=b"k")
    clients = _open_slow_clients(guarded, bucket)
    try:
        time.sleep(0.5)  # let the server take them all in
        latencies: list[float] = []
        deadline = time.monotonic() + HOLD_SECONDS
        n = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            sdk.head_object(Bucket=bucket, Key="k")
            assert sdk.get_object(Bucket=bucket, Key="k")["Body"].get_raw_stream().read() == b"k"
            sdk.put_object(Bucket=bucket, Key=f"n{n}", Body=b"small write")
            sdk.list_objects(Bucket=bucket, MaxKeys=10)
            latencies.append((time.monotonic() - started) / 4)
            n += 1
        assert n >= 3 and max(latencies) < 1.0, latencies
    finally:
        clients.close()


def test_a_head_that_never_ends_is_dropped(guarded: CoslocalServer) -> None:
    s = _connect(guarded)
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
    started = time.monotonic()
    s.settimeout(10)
    try:
        data = s.recv(100)  # nothing is owed: the connection just closes
    except ConnectionResetError:
        data = b""
    assert data == b""
    assert 1.5 < time.monotonic() - started < 5
    s.close()


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "anonymous"])
def test_a_stalled_body_gets_request_timeout(guarded: CoslocalServer, signed: bool) -> None:
    sdk = sdk_client(guarded)
    bucket = new_bucket_name("stall")
    sdk.create_bucket(Bucket=bucket)
    headers = {"Host": host_for(bucket), "Content-Length": "1000000"}
    auth = sdk.get_auth(Method="PUT", Bucket=bucket, Key="stalled", Headers=dict(headers))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Authorization: {auth}\r\n" if signed else ""
    s = _connect(guarded)
    # anonymous: refused at once (403), then the unread body stalls the drain: the answer still
    # comes and the connection closes
    s.sendall(f"PUT /stalled HTTP/1.1\r\n{head}\r\n".encode() + b"s" * 200_000)
    started = time.monotonic()
    s.settimeout(10)
    reply = b""
    while chunk := s.recv(4096):
        reply += chunk
    elapsed = time.monotonic() - started
    s.close()
    if signed:
        assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
        assert b"<Code>RequestTimeout</Code>" in reply
        assert 1.0 < elapsed < 5, elapsed
    else:
        assert reply.startswith(b"HTTP/1.1 403"), reply
        assert elapsed < 5, elapsed
    assert not sdk.object_exists(Bucket=bucket, Key="stalled")


def test_large_bodies_still_stream_at_full_speed(guarded: CoslocalServer, tmp_path: Path) -> None:
    sdk = sdk_client(guarded)
    bucket = new_bucket_name("fast")
    sdk.create_bucket(Bucket=bucket)
    body = b"f" * (8 * 1024 * 1024)
    started = time.monotonic()
    sdk.put_object(Bucket=bucket, Key="big", Body=body)
    assert sdk.get_object(Bucket=bucket, Key="big")["Body"].get_raw_stream().read() == body
    assert time.monotonic() - started < 5
