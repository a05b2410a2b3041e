"""The client's Session: requests' behaviour on the lean path it takes for COS calls (cookies,
Response.next, the CA bundle only for https), checked against a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from objects_app.cos.core import Session


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/there")
        else:
            self.send_response(200)
            self.send_header("Set-Cookie", "seen=1; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _sign(request: requests.PreparedRequest) -> requests.PreparedRequest:
    request.headers["Authorization"] = "signed"
    return request


def test_lean_path_keeps_requests_behaviour(server: ThreadingHTTPServer) -> None:
    base = f"http://127.0.0.1:{server.server_port}"
    session = Session()
    first = session.request("GET", f"{base}/a", headers={"X-A": "1"}, auth=_sign,
                            allow_redirects=False, timeout=5)  # fmt: skip
    assert first.status_code == 200 and first.content == b"ok"
    assert first.elapsed.total_seconds() > 0
    sent = server.seen[0]  # type: ignore[attr-defined]
    assert sent["Authorization"] == "signed" and sent["X-A"] == "1"
    assert sent["User-Agent"].startswith("python-requests")  # the session's default headers
    assert session.cookies.get("seen") == "1"  # a Set-Cookie is kept, as Session.send does
    moved = session.request("GET", f"{base}/moved", auth=_sign, allow_redirects=False, timeout=5)
    assert moved.status_code == 302
    assert moved.next is not None and moved.next.url == f"{base}/there"
    # The jar is no longer empty: requests' own path sends the cookie.
    session.request("GET", f"{base}/b", auth=_sign, allow_redirects=False, timeout=5)
    assert server.seen[-1]["Cookie"] == "seen=1"  # type: ignore[attr-defined]


def test_ca_bundle_from_the_environment_only_for_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = Session()
    http = session.merge_environment_settings("http://127.0.0.1:9/", {}, None, None, None)
    https = session.merge_environment_settings("https://127.0.0.1:9/", {}, None, None, None)
    assert http["verify"] is True  # requests would stat the bundle path on every http request
    assert https["verify"] == "/etc/ssl/certs/ca-certificates.crt"
