"""The client honours the proxy environment (HTTP_PROXY, NO_PROXY) as requests does, reading it
once per client and host rather than on every request (that read was a third of the CPU of a
small request)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from coslocal.testing import CoslocalServer
from objects_app.cos import CosS3Client

from .conftest import make_client


class _Forwarder(BaseHTTPRequestHandler):
    """A plain forward proxy: records each absolute-form request line and relays it."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def _relay(self) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream.request(self.command, path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _relay

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    _Forwarder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forwarder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_requests_go_through_the_environment_proxy_unless_no_proxy_says_otherwise(
    proxy: str, bucket: str, cos_server: CoslocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    proxied: CosS3Client = make_client(cos_server)
    proxied.put_object(Bucket=bucket, Key="via-proxy", Body=b"through the proxy")
    body = proxied.get_object(Bucket=bucket, Key="via-proxy")["Body"].get_raw_stream().read()
    assert body == b"through the proxy"
    origin = f"http://{cos_server.host}:{cos_server.port}/via-proxy"
    assert _Forwarder.seen == [f"PUT {origin}", f"GET {origin}"]
    monkeypatch.setenv("NO_PROXY", cos_server.host)
    direct = make_client(cos_server)
    assert direct.head_object(Bucket=bucket, Key="via-proxy")["Content-Length"] == "17"
    assert len(_Forwarder.seen) == 2  # went straight to coslocal
