"""``download_file``: ranged, parallel, resumable and CRC64-checked download."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from .crc64 import combine_parts, crc64
from .errors import (
    CosClientError,
    CosConnectionError,
    CosCrcMismatchError,
    CosServiceError,
    is_retryable,
)
from .headers import check_key, check_simplified_key
from .transfer import (
    MB,
    Part,
    Progress,
    ProgressCallback,
    TransferBase,
    header,
    plan_parts,
    run_parallel,
)

logger = logging.getLogger(__name__)

HEAD_KWARGS = ("VersionId", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5")
READ_CHUNK = MB


class _Record:
    """Resume record: which parts of which object version are already in the temp file."""

    def __init__(self, path: str, state: dict[str, Any]) -> None:
        self.path = path
        self.state = state
        self._lock = threading.Lock()

    @property
    def parts(self) -> dict[str, int]:
        parts: dict[str, int] = self.state.setdefault("parts", {})
        return parts

    def mark_done(self, number: int, crc: int) -> None:
        with self._lock:
            self.parts[str(number)] = crc
            tmp = self.path + ".tmp"
            with open(tmp, "w") as fp:
                json.dump(self.state, fp)
            os.replace(tmp, self.path)  # never leave a torn record behind

    def remove(self) -> None:
        for path in (self.path, self.path + ".tmp"):
            if os.path.exists(path):
                os.remove(path)


def _record_path(bucket: str, key: str, dest: str, dump_dir: str | None) -> str:
    if dump_dir is None:
        return dest + ".cosdl.json"
    key_hash = hashlib.md5(key.encode()).hexdigest()
    dest_hash = hashlib.md5(os.path.abspath(dest).encode()).hexdigest()
    return os.path.join(dump_dir, f"{bucket}_{key_hash}.{dest_hash}")


def _load_record(path: str, identity: Mapping[str, Any]) -> _Record:
    """Reuse the record only if the object (ETag, date, size) and part size are unchanged."""
    try:
        with open(path) as fp:
            state = json.load(fp)
        if all(state.get(k) == v for k, v in identity.items()) and os.path.exists(state["tmp"]):
            return _Record(path, state)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return _Record(path, {**identity, "parts": {}})


class DownloadOps(TransferBase):
    """Managed download."""

    def download_file(
        self,
        Bucket: str,
        Key: str,
        DestFilePath: str,
        PartSize: int = 20,
        MAXThread: int = 5,
        EnableCRC: bool = True,
        progress_callback: ProgressCallback | None = None,
        DumpRecordDir: str | None = None,
        KeySimplifyCheck: bool = True,
        DisableTempDestFilePath: bool = False,
        MaxPartCount: int = 10000,
        **kwargs: Any,
    ) -> None:
        """Download an object to ``DestFilePath``.

        Objects up to ``PartSize`` MB use one GET; larger ones are fetched as ranged GETs on
        ``MAXThread`` threads into a temp file, with a resume record so a new call continues
        where an interrupted one stopped. The CRC-64 is verified against
        ``x-cos-hash-crc64ecma`` when COS reports one (``EnableCRC``, on by default).

        Raises:
            CosClientError: a part failed after retries (call again to resume) or CRC mismatch.
        """
        check_key(Key)
        if KeySimplifyCheck:
            check_simplified_key(Key)
        head_kwargs = {k: kwargs[k] for k in HEAD_KWARGS if k in kwargs}
        info = self.head_object(Bucket, Key, **head_kwargs)
        size = int(header(info, "Content-Length") or 0)
        remote_crc = header(info, "x-cos-hash-crc64ecma") if EnableCRC else None
        progress = Progress(size, progress_callback)
        get_kwargs = {k: v for k, v in kwargs.items() if k not in ("Range", "IfMatch")}
        if size <= PartSize * MB:
            body = self.get_object(Bucket, Key, False, **get_kwargs)["Body"]
            crc = body.get_stream_to_file(DestFilePath, DisableTempDestFilePath)
            _check_download_crc(remote_crc, crc, DestFilePath, Bucket, Key)
            progress.report(size)
            return
        part_size = PartSize * MB
        while -(-size // part_size) > MaxPartCount:
            part_size *= 2
        identity = {
            "etag": header(info, "ETag"),
            "last_modified": header(info, "Last-Modified"),
            "size": size,
            "part_size": part_size,
            "tmp": DestFilePath + ".cosdl",
        }
        record = _load_record(_record_path(Bucket, Key, DestFilePath, DumpRecordDir), identity)
        self._download_parts(Bucket, Key, record, MAXThread, progress, get_kwargs)
        parts = plan_parts(size, part_size)
        whole = combine_parts((record.parts[str(p.number)], p.length) for p in parts)
        tmp = str(record.state["tmp"])
        if remote_crc and int(remote_crc) != whole:
            record.remove()
            os.remove(tmp)
            raise CosCrcMismatchError(Bucket, Key, whole, int(remote_crc))
        os.replace(tmp, DestFilePath)
        record.remove()

    def _download_parts(
        self,
        bucket: str,
        key: str,
        record: _Record,
        threads: int,
        progress: Progress,
        get_kwargs: Mapping[str, Any],
    ) -> None:
        state = record.state
        size, tmp = int(state["size"]), str(state["tmp"])
        parts = plan_parts(size, int(state["part_size"]))
        if not record.parts or not os.path.exists(tmp):
            record.parts.clear()
            _preallocate(tmp, size)
        missing = [p for p in parts if str(p.number) not in record.parts]
        progress.report(size - sum(p.length for p in missing))
        etag = str(state["etag"] or "")
        fd = os.open(tmp, os.O_WRONLY)
        try:

            def fetch(part: Part) -> int:
                crc = self._fetch_with_retries(bucket, key, fd, part, etag, get_kwargs)
                _flush(fd, part)
                record.mark_done(part.number, crc)
                progress.report(part.length)
                return crc

            run_parallel(fetch, missing, threads, "download_part")
        finally:
            os.close(fd)

    def _fetch_with_retries(
        self, bucket: str, key: str, fd: int, part: Part, etag: str, kwargs: Mapping[str, Any]
    ) -> int:
        attempts = max(self._retry, 0) + 1
        for attempt in range(attempts):
            try:
                return self._fetch_range(bucket, key, fd, part, etag, kwargs)
            except Exception as exc:  # e.g. the body stream broke mid-part: fetch it again
                if not is_retryable(exc):
                    raise
                if attempt == attempts - 1:
                    if isinstance(exc, CosClientError | CosServiceError):
                        raise
                    message = f"download of {key} part {part.number}: {exc}"
                    raise CosConnectionError(message) from exc
            logger.debug("retrying part %d of %s", part.number, key)
        raise CosClientError("unreachable")  # pragma: no cover

    def _fetch_range(
        self, bucket: str, key: str, fd: int, part: Part, etag: str, kwargs: Mapping[str, Any]
    ) -> int:
        extra = {"IfMatch": etag} if etag else {}  # the object must not change under us
        resp = self.get_object(bucket, key, False, Range=part.range_header, **extra, **kwargs)
        body = resp["Body"]
        buffer = memoryview(bytearray(min(READ_CHUNK, max(part.length, 1))))
        crc, got = 0, 0
        try:
            while got < part.length:
                count = body.readinto(buffer[: part.length - got])
                if not count:
                    break
                chunk = buffer[:count]
                os.pwrite(fd, chunk, part.offset + got)
                crc = crc64(chunk, crc)
                got += count
        except BaseException:
            body.close()
            raise
        body.release()
        if got != part.length:
            message = f"short read for {key} part {part.number}: {got}/{part.length}"
            raise CosConnectionError(message)  # the body broke off: worth another try
        return crc


def _flush(fd: int, part: Part) -> None:
    """Make a part durable before the record calls it done, then drop it from the page cache.

    The fsync is what makes resuming safe after a crash; dropping the written pages keeps a big
    download from filling memory with dirty pages, where the kernel throttles writers hard
    (measured 2-4x slower 1 GiB downloads on a busy machine without it).
    """
    os.fdatasync(fd)
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, part.offset, part.length, os.POSIX_FADV_DONTNEED)


def _preallocate(path: str, size: int) -> None:
    """Reserve the file's blocks up front: parallel writers into a sparse file contend."""
    with open(path, "wb") as fp:
        try:
            if size:
                os.posix_fallocate(fp.fileno(), 0, size)
        except (OSError, AttributeError):  # e.g. tmpfs/NFS without fallocate, or not Linux
            fp.truncate(size)


def _check_download_crc(remote: str | None, local: int, dest: str, bucket: str, key: str) -> None:
    if remote and int(remote) != local:
        os.remove(dest)
        raise CosCrcMismatchError(bucket, key, local, int(remote))
