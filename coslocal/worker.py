"""CoslocalWorker: gunicorn's gthread worker, hardened against slow and idle clients.

Stock gthread hands a new (or kept-alive, readable) connection to a pool thread, which then blocks
on the socket until the whole request head has arrived, without a deadline: forty clients that
trickle their headers took every thread and froze coslocal (issue 15). Here:

- the request head, and up to PREREAD bytes of its body, are read by the event loop (non-blocking,
  no thread spent); a head that is not complete within --header-timeout is dropped;
- a request goes to a thread only with its head (and a small body, or its first PREREAD bytes) in
  hand; requests that still have a body to stream may hold at most `threads - reserve` threads,
  the others wait in the event loop, so the reserve always serves requests that need no client
  input (GETs, HEADs, small writes);
- inside a thread every socket read and write has an idle timeout (--io-timeout, SO_RCVTIMEO /
  SO_SNDTIMEO): a client that stops sending a body or reading a response is cut off.

Also kept from before: lingering (graceful) closes run on a short-lived thread, not on the event
loop, where one client that never closed a "Connection: close" socket stalled accepts for 2 s.
"""

from __future__ import annotations

import contextlib
import errno
import re
import select
import selectors
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.workers.gthread import TConn, ThreadWorker

PREREAD = 64 * 1024  # body bytes buffered before a thread is used (covers every XML body but huge)
HEARTBEAT = 1.0  # seconds between heartbeats to the arbiter (see notify)
NEXT_REQUEST_WAIT = 0.003  # a thread waits this long for its connection's next request
_PEEK = int(socket.MSG_PEEK | socket.MSG_DONTWAIT)  # once: IntFlag's | runs in Python
SERVED_IN_A_ROW = 64  # requests one thread serves on a connection before the loop takes it back
HEAD_LIMIT = 128 * 1024  # past this without a blank line, gunicorn's parser gets it (and refuses)
_END = b"\r\n\r\n"
_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)[ \t]*$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:.*chunked", re.I | re.M)
_EXPECT = re.compile(rb"^expect[ \t]*:[ \t]*100-continue", re.I | re.M)


@dataclass(eq=False)
class _Waiting:
    """A connection whose request head is still arriving (no thread spent on it)."""

    conn: TConn
    deadline: float
    buf: bytearray = field(default_factory=bytearray)
    done: bool = False


def head_state(buf: bytes | bytearray) -> tuple[bool, bool]:
    """(ready for a thread, will stream a body in the thread) for the bytes received so far."""
    end = buf.find(_END)
    if end < 0:
        return len(buf) > HEAD_LIMIT, False
    head, have = bytes(buf[:end]), len(buf) - end - len(_END)
    if _CHUNKED.search(head) or _EXPECT.search(head):
        return True, True  # the body comes later (100-continue) or in an unknown length
    m = _LENGTH.search(head)
    length = int(m.group(1)) if m else 0
    return have >= min(length, PREREAD), length > have


