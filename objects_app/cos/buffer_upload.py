"""``upload_file_from_buffer``: upload from any readable stream in bounded memory."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from .crc64 import crc64
from .errors import CosClientError, CosCrcMismatchError
from .headers import check_key
from .transfer import MB, TransferBase, UploadedPart, header, part_failure
from .upload import COMPLETE_KWARGS, CRC_HEADER, PART_KWARGS, SSE_C_KWARGS

logger = logging.getLogger(__name__)


def _read_full(body: Any, size: int) -> bytes:
    """Up to ``size`` bytes; short only at the end (a pipe or socket may return less per read)."""
    chunks: list[bytes] = []
    got = 0
    while got < size:
        chunk = body.read(size - got)
        if not chunk:
            break
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


class BufferUploadOps(TransferBase):
    """Managed upload from a stream."""

    def upload_file_from_buffer(
        self,
        Bucket: str,
        Key: str,
        Body: Any,
        MaxBufferSize: int = 100,
        PartSize: int = 10,
        MAXThread: int = 5,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Upload everything ``Body.read()`` yields; one PUT if it is shorter than a part.

        Otherwise a multipart upload of ``PartSize`` MB parts on ``MAXThread`` threads; at most
        ``MAXThread + MaxBufferSize // PartSize`` parts are in memory at once (as the SDK).
        Each part's CRC-64 and the object's are verified. A stream cannot be resumed, so on any
        failure the multipart upload is aborted (the SDK aborts only when Complete fails).

        Args:
            Body: an object with ``read(n)`` (file, pipe, socket file ...).
            kwargs: object headers (ContentType, Metadata, ACL ...) as for upload_file.
        Returns:
            put_object's or complete_multipart_upload's result.
        Raises:
            CosClientError: ``Body`` has no ``read``, a part failed, or a CRC did not match.
        """
        if not hasattr(Body, "read"):
            raise CosClientError("Body must have attr read")
        check_key(Key)
        part_size = PartSize * MB
        first = _read_full(Body, part_size)
        if len(first) < part_size:
            return self.put_object(Bucket, first, Key, **kwargs)
        init_kwargs = {k: v for k, v in kwargs.items() if k not in COMPLETE_KWARGS}
        upload_id = str(self.create_multipart_upload(Bucket, Key, **init_kwargs)["UploadId"])
        queue = max(1, MaxBufferSize // max(PartSize, 1))
        part_kwargs = {k: kwargs[k] for k in PART_KWARGS if k in kwargs}
        try:
            parts = self._stream_parts(
                Bucket, Key, upload_id, Body, first, part_size, (MAXThread, queue), part_kwargs
            )
            extra = {k: kwargs[k] for k in COMPLETE_KWARGS + SSE_C_KWARGS if k in kwargs}
            return self.complete_and_verify(
                Bucket, Key, upload_id, parts, AlreadyCompletedOk=True, **extra
            )
        except BaseException:
            self._abort_quietly(Bucket, Key, upload_id)
            raise

    def _stream_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        body: Any,
        first: bytes,
        part_size: int,
        limits: tuple[int, int],
        part_kwargs: dict[str, Any],
    ) -> list[UploadedPart]:
        threads, queue = limits
        permits = threading.BoundedSemaphore(max(1, threads) + queue)
        failed = threading.Event()

        def send(number: int, data: bytes) -> UploadedPart:
            local = crc64(data)
            rt = self.upload_part(bucket, key, data, number, upload_id, **part_kwargs)
            remote = header(rt, CRC_HEADER)
            if remote and int(remote) != local:
                raise CosCrcMismatchError(bucket, key, local, int(remote), part_number=number)
            return UploadedPart(number, str(header(rt, "ETag")), local, len(data))

        def settle(future: Future[UploadedPart]) -> None:
            if future.exception() is not None:
                failed.set()  # before the permit goes back: the reader must see it
            permits.release()

        futures: list[Future[UploadedPart]] = []
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            number = 1
            while True:
                permits.acquire()  # a part is read only with a permit: memory stays bounded
                data = first if number == 1 else b""
                if not failed.is_set() and number > 1:  # stop reading at the first failure
                    data = _read_full(body, part_size)
                if not data:
                    permits.release()
                    break
                future = pool.submit(send, number, data)
                future.add_done_callback(settle)
                futures.append(future)
                number, first, data = number + 1, b"", b""  # the pool holds the only reference
            wait(futures)
        for future in futures:
            exc = future.exception()
            if exc is not None:
                raise part_failure(exc, "upload_part")
        return [f.result() for f in futures]

    def _abort_quietly(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            self.abort_multipart_upload(bucket, key, upload_id)
        except Exception as exc:  # already completed, or COS unreachable: the caller's error wins
            logger.debug("abort of %s upload %s failed: %s", key, upload_id, exc)
