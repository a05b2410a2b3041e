"""Kept-alive connections: a thread that just answered serves the same client's next request
when it follows at once (coslocal/worker.py); every other shape of next request (pipelined,
trickling in, with a body to stream) is still answered, by the event loop as before."""

from __future__ import annotations

import re
import socket
import time

from coslocal.testing import CoslocalServer
from coslocal.worker import NEXT_REQUEST_WAIT, PREREAD

GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


def _read_response(sock: socket.socket, buf: bytearray) -> tuple[int, bytes, bytes]:
    """(status, head, body) of the next response on `sock`; `buf` keeps bytes read ahead."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a response"
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    buf[:] = rest[length:]
    return int(head.split(b" ", 2)[1]), head, rest[:length]


def _request_id(head: bytes) -> bytes:
    return re.search(rb"(?im)^x-cos-request-id:\s*(\S+)", head).group(1)  # type: ignore[union-attr]


def test_back_to_back_and_pipelined_requests_share_a_connection(
    coslocal_srv: CoslocalServer,
) -> None:
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as s:
        buf = bytearray()
        seen = set()
        for _ in range(5):  # each sent as soon as the previous answer is in
            s.sendall(GET)
            status, head, body = _read_response(s, buf)
            assert status == 403 and b"<Code>AccessDenied</Code>" in body
            seen.add(_request_id(head))
        s.sendall(GET * 3)  # pipelined: one send, three requests
        for _ in range(3):
            status, head, _body = _read_response(s, buf)
            assert status == 403
            seen.add(_request_id(head))
        assert len(seen) == 8 and not buf


def test_a_next_head_that_trickles_in_is_answered(coslocal_srv: CoslocalServer) -> None:
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as s:
        buf = bytearray()
        s.sendall(GET)
        assert _read_response(s, buf)[0] == 403
        s.sendall(GET[:10])  # half a head, then a pause far longer than a thread waits
        time.sleep(20 * NEXT_REQUEST_WAIT)
        s.sendall(GET[10:])
        assert _read_response(s, buf)[0] == 403
        s.sendall(GET)  # and the connection is still good
        assert _read_response(s, buf)[0] == 403


def test_a_next_request_with_a_body_to_stream_is_answered(coslocal_srv: CoslocalServer) -> None:
    body = b"x" * (2 * PREREAD)
    put = (
        b"PUT /k HTTP/1.1\r\nHost: nobucket-1250000000.cos.ap-guangzhou.myqcloud.com\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    with socket.create_connection((coslocal_srv.host, coslocal_srv.port), timeout=10) as s:
        buf = bytearray()
        s.sendall(GET)
        assert _read_response(s, buf)[0] == 403
        s.sendall(put + body)
        status, _head, answer = _read_response(s, buf)
        assert status in (403, 404) and b"<Error>" in answer  # unsigned: refused, body drained
        s.sendall(GET)
        assert _read_response(s, buf)[0] == 403
