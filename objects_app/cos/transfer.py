"""Shared pieces of the managed transfers (upload_file, download_file, copy)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from .core import CoreInterface
from .errors import CosClientError, CosException, is_retryable
from .headers import MAX_PART_NUMBER

MB = 1024 * 1024
T = TypeVar("T")
ProgressCallback = Callable[[int, int], Any]


class TransferBase(CoreInterface):
    """What the managed transfers (upload, download, copy) use: the core, plus these public
    operations of the other groups (declared for the type checker; ``CosS3Client`` has them,
    and mypy checks that the declarations match the real ones).
    """

    if TYPE_CHECKING:

        def put_object(
            self, Bucket: str, Body: Any, Key: str, EnableMD5: bool = False, **kwargs: Any
        ) -> dict[str, str]: ...

        def get_object(
            self, Bucket: str, Key: str, KeySimplifyCheck: bool = True, **kwargs: Any
        ) -> dict[str, Any]: ...

        def head_object(self, Bucket: str, Key: str, **kwargs: Any) -> dict[str, str]: ...

        def copy_object(
            self,
            Bucket: str,
            Key: str,
            CopySource: Mapping[str, Any],
            CopyStatus: str = "Copy",
            **kwargs: Any,
        ) -> dict[str, Any]: ...

        def create_multipart_upload(
            self, Bucket: str, Key: str, **kwargs: Any
        ) -> dict[str, Any]: ...

        def upload_part(
            self,
            Bucket: str,
            Key: str,
            Body: Any,
            PartNumber: int,
            UploadId: str,
            EnableMD5: bool = False,
            **kwargs: Any,
        ) -> dict[str, str]: ...

        def upload_part_copy(
            self,
            Bucket: str,
            Key: str,
            PartNumber: int,
            UploadId: str,
            CopySource: Mapping[str, Any],
            CopySourceRange: str = "",
            **kwargs: Any,
        ) -> dict[str, Any]: ...

        def complete_multipart_upload(
            self,
            Bucket: str,
            Key: str,
            UploadId: str,
            MultipartUpload: Mapping[str, Any] = ...,
            **kwargs: Any,
        ) -> dict[str, Any]: ...

        def abort_multipart_upload(
            self, Bucket: str, Key: str, UploadId: str, **kwargs: Any
        ) -> None: ...

        def iter_multipart_uploads(
            self, Bucket: str, Prefix: str = "", MaxUploads: int = 1000
        ) -> Iterator[dict[str, Any]]: ...

        def iter_parts(self, Bucket: str, Key: str, UploadId: str) -> Iterator[dict[str, Any]]: ...

        def complete_and_verify(
            self,
            Bucket: str,
            Key: str,
            UploadId: str,
            Parts: Sequence[UploadedPart],
            *,
            AlreadyCompletedOk: bool = False,
            AllowMissingCrc: bool = False,
            **kwargs: Any,
        ) -> dict[str, Any]: ...


class UploadedPart(NamedTuple):
    """A part already in COS: its number, ETag, CRC-64 (of the bytes sent) and size."""

    number: int
    etag: str
    crc64: int
    size: int


@dataclass(frozen=True)
class Part:
    number: int
    offset: int
    length: int

    @property
    def range_header(self) -> str:
        return f"bytes={self.offset}-{self.offset + self.length - 1}"


def choose_part_size(size: int, wanted: int, max_parts: int = MAX_PART_NUMBER) -> int:
    """``wanted`` (at least 1 MB), grown in whole MB so that ``size`` fits in ``max_parts``."""
    part_size = max(wanted, MB)
    if math.ceil(size / part_size) > max_parts:
        part_size = math.ceil(size / max_parts / MB) * MB
    return part_size


def plan_parts(size: int, part_size: int) -> list[Part]:
    """Equal parts of ``part_size`` (the last one shorter), numbered from 1."""
    count = max(1, math.ceil(size / part_size))
    if count > MAX_PART_NUMBER:
        raise CosClientError(f"{size} bytes need {count} parts, more than {MAX_PART_NUMBER}")
    return [Part(i + 1, i * part_size, min(part_size, size - i * part_size)) for i in range(count)]


class Progress:
    """Thread-safe ``callback(consumed_bytes, total_bytes)`` reporter (SDK signature)."""

    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._lock = threading.Lock()

    def report(self, amount: int) -> None:
        with self._lock:
            self.done += amount
            if self._callback is not None:
                self._callback(self.done, self.total)


def header(headers: Mapping[str, Any], name: str) -> str | None:
    """Case-insensitive lookup in a plain header dict."""
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return str(value)
    return None


def run_parallel(
    fn: Callable[[Part], T], parts: Iterable[Part], workers: int, what: str
) -> dict[int, T]:
    """Run ``fn`` over parts on ``workers`` threads; the first failure cancels the rest.

    Only ``workers`` calls run at once, so part buffers in flight are bounded by
    ``workers x part size`` whatever the object size.
    """
    results: dict[int, T] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures: dict[Future[T], Part] = {pool.submit(fn, part): part for part in parts}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        failures = [f for f in done if f.exception() is not None]
        if failures:
            wait(pending)
            exc = failures[0].exception()
            assert exc is not None
            raise part_failure(exc, what)
        for future in done:
            results[futures[future].number] = future.result()
    return results


def part_failure(exc: BaseException, what: str) -> BaseException:
    """The error a transfer raises when a part failed (``raise part_failure(...) from exc``).

    A final error (a 4xx, a CRC mismatch, a bad argument) is raised as it is; anything else is
    wrapped in the SDK's message, retryable when its cause is (calling again resumes).
    """
    if isinstance(exc, CosException) and not is_retryable(exc):
        return exc
    wrapped = CosClientError(
        f"some {what} fail after max_retry, please retry the transfer: {exc}",
        retryable=is_retryable(exc),
    )
    wrapped.__cause__ = exc
    return wrapped
