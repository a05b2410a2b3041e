"""Blob files: named by random id (never by key), written to tmp/, fsynced, renamed into blobs/."""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastcrc import crc64

CHUNK = 1 << 20
QUEUE_CHUNKS = 8  # bounded: at most ~8 MiB of body waits for the hasher per upload
FLUSH_EVERY = 64 << 20  # start writing back every 64 MiB so the final fsync has little left


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
            with contextlib.suppress(FileNotFoundError):
                self.path(blob_id).unlink()

    def all_ids(self) -> Iterator[str]:
        for sub in self.blobs.iterdir():
            if sub.is_dir():
                for f in sub.iterdir():
                    yield f.name

    def clear_tmp(self) -> None:
        for f in self.tmp.iterdir():
            f.unlink(missing_ok=True)


class BlobWriter:
    """Streams bytes to a temp file while computing size, MD5 and CRC-64/XZ.

    MD5 is the slowest step (~0.5 GB/s, and it is inherently sequential), so from the second chunk
    on hashing runs on a helper thread while the request thread keeps receiving and writing:
    hashlib and fastcrc release the GIL on large buffers, so the two overlap on separate cores.
    Large bodies also get an fdatasync() every 64 MiB on a third thread, so the disk writes back
    while the body still arrives instead of all at once in the final fsync().
    """

    def __init__(self, blob_dir: BlobDir) -> None:
        self.dir = blob_dir
        self.blob_id = new_blob_id()
        self.tmp_path = blob_dir.tmp / self.blob_id
        self.fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._md5 = hashlib.md5()
        self._crc: int | None = None
        self.size = 0
        self.done = False
        self._queue: queue.Queue[bytes | bytearray | None] | None = None
        self._hasher: threading.Thread | None = None
        self._chunks = 0
        self._flushed_at = 0
        self._flusher: threading.Thread | None = None
        self._flush_wanted = threading.Event()
        self._closing = False

    def write(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.size += len(data)
        if self.size - self._flushed_at >= FLUSH_EVERY:
            self._request_flush()
        self._chunks += 1
        if self._chunks == 1:
            self._hash(data)
            return
        if self._queue is None:
            self._queue = queue.Queue(maxsize=QUEUE_CHUNKS)
            self._hasher = threading.Thread(target=self._hash_loop, daemon=True)
            self._hasher.start()
        self._queue.put(data)

    def _request_flush(self) -> None:
        self._flushed_at = self.size
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, daemon=True)
            self._flusher.start()
        self._flush_wanted.set()

    def _flush_loop(self) -> None:
        while True:
            self._flush_wanted.wait()
            self._flush_wanted.clear()
            if self._closing:
                return
            os.fdatasync(self.fd)

    def _stop_flusher(self) -> None:
        if self._flusher is not None:
            self._closing = True
            self._flush_wanted.set()
            self._flusher.join()
            self._flusher = None

    def _hash(self, data: bytes | bytearray) -> None:
        self._md5.update(data)
        self._crc = crc64.xz(data, self._crc)

    def _hash_loop(self) -> None:
        assert self._queue is not None
        while (data := self._queue.get()) is not None:
            self._hash(data)

    def _drain(self) -> None:
        if self._hasher is not None:
            assert self._queue is not None
            self._queue.put(None)
            self._hasher.join()
            self._hasher = None

    @property
    def md5(self) -> Any:
        self._drain()
        return self._md5

    @property
    def crc64(self) -> str:
        self._drain()
        return str(self._crc or 0)

    def finish(self) -> str:
        """fsync and move into blobs/; still invisible until a row references it."""
        self._drain()
        self._stop_flusher()
        os.fsync(self.fd)
        os.close(self.fd)
        final = self.dir.path(self.blob_id)
        final.parent.mkdir(exist_ok=True)
        os.rename(self.tmp_path, final)
        self.done = True
        return self.blob_id

    def abort(self) -> None:
        self._drain()
        self._stop_flusher()
        if not self.done:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.tmp_path.unlink(missing_ok=True)
            self.done = True
