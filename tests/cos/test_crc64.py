"""CRC-64/XZ values and combining part CRCs."""

from __future__ import annotations

import os

import crcmod

from objects_app.cos.crc64 import Crc64, combine_parts, crc64, crc64_combine


def test_check_values() -> None:
    assert crc64(b"123456789") == 11051210869376104954
    assert crc64(b"[Object Content]") == 16749565679157681890  # COS doc example
    assert crc64(b"") == 0


def test_matches_sdk_crcmod_definition() -> None:
    sdk = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)
    data = os.urandom(5000)
    assert crc64(data) == sdk(data)


def test_incremental_and_combine() -> None:
    chunks = [os.urandom(n) for n in (1, 1000, 0, 4096, 77)]
    whole = b"".join(chunks)
    inc = Crc64()
    for chunk in chunks:
        inc.update(chunk)
    assert inc.value == crc64(whole)
    assert combine_parts((crc64(c), len(c)) for c in chunks) == crc64(whole)
    assert crc64_combine(crc64(chunks[1]), crc64(b""), 0) == crc64(chunks[1])
