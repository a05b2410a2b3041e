"""The WSGI application: admin endpoints, fault injection, auth, routing, error XML."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from coslocal import restore, routing
from coslocal.auth import Identity, SignedRequest, authenticate
from coslocal.config import Config
from coslocal.errors import CosError, RequestTimeout, access_denied
from coslocal.faults import ConnectionAborted, Faults, apply
from coslocal.handlers import ROUTES, Context
from coslocal.handlers.common import check_key
from coslocal.http import Request, Response, new_request_id, xml_response
from coslocal.store import Store
from coslocal.xmlout import document

log = logging.getLogger("coslocal")
STATUS_TEXT = {
    200: "OK", 202: "Accepted", 204: "No Content", 206: "Partial Content", 304: "Not Modified",
    400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 411: "Length Required", 412: "Precondition Failed",
    416: "Requested Range Not Satisfiable", 500: "Internal Server Error", 501: "Not Implemented",
    503: "Service Unavailable",
}  # fmt: skip
ADMIN_PREFIX = "/_coslocal/"


class CosApp:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.data_dir, config.sync)
        self.faults = Faults(config.faults)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        req: Request | None = None
        fallback_id = new_request_id()  # for requests too broken to parse
        try:
            req = Request.from_environ(environ)
            resp = self._handle(req)
        except ConnectionAborted:
            raise
        except CosError as err:
            resp = self._error(err, req, fallback_id)
        except Exception:
            log.exception("internal error")
            resp = self._error(
                CosError(500, "InternalError", "We encountered an internal error."),
                req,
                fallback_id,
            )
        request_id = req.request_id if req else fallback_id
        headers = [*resp.headers, ("x-cos-request-id", request_id)]
        start_response(f"{resp.status} {STATUS_TEXT.get(resp.status, 'Unknown')}", headers)
        if isinstance(resp.body, bytes):
            return [resp.body]
        return resp.body  # type: ignore[no-any-return]

    def _handle(self, req: Request) -> Response:
        if req.bucket is None and req.path.startswith(ADMIN_PREFIX):
            return self._admin(req)
        rule = self.faults.pick(req.method, req.raw_path, req.query_string)
        if rule is not None:
            apply(rule, req.environ)
        routing.check(req, self.config)
        if req.bucket is not None and req.key:
            check_key(req.key)
        identity = authenticate(
            SignedRequest(req.method, req.path, req.query_pairs, req.headers), self.config
        )
        return self._route(req, identity)

    def _route(self, req: Request, identity: Identity) -> Response:
        level = "service" if req.bucket is None else ("object" if req.key else "bucket")
        for route in ROUTES:
            if route.level == level and route.method == req.method and route.accepts(req):
                ctx = Context(self.config, self.store, req, identity)
                if route.acl not in ("object", "handler"):
                    ctx.authorize_bucket(route.actions, route.acl, key=req.key)
                return route.handler(ctx)
        raise CosError(405, "MethodNotAllowed", "The specified method is not allowed.")

    def _error(self, err: CosError, req: Request | None, fallback_id: str) -> Response:
        request_id = req.request_id if req else fallback_id
        resource = "/"
        if req is not None:
            host = req.headers.get("host", "")
            resource = f"{host}{req.raw_path}" if host else req.raw_path
        children: list[Any] = [
            ("Code", err.code),
            ("Message", err.message),
            ("Resource", resource),
            ("RequestId", request_id),
            ("TraceId", request_id),
        ]
        children += list(err.extra.items())
        resp = xml_response(document("Error", children), err.status)
        if req is not None and not _drain_small_body(req):
            _stop_reading(req)
        if req is not None and req.method == "HEAD":
            resp.body = b""  # HEAD errors carry no body (gunicorn drops it anyway)
        resp.headers += [("x-cos-trace-id", request_id), *err.headers]
        return resp

    def _admin(self, req: Request) -> Response:
        sub = req.path[len(ADMIN_PREFIX) :]
        if sub == "health" and req.method in ("GET", "HEAD"):
            headers = [("Content-Type", "text/plain"), ("Content-Length", "2")]
            # the arbiter's pid lets CoslocalServer tell its own server from a port squatter
            return Response(200, [*headers, ("X-Coslocal-Pid", str(os.getppid()))], b"ok")
        if sub not in ("faults", "clock"):
            raise CosError(404, "NoSuchResource", "Unknown admin endpoint.")
        if req.headers.get("x-coslocal-key") != self.config.secret_key:
            raise access_denied("The admin endpoints need X-Coslocal-Key.")
        if sub == "clock":
            return self._clock(req)
        if req.method == "POST":
            try:
                self.faults.set(json.loads(req.read_body() or b"{}"))
            except (ValueError, TypeError) as exc:
                raise CosError(400, "InvalidArgument", f"Bad fault spec: {exc}") from exc
        elif req.method == "DELETE":
            self.faults.clear()
        elif req.method != "GET":
            raise CosError(405, "MethodNotAllowed", "The specified method is not allowed.")
        return _json(self.faults.state())

    def _clock(self, req: Request) -> Response:
        """Test hook: move the restore clock forward so restore states need no sleeping."""
        if req.method == "POST":
            try:
                restore.advance_clock(float(json.loads(req.read_body() or b"{}")["advance"]))
            except (ValueError, TypeError, KeyError) as exc:
                raise CosError(400, "InvalidArgument", f"Bad clock request: {exc}") from exc
        elif req.method != "GET":
            raise CosError(405, "MethodNotAllowed", "The specified method is not allowed.")
        return _json({"offset": restore.now() - time.time()})


def _json(data: Any) -> Response:
    body = json.dumps(data).encode()
    return Response(
        200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body
    )


DRAIN_LIMIT = 16 * 1024 * 1024


def _stop_reading(req: Request) -> None:
    """After an idle timeout: shut the socket for reading, so gunicorn sends this answer and then
    closes (it would otherwise try to drain the rest of the body; it ignores an app's
    "Connection: close")."""
    sock = req.environ.get("gunicorn.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)


def _drain_small_body(req: Request) -> bool:
    """Read and drop an unread request body of up to 16 MiB before answering an error.

    gunicorn drains at most 64 KiB itself and otherwise closes the connection after the response
    (while it announced keep-alive), so a client reusing it would see a reset. COS keeps such
    connections open; larger bodies are still left to gunicorn to cut off. False when the
    connection cannot be kept: the client stopped sending (idle timeout).
    """
    if req.timed_out:
        return False
    reader = getattr(req.environ.get("wsgi.input"), "reader", None)
    remaining = getattr(reader, "length", None)
    if type(reader).__name__ != "LengthReader" or not isinstance(remaining, int):
        return True
    if 0 < remaining <= DRAIN_LIMIT:
        try:
            for _ in req.read_chunks(remaining):
                pass
        except RequestTimeout:
            return False
    return True
