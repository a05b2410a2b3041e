"""Request parsing (Host routing, decoded path, form-decoded query) and response objects."""

from __future__ import annotations

import random
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from coslocal.errors import CosError, RequestTimeout

# Hosts COS serves (protocol 2.1), under any domain (myqcloud.com, tencentcos.cn, localhost...):
# <bucket>-<appid>.cos[-internal].<region>.<domain>  a bucket ("accelerate" for any region)
# service.cos.<domain> / cos.<region>.<domain>       GET Service (all buckets / one region's)
# an IP literal or a one-label name (localhost, a compose service name): a local server reached
# directly, as the SDK's ServiceDomain='127.0.0.1:9000' does: GET Service and the admin endpoints.
_BUCKET_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9-]*-\d+)\.cos(?:-internal)?\.(?P<region>[a-z0-9-]+)\.", re.I
)
_SERVICE_HOST = re.compile(r"^(?:service\.cos|cos(?:-internal)?\.(?P<region>[a-z0-9-]+))\.", re.I)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
ANY_REGION = "accelerate"
READ_CHUNK = 1 << 20
MAX_KEY_BYTES = 850


_ids = random.Random()  # request ids need to be unique, not secret: no urandom per request


def new_request_id() -> str:
    return f"{_ids.getrandbits(48):012X}_{_ids.getrandbits(64):016x}"


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def parse_http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers[name[5:].replace("_", "-").lower()] = value
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = environ[name]
    return headers


def classify_host(host: str) -> tuple[str, str | None, str | None]:
    """(kind, bucket, region) of a Host header: kind is bucket | service | local | unknown."""
    if host.startswith("["):  # an IPv6 literal, with or without a port
        return "local", None, None
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    m = _BUCKET_HOST.match(name + ".")
    if m:
        return "bucket", m["bucket"].lower(), m["region"].lower()
    m = _SERVICE_HOST.match(name + ".")
    if m:
        return "service", None, (m["region"] or "").lower() or None
    if not name or "." not in name or _IPV4.match(name):
        return "local", None, None
    return "unknown", None, None


def _split_uri(raw_uri: str) -> tuple[str, str]:
    if not raw_uri.startswith("/"):  # absolute-form request target
        m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?]*", raw_uri)
        raw_uri = raw_uri[m.end() :] if m else raw_uri
        raw_uri = raw_uri if raw_uri.startswith("/") else "/" + raw_uri
    path, _, query = raw_uri.partition("?")
    return path, query


@dataclass
class Request:
    environ: dict[str, Any]
    method: str
    raw_path: str
    query_string: str
    path: str
    query_pairs: list[tuple[str, str]]
    query: dict[str, str]
    headers: dict[str, str]
    bucket: str | None
    key: str
    host_kind: str = "local"  # bucket | service | local | unknown
    host_region: str | None = None  # the region named by the Host, if any
    timed_out: bool = False  # the body read hit the idle timeout: nothing more to drain
    request_id: str = field(default_factory=new_request_id)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        raw_path, query_string = _split_uri(environ.get("RAW_URI") or environ.get("PATH_INFO", "/"))
        try:
            # %2F decodes to "/", "+" stays literal, dot-segments are NOT collapsed (keys may hold
            # "../"): the decoded path is the key, exactly as the SDK signed it.
            path = unquote(raw_path, errors="strict")
            pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise CosError(400, "InvalidURI", "Couldn't parse the specified URI.") from exc
        headers = _headers(environ)
        kind, bucket, region = classify_host(headers.get("host", ""))
        query: dict[str, str] = {}
        for k, v in pairs:
            query.setdefault(k, v)
        return cls(
            environ=environ,
            method=environ["REQUEST_METHOD"].upper(),
            raw_path=raw_path,
            query_string=query_string,
            path=path,
            query_pairs=pairs,
            query=query,
            headers=headers,
            bucket=bucket,
            key=path[1:] if path.startswith("/") else path,
            host_kind=kind,
            host_region=region,
        )

    def has(self, name: str) -> bool:
        return name in self.query

    def read_chunks(self, limit: int | None = None) -> Generator[bytes | bytearray, None, None]:
        """Stream the body (gunicorn decodes chunked transfer-encoding and answers 100-continue).

        The socket carries an idle timeout (coslocal/worker.py): a client that stops sending
        gets 400 RequestTimeout and the connection is closed.
        """
        try:
            yield from self._read_chunks(limit)
        except (BlockingIOError, TimeoutError) as exc:
            self.timed_out = True
            raise RequestTimeout() from exc

    def _read_chunks(self, limit: int | None) -> Generator[bytes | bytearray, None, None]:
        direct = _direct_body(self.environ, limit)
        if direct is not None:
            yield from direct
            return
        stream = self.environ["wsgi.input"]
        remaining = limit
        while remaining is None or remaining > 0:
            n = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
            data = stream.read(n)
            if not data:
                break
            if remaining is not None:
                remaining -= len(data)
            yield data

    def read_body(self, max_bytes: int = 4 * 1024 * 1024) -> bytes:
        data = bytearray()
        for chunk in self.read_chunks():
            data += chunk
            if len(data) > max_bytes:
                raise CosError(400, "EntityTooLarge", "Your request body is too large.")
        return bytes(data)

    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None or "chunked" in self.headers.get("transfer-encoding", "").lower():
            return None
        try:
            return int(value)
        except ValueError:
            raise CosError(400, "InvalidArgument", "Invalid Content-Length.") from None


