"""gunicorn's HTTP/1 response writer, sending the head with the body's first bytes.

Stock gunicorn sends the status line and headers in one sendall and each body item in
another: two syscalls, and on loopback two wake-ups of the client, for every small answer
(most of coslocal's: XML results, errors, empty bodies). Here the head waits for the first
body write (or the end of the response) and goes out in the same sendall when that body is
small. Framing, lengths and HEAD handling stay gunicorn's.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http import wsgi as gunicorn_wsgi

COALESCE_LIMIT = 64 * 1024  # larger first writes go out after the head, as before


class CoalescingResponse(gunicorn_wsgi.Response):  # type: ignore[misc]
    _held: bytes | None = None

    def send_headers(self) -> None:
        if self.headers_sent:  # type: ignore[has-type]
            return
        tosend = self.default_headers()
        tosend.extend(["%s: %s\r\n" % (k, v) for k, v in self.headers])  # noqa: UP031 (gunicorn's)
        self._held = ("%s\r\n" % "".join(tosend)).encode("latin-1")  # noqa: UP031
        self.headers_sent = True

    def _flush_head(self) -> None:
        held, self._held = self._held, None
        if held:
            self.sock.sendall(held)

    def _emit_body(self, data: bytes) -> None:
        held, self._held = self._held, None
        if held and not self.chunked and len(data) <= COALESCE_LIMIT:
            self.sock.sendall(held + data)
            return
        if held:
            self.sock.sendall(held)
        super()._emit_body(data)

    def sendfile(self, respiter: Any) -> bool:
        self.send_headers()
        self._flush_head()
        return bool(super().sendfile(respiter))

    def close(self) -> None:
        self.send_headers()
        self._flush_head()
        super().close()


def install() -> None:
    """Make gunicorn's wsgi.create build this writer (it looks the class up per request)."""
    gunicorn_wsgi.Response = CoalescingResponse
