"""``upload_file``: simple or parallel multipart upload, resumable, CRC64-verified."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from .config import format_bucket
from .crc64 import combine_parts, crc64
from .errors import CosClientError
from .headers import check_key
from .presign import PresignOps
from .transfer import MB, Part, Progress, ProgressCallback, header, plan_parts, run_parallel
from .transfer import choose_part_size as _choose

logger = logging.getLogger(__name__)

# Keywords that apply to every part (the rest go to Initiate), as the SDK forwards them.
PART_KWARGS = ("TrafficLimit", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5")
COMPLETE_KWARGS = ("Callback", "CallbackVar")
DEFAULT_PART_SIZE_MB = 8

PartResult = tuple[str, int]  # (ETag, CRC-64 of the part)


def _local_etag_matches(data: bytes, etag: str) -> bool:
    """Compare a listed part ETag with local data (MD5, or SHA-1 on some accounts)."""
    value = etag.strip('"').lower()
    if len(value) == 40:
        return hashlib.sha1(data).hexdigest() == value
    return hashlib.md5(data).hexdigest() == value


class UploadOps(PresignOps):
    """Managed upload."""

    def upload_file(
        self,
        Bucket: str,
        Key: str,
        LocalFilePath: str,
        PartSize: int = DEFAULT_PART_SIZE_MB,
        MAXThread: int = 5,
        EnableMD5: bool = False,
        progress_callback: ProgressCallback | None = None,
        upload_id_callback: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Upload a local file; files up to ``PartSize`` MB use one PUT, larger ones multipart.

        Multipart uploads run ``MAXThread`` parts in parallel (memory ~ PartSize x MAXThread),
        never use more than 10,000 parts, resume an interrupted upload of the same key (only
        missing parts are sent) and verify the object's CRC-64 by combining part CRCs.

        Args:
            PartSize: part size in MB (grown if the file would need more than 10,000 parts).
            progress_callback: called as ``callback(consumed_bytes, total_bytes)``.
            upload_id_callback: (not in the SDK) called with the multipart UploadId, new or
                resumed, before any part is sent, so a caller can later abort exactly its own
                upload rather than every unfinished upload of the key.
            kwargs: headers for the object (ContentType, Metadata, ACL, StorageClass ...).
        Returns:
            put_object's or complete_multipart_upload's result.
        Raises:
            CosClientError: a part failed (call again to resume) or the CRC did not match.
        """
        check_key(Key)
        format_bucket(Bucket, self._conf._appid)
        size = os.path.getsize(LocalFilePath)
        progress = Progress(size, progress_callback)
        if size <= PartSize * MB:
            return self._upload_simple(Bucket, Key, LocalFilePath, EnableMD5, progress, kwargs)
        parts = plan_parts(size, _choose(size, PartSize * MB))
        with open(LocalFilePath, "rb") as fp:
            return self._upload_multipart(
                Bucket, Key, fp.fileno(), parts, MAXThread, EnableMD5, progress, kwargs,
                upload_id_callback,
            )  # fmt: skip

    def _upload_simple(
        self,
        bucket: str,
        key: str,
        path: str,
        enable_md5: bool,
        progress: Progress,
        kwargs: Mapping[str, Any],
    ) -> dict[str, Any]:
        with open(path, "rb") as fp:
            local_crc = 0
            for chunk in iter(lambda: fp.read(4 * MB), b""):
                local_crc = crc64(chunk, local_crc)
            fp.seek(0)
            result = self.put_object(bucket, fp, key, EnableMD5=enable_md5, **kwargs)
        _verify_crc(header(result, "x-cos-hash-crc64ecma"), local_crc, key)
        progress.report(progress.total)
        return result

    def _upload_multipart(
        self,
        bucket: str,
        key: str,
        fd: int,
        parts: list[Part],
        threads: int,
        enable_md5: bool,
        progress: Progress,
        kwargs: Mapping[str, Any],
        upload_id_callback: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        upload_id, done = self._find_resumable(bucket, key, fd, parts)
        if upload_id is None:
            init_kwargs = {k: v for k, v in kwargs.items() if k not in COMPLETE_KWARGS}
            upload_id = self.create_multipart_upload(bucket, key, **init_kwargs)["UploadId"]
        else:
            logger.debug("resuming upload of %s: %d parts already there", key, len(done))
        progress.report(sum(p.length for p in parts if p.number in done))
        part_kwargs = {k: kwargs[k] for k in PART_KWARGS if k in kwargs}
        uid = str(upload_id)
        if upload_id_callback is not None:
            upload_id_callback(uid)

        def send(part: Part) -> PartResult:
            data = os.pread(fd, part.length, part.offset)
            if len(data) != part.length:
                raise CosClientError(f"local file changed while uploading {key}")
            part_crc = crc64(data)
            rt = self.upload_part(
                bucket, key, data, part.number, uid, EnableMD5=enable_md5, **part_kwargs
            )
            _verify_crc(header(rt, "x-cos-hash-crc64ecma"), part_crc, f"{key} part {part.number}")
            progress.report(part.length)
            return str(header(rt, "ETag")), part_crc

        missing = [p for p in parts if p.number not in done]
        done.update(run_parallel(send, missing, threads, "upload_part"))
        listing = [{"PartNumber": p.number, "ETag": done[p.number][0]} for p in parts]
        complete_kwargs = {k: kwargs[k] for k in COMPLETE_KWARGS if k in kwargs}
        result = self.complete_multipart_upload(
            bucket, key, uid, {"Part": listing}, **complete_kwargs
        )
        whole = combine_parts((done[p.number][1], p.length) for p in parts)
        remote = header(result, "x-cos-hash-crc64ecma")
        if remote is None:  # Complete reports it only if every part had one; ask HEAD
            remote = header(self.head_object(bucket, key), "x-cos-hash-crc64ecma")
        _verify_crc(remote, whole, key)
        return result

    def _find_resumable(
        self, bucket: str, key: str, fd: int, parts: list[Part]
    ) -> tuple[str | None, dict[int, PartResult]]:
        """Find an unfinished upload of ``key`` whose parts fit this file; reuse matching parts."""
        uploads = [
            u for u in self.iter_multipart_uploads(bucket, Prefix=key) if u.get("Key") == key
        ]
        uploads.sort(key=lambda u: str(u.get("Initiated") or ""), reverse=True)
        for upload in uploads:
            upload_id = str(upload["UploadId"])
            matched = self._matching_parts(bucket, key, upload_id, fd, parts)
            if matched:
                return upload_id, matched
        return None, {}

    def _matching_parts(
        self, bucket: str, key: str, upload_id: str, fd: int, parts: list[Part]
    ) -> dict[int, PartResult] | None:
        by_number = {p.number: p for p in parts}
        matched: dict[int, PartResult] = {}
        for remote in self.iter_parts(bucket, key, upload_id):
            part = by_number.get(int(remote["PartNumber"]))
            if part is None or int(remote["Size"]) != part.length:
                return None  # uploaded with another part size: not ours to continue
            data = os.pread(fd, part.length, part.offset)
            if _local_etag_matches(data, str(remote["ETag"])):
                matched[part.number] = (str(remote["ETag"]), crc64(data))
        return matched


def _verify_crc(remote: str | None, local: int, what: str) -> None:
    if remote is None or remote == "":
        return  # older objects/servers may not report a CRC
    if int(remote) != local:
        raise CosClientError(f"CRC64 mismatch for {what}: local {local}, COS {remote}")
