"""coslocal's per-request plumbing: the response head goes out with a small body in one send;
the heartbeat is throttled; request ids stay unique and COS-shaped; request XML is parsed fast
but never with entities."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

from coslocal.errors import CosError
from coslocal.http import new_request_id
from coslocal.response import COALESCE_LIMIT, CoalescingResponse
from coslocal.worker import CoslocalWorker
from coslocal.xmlout import parse


class _Sock:
    def __init__(self) -> None:
        self.sends: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sends.append(bytes(data))


def _response(method: str = "GET") -> tuple[CoalescingResponse, _Sock]:
    req = SimpleNamespace(version=(1, 1), method=method, should_close=lambda: False)
    sock = _Sock()
    return CoalescingResponse(req, sock, Config()), sock


def _start(resp: CoalescingResponse, length: int) -> None:
    resp.start_response("200 OK", [("Content-Length", str(length))])


def test_small_body_goes_out_with_the_head() -> None:
    resp, sock = _response()
    _start(resp, 5)
    resp.write(b"hello")
    resp.close()
    assert len(sock.sends) == 1
    head, _, body = sock.sends[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Length: 5" in head
    assert body == b"hello"


def test_large_body_follows_the_head() -> None:
    resp, sock = _response()
    big = b"x" * (COALESCE_LIMIT + 1)
    _start(resp, len(big))
    resp.write(big)
    resp.close()
    assert len(sock.sends) == 2
    assert sock.sends[0].endswith(b"\r\n\r\n") and sock.sends[1] == big


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_head_alone_is_sent_at_close(method: str) -> None:
    """An empty body (204, a HEAD answer) still sends its head, once."""
    resp, sock = _response(method)
    _start(resp, 0 if method == "GET" else 9)
    if method == "HEAD":
        resp.write(b"dropped!!")  # a HEAD answer carries no body bytes
    resp.close()
    assert len(sock.sends) == 1
    assert sock.sends[0].endswith(b"\r\n\r\n")


def test_heartbeat_is_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    beats: list[int] = []
    worker: Any = CoslocalWorker.__new__(CoslocalWorker)
    worker.tmp = SimpleNamespace(notify=lambda: beats.append(1))
    clock = iter([100.0, 100.5, 101.2, 101.3])
    monkeypatch.setattr("coslocal.worker.time.monotonic", lambda: next(clock))
    for _ in range(4):
        worker.notify()
    assert len(beats) == 2  # at 100.0 and 101.2


def test_request_ids_are_unique_and_cos_shaped() -> None:
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(r"[0-9A-F]{12}_[0-9a-f]{16}", i) for i in ids)


@pytest.mark.parametrize(
    "hostile",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><r>&b;</r>',
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete>&x;</Delete>',
        # UTF-16 hides the "<!" from a byte search: it must still take the defused parser
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "aa">]><r>&a;</r>'.encode(
            "utf-16"
        ),
        b"<Delete><Object></Delete>",
    ],
)
def test_request_xml_with_entities_or_broken_is_malformed(hostile: bytes) -> None:
    with pytest.raises(CosError) as refused:
        parse(hostile)
    assert refused.value.code == "MalformedXML"


def test_request_xml_parses_with_namespaces_stripped() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://example.com/ns">'
        b"<Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object>"
        b"</Delete>"
    )
    root = parse(body)
    assert root.tag == "Delete"
    assert [o.findtext("Key") for o in root.findall("Object")] == ["a&b", "c"]
    assert parse(body.replace(b"<Quiet>", b"<!-- c --><Quiet>")).findtext("Quiet") == "true"
