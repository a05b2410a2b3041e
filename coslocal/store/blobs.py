"""Blob files: named by random id (never by key), written to tmp/, fsynced, renamed into blobs/."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from fastcrc import crc64

CHUNK = 1 << 20


def new_blob_id() -> str:
    return secrets.token_hex(16)


class BlobDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, blob_id: str) -> Path:
        # blob ids are hex generated here; validate anyway so a corrupt row cannot escape.
        if not blob_id or any(c not in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"bad blob id {blob_id!r}")
        return self.blobs / blob_id[:2] / blob_id

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def unlink(self, blob_ids: list[str]) -> None:
        for blob_id in blob_ids:
            try:
                self.path(blob_id).unlink()
            except FileNotFoundError:
                pass

    def all_ids(self) -> Iterator[str]:
        for sub in self.blobs.iterdir():
            if sub.is_dir():
                for f in sub.iterdir():
                    yield f.name

    def clear_tmp(self) -> None:
        for f in self.tmp.iterdir():
            f.unlink(missing_ok=True)


class BlobWriter:
    """Streams bytes to a temp file while computing size, MD5 and CRC-64/XZ."""

    def __init__(self, blob_dir: BlobDir) -> None:
        self.dir = blob_dir
        self.blob_id = new_blob_id()
        self.tmp_path = blob_dir.tmp / self.blob_id
        self.fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.md5 = hashlib.md5()
        self.crc: int | None = None
        self.size = 0
        self.done = False

    def write(self, data: bytes | memoryview) -> None:
        self.md5.update(data)
        self.crc = crc64.xz(bytes(data) if isinstance(data, memoryview) else data, self.crc)
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.size += len(data)

    @property
    def crc64(self) -> str:
        return str(self.crc or 0)

    def finish(self) -> str:
        """fsync and move into blobs/; still invisible until a row references it."""
        os.fsync(self.fd)
        os.close(self.fd)
        final = self.dir.path(self.blob_id)
        final.parent.mkdir(exist_ok=True)
        os.rename(self.tmp_path, final)
        self.done = True
        return self.blob_id

    def abort(self) -> None:
        if not self.done:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.tmp_path.unlink(missing_ok=True)
            self.done = True
