"""`x-cos-traffic-limit`: a per-request bandwidth cap in bit/s (PUT Object, Upload Part, GET).

COS accepts 819200 to 838860800 bit/s (100 KiB/s to 100 MiB/s) and answers anything else with
400 (protocol 2.4). The value may come as a header or, on presigned URLs, as a query parameter.
coslocal honours it by pacing the body: after each slice, it sleeps until the bytes so far fit
the cap, so a client sees the transfer take size x 8 / limit seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from coslocal.errors import invalid_argument
from coslocal.http import Request

HEADER = "x-cos-traffic-limit"
MIN_BPS, MAX_BPS = 819_200, 838_860_800
SLICE = 64 * 1024  # pacing granularity: a capped transfer never bursts more than this


def requested(req: Request) -> int | None:
    """The validated cap in bit/s, or None when the request sets none."""
    raw = req.headers.get(HEADER, req.query.get(HEADER))
    if raw is None:
        return None
    value = raw.strip()
    if not value.isdigit() or not MIN_BPS <= int(value) <= MAX_BPS:
        raise invalid_argument(
            f"x-cos-traffic-limit must be an integer from {MIN_BPS} to {MAX_BPS} (bit/s)."
        )
    return int(value)


class Pacer:
    def __init__(self, bits_per_second: int) -> None:
        self.rate = bits_per_second / 8.0  # bytes per second
        self.start = time.monotonic()
        self.sent = 0

    def account(self, nbytes: int) -> None:
        """Record nbytes moved; sleep until they fit the cap."""
        self.sent += nbytes
        ahead = self.start + self.sent / self.rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)


def paced(chunks: Iterable[bytes | bytearray], bits_per_second: int) -> Iterator[bytes]:
    """Re-slice a body into SLICE-sized pieces released no faster than the cap."""
    pacer = Pacer(bits_per_second)
    for chunk in chunks:
        view = memoryview(chunk)
        for i in range(0, len(view), SLICE):
            piece = bytes(view[i : i + SLICE])
            pacer.account(len(piece))
            yield piece
