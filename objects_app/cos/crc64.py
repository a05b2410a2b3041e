"""CRC-64/XZ, the checksum COS reports in ``x-cos-hash-crc64ecma`` (protocol notes §6).

``anycrc`` implements both the checksum and the GF(2) combine (``combine(crc(A), crc(B),
len(B)) == crc(A || B)``), so part CRCs can be joined into the whole object's CRC without
re-reading the data.
"""

from __future__ import annotations

from collections.abc import Iterable

import anycrc

_MODEL = anycrc.Model("CRC64-XZ")


def crc64(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-64/XZ of ``data``, continuing from ``crc`` (the CRC of the preceding bytes)."""
    if not data:
        return crc
    return int(_MODEL.calc(data, crc) if crc else _MODEL.calc(data))


def crc64_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC of ``A || B`` from ``crc(A)``, ``crc(B)`` and ``len(B)``."""
    if len2 == 0:
        return crc1
    return int(_MODEL.combine(crc1, crc2, len2))


def combine_parts(parts: Iterable[tuple[int, int]]) -> int:
    """Whole-object CRC from ``(crc, length)`` pairs in part-number order."""
    total = 0
    for crc, length in parts:
        total = crc64_combine(total, crc, length)
    return total


class Crc64:
    """Incremental CRC-64/XZ."""

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self.value = crc64(data, self.value)