class CoslocalWorker(ThreadWorker):  # type: ignore[misc]
    def init_process(self) -> None:
        config = self.app.config
        self.header_timeout = float(config.header_timeout)
        self.io_timeout = float(config.io_timeout)
        self.stream_slots = max(1, self.cfg.threads - reserved_threads(self.cfg.threads))
        self.streaming = 0
        self.waiting: deque[_Waiting] = deque()
        self.stream_queue: deque[TConn] = deque()
        super().init_process()

    # -- new and kept-alive connections: read the head in the event loop ----------------------

    def accept(self, listener: socket.socket) -> None:
        try:
            sock, addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._await_head(TConn(self.cfg, sock, addr, listener.getsockname()))

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        # The socket stays registered (and non-blocking, as finish_request left it): one
        # epoll_ctl instead of an unregister and a register, per kept-alive request.
        self.keepalived_conns.remove(conn)
        state = self._waiting_for(conn)
        self.poller.modify(client, selectors.EVENT_READ, partial(self._on_readable, state))
        self._on_readable(state, client)  # it is readable now: no second trip round the loop

    def _await_head(self, conn: TConn) -> None:
        conn.sock.setblocking(False)
        state = self._waiting_for(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, state))

    def _waiting_for(self, conn: TConn) -> _Waiting:
        state = _Waiting(conn, time.monotonic() + self.header_timeout)
        self.waiting.append(state)
        return state

    def _on_readable(self, state: _Waiting, _sock: Any) -> None:
        try:
            data = state.conn.sock.recv(PREREAD + HEAD_LIMIT - len(state.buf))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(state)
            return
        state.buf += data
        ready, streams = head_state(state.buf)
        if not ready:
            return
        state.done = True
        self.poller.unregister(state.conn.sock)
        self._prepare(state.conn, bytes(state.buf))
        if streams:
            state.conn.coslocal_streams = True
            if self.streaming >= self.stream_slots:
                self.stream_queue.append(state.conn)  # wait for a slot, holding no thread
                return
            self.streaming += 1
        self.enqueue_req(state.conn)

    # -- kept-alive connections whose next request follows at once: stay in the thread -------

    def handle(self, conn: TConn) -> Any:
        """Serve the request, then, while the same client's next request arrives within
        NEXT_REQUEST_WAIT with its whole head (and a body small enough not to stream), serve
        that one too on this thread. A client issuing calls back to back (a job's copies) then
        skips the trip through the event loop per request (a wake-up, epoll registrations, a
        thread hand-off), which cost about as much CPU as coslocal's own work on a copy.
        Anything else (a partial head, a body to stream, bytes already buffered) goes back to
        the event loop as before, so a slow client still holds no thread."""
        result = super().handle(conn)
        for _ in range(SERVED_IN_A_ROW - 1):
            if not (result is True and self.alive and self._next_request_ready(conn)):
                break
            result = super().handle(conn)
        return result

    def _next_request_ready(self, conn: TConn) -> bool:
        """True once the next request's bytes are taken from the socket and handed to the
        parser; False (nothing taken) when it is not all there within the wait."""
        if getattr(conn, "coslocal_streams", False) or conn.parser.unreader.buf.getvalue():
            return False  # the streaming slot and read-ahead are finish_request's business
        sock = conn.sock
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        if not poller.poll(NEXT_REQUEST_WAIT * 1000):
            return False
        try:
            peeked = sock.recv(PREREAD + HEAD_LIMIT, _PEEK)
        except OSError:
            return False
        ready, streams = head_state(peeked)
        if not peeked or not ready or streams:
            return False
        received = bytearray()
        while len(received) < len(peeked):  # the peeked bytes are there: this cannot block
            chunk = sock.recv(len(peeked) - len(received))
            if not chunk:
                return False
            received += chunk
        self._prepare(conn, bytes(received))
        return True

    def _prepare(self, conn: TConn, received: bytes) -> None:
        """Hand the bytes read so far to gunicorn's parser, and arm the idle timeouts."""
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.initialized = True
        conn.parser.unreader.unread(received)
        conn.data_ready = True
        if not getattr(conn, "coslocal_timeouts", False):  # socket options outlive a request
            _set_io_timeout(conn.sock, self.io_timeout)
            conn.coslocal_timeouts = True

    def _drop(self, state: _Waiting) -> None:
        state.done = True
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(state.conn.sock)
        self.nr_conns -= 1
        state.conn.close()

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        while self.waiting and (
            self.waiting[0].done or self.waiting[0].deadline <= now or not self.alive
        ):
            state = self.waiting.popleft()
            if not state.done:  # too slow (or shutting down): drop it, no answer owed
                self._drop(state)
        while not self.alive and self.stream_queue:
            self.nr_conns -= 1
            self.stream_queue.popleft().close()

    def notify(self) -> None:
        """The heartbeat (a utime on the worker's temp file) at most every HEARTBEAT seconds:
        gthread's loop calls this once per wake-up, which is once per request under load, and
        the arbiter only needs to hear from the worker within the timeout (an hour here)."""
        now = time.monotonic()
        if now - getattr(self, "_heartbeat", float("-inf")) >= HEARTBEAT:
            self._heartbeat = now
            super().notify()

    # -- finished requests: free the streaming slot, close off the event loop ------------------

    def finish_request(self, conn: TConn, fs: Any) -> None:
        if getattr(conn, "coslocal_streams", False):
            conn.coslocal_streams = False
            self.streaming -= 1
            if self.stream_queue:
                self.streaming += 1
                self.enqueue_req(self.stream_queue.popleft())
        conn.close = _background_close(conn)  # type: ignore[method-assign]
        super().finish_request(conn, fs)


def reserved_threads(threads: int) -> int:
    """Threads kept for requests that need nothing more from their client."""
    return max(1, threads // 4)


def _set_io_timeout(sock: socket.socket, seconds: float) -> None:
    """Idle timeouts at the socket level: they survive gunicorn's setblocking(True) in the
    thread, and a recv/send that waits longer fails with EAGAIN, which ends the request."""
    whole = int(seconds)
    tv = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    for opt in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
        sock.setsockopt(socket.SOL_SOCKET, opt, tv)


def _background_close(conn: TConn) -> Any:
    def close(graceful: bool = False) -> None:
        if not graceful:
            TConn.close(conn)
            return
        threading.Thread(target=TConn.close, args=(conn, True), daemon=True).start()

    return close