def _direct_body(environ: dict[str, Any], limit: int | None) -> Iterable[bytes | bytearray] | None:
    """Fast path for a Content-Length body: recv_into straight from the socket.

    gunicorn's body reader copies every byte through two BytesIO buffers while holding the GIL,
    which costs about half the PUT throughput next to the MD5 thread. For a plain Content-Length
    body that nothing has read yet we take gunicorn's read-ahead, read the rest ourselves and
    mark its reader as drained. Anything unexpected (chunked body, other reader types, a gunicorn
    that changed its internals) falls back to wsgi.input.
    """
    body = environ.get("wsgi.input")
    reader = getattr(body, "reader", None)
    unreader = getattr(reader, "unreader", None)
    sock = getattr(unreader, "sock", None)
    length = getattr(reader, "length", None)
    buf = getattr(body, "buf", None)
    if (
        type(reader).__name__ != "LengthReader"
        or sock is None
        or not isinstance(length, int)
        or buf is None
        or buf.getbuffer().nbytes
        or not hasattr(unreader, "take_buffered")
        or limit != length
    ):
        return None
    return _recv_body(sock, reader, unreader, length)


def _recv_body(sock: Any, reader: Any, unreader: Any, length: int) -> Iterator[bytes | bytearray]:
    # gunicorn must not read this body again; if we stop early (an error mid-body), the finally
    # hands the unread rest back so gunicorn drains it before the next keep-alive request.
    reader.length = 0
    ahead = unreader.take_buffered()
    if len(ahead) > length:  # pipelined bytes of the next request: give them back
        unreader.unread(ahead[length:])
        ahead = ahead[:length]
    remaining = length - len(ahead)
    try:
        if ahead:
            yield ahead
        while remaining > 0:
            chunk = bytearray(min(READ_CHUNK, remaining))
            got = _recv_exactly(sock, chunk)
            remaining -= got
            if got:
                # a fresh bytearray per chunk, handed over without another copy
                yield chunk if got == len(chunk) else chunk[:got]
            if got < len(chunk):
                remaining = 0  # the client went away: the caller sees a short body
    finally:
        reader.length = remaining


def _recv_exactly(sock: Any, chunk: bytearray) -> int:
    view, got = memoryview(chunk), 0
    while got < len(chunk):
        n = sock.recv_into(view[got:], len(chunk) - got)
        if not n:
            break
        got += n
    return got


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = b""  # bytes, an iterable of bytes, or a wsgi.file_wrapper

    def header(self, name: str, value: str) -> Response:
        self.headers.append((name, value))
        return self


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(
        status,
        [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        body,
    )


def empty_response(status: int = 200) -> Response:
    headers = [] if status == 204 else [("Content-Length", "0")]
    return Response(status, headers, b"")
