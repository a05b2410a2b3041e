"""Fault injection: fail, reset or delay matching requests (next N, or a random fraction).

State lives in the single worker process; all mutation happens under one lock.
"""

from __future__ import annotations

import errno
import random
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from coslocal.errors import CosError

# error200: status 200 with an <Error> body, as COS answers a Complete or Copy that fails after
# it has already sent its 200 (protocol 3.7 and 3.15).
MODES = {"error", "error200", "reset", "delay"}
MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Please reduce your request rate.",
}


@dataclass
class FaultRule:
    mode: str = "error"
    status: int = 503
    code: str = "SlowDown"
    message: str | None = None  # default depends on code
    count: int | None = None
    fraction: float | None = None
    delay: float = 0.0
    method: str | None = None
    path_prefix: str | None = None
    query_contains: str | None = None
    fired: int = 0

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> FaultRule:
        known = {k: v for k, v in spec.items() if k in cls.__dataclass_fields__ and k != "fired"}
        unknown = set(spec) - set(known)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        rule = cls(**known)
        if rule.mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}")
        if rule.count is None and rule.fraction is None:
            rule.count = 1
        if rule.fraction is not None and not 0.0 <= float(rule.fraction) <= 1.0:
            raise ValueError("fraction must be within 0..1")
        if rule.mode == "error" and not 400 <= int(rule.status) <= 599:
            raise ValueError("status must be 4xx or 5xx")
        return rule

    def matches(self, method: str, path: str, query: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path_prefix and not path.startswith(self.path_prefix):
            return False
        return not (self.query_contains and self.query_contains not in query)

    def active(self) -> bool:
        return self.count is None or self.fired < self.count


class Faults:
    def __init__(self, specs: tuple[dict[str, Any], ...] = ()) -> None:
        self._lock = threading.Lock()
        self._rules = [FaultRule.from_spec(s) for s in specs]
        self._total_fired = 0
        self._rng = random.Random()

    def set(self, spec: dict[str, Any] | list[dict[str, Any]]) -> None:
        specs = spec if isinstance(spec, list) else [spec]
        rules = [FaultRule.from_spec(s) for s in specs]
        with self._lock:
            self._rules = rules

    def clear(self) -> None:
        """Drop all rules and reset the fired counter."""
        with self._lock:
            self._rules = []
            self._total_fired = 0

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"rules": [asdict(r) for r in self._rules], "fired": self._total_fired}

    def pick(self, method: str, path: str, query: str) -> FaultRule | None:
        """Claim a firing for this request, if any rule wants it."""
        if not self._rules:  # racy read is fine: worst case one request misses a new rule
            return None
        with self._lock:
            for rule in self._rules:
                if not rule.active() or not rule.matches(method, path, query):
                    continue
                if rule.fraction is not None and self._rng.random() >= float(rule.fraction):
                    continue
                rule.fired += 1
                self._total_fired += 1
                return rule
        return None


def apply(rule: FaultRule, environ: dict[str, Any]) -> None:
    """Carry out a fault; 'delay' returns and lets the request proceed."""
    if rule.mode == "delay":
        time.sleep(float(rule.delay))
        return
    if rule.mode == "reset":
        reset_connection(environ.get("gunicorn.socket"))
        # gunicorn treats ECONNRESET from the app as "peer went away" and just drops the conn.
        raise ConnectionAborted(errno.ECONNRESET, "coslocal fault injection: connection reset")
    message = rule.message or MESSAGES.get(rule.code, "coslocal injected fault.")
    raise CosError(200 if rule.mode == "error200" else int(rule.status), rule.code, message)


class ConnectionAborted(ConnectionResetError):
    """Raised after the socket was reset; nothing more is written."""


def reset_connection(sock: socket.socket | None) -> None:
    """Send a real TCP RST: SO_LINGER with a zero timeout, then shut the socket down."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # close() on the fd (not just this Python object) so the RST goes out now; gunicorn's own
        # later close of the same object is a harmless no-op on a closed socket.
        sock.close()
    except OSError:
        pass
