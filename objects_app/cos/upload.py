"""``upload_file``: simple or parallel multipart upload, resumable, CRC64-verified."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .config import format_bucket
from .crc64 import combine_parts, crc64
from .errors import CosClientError, CosCrcMismatchError, CosServiceError
from .headers import check_key
from .transfer import (
    MB,
    Part,
    Progress,
    ProgressCallback,
    TransferBase,
    UploadedPart,
    header,
    plan_parts,
    run_parallel,
)
from .transfer import choose_part_size as _choose

logger = logging.getLogger(__name__)

# Keywords that apply to every part (the rest go to Initiate), as the SDK forwards them.
PART_KWARGS = ("TrafficLimit", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5")
COMPLETE_KWARGS = ("Callback", "CallbackVar")
SSE_C_KWARGS = ("SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5")
CRC_HEADER = "x-cos-hash-crc64ecma"
DEFAULT_PART_SIZE_MB = 8

PartResult = tuple[str, int]  # (ETag, CRC-64 of the part)


def _local_etag_matches(data: bytes, etag: str) -> bool:
    """Compare a listed part ETag with local data (MD5, or SHA-1 on some accounts)."""
    value = etag.strip('"').lower()
    if len(value) == 40:
        return hashlib.sha1(data).hexdigest() == value
    return hashlib.md5(data).hexdigest() == value


class UploadOps(TransferBase):
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
        format_bucket(Bucket, self._settings.appid)
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
        _verify_crc(header(result, CRC_HEADER), local_crc, bucket, key)
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
            _verify_crc(header(rt, CRC_HEADER), part_crc, bucket, key, part.number)
            progress.report(part.length)
            return str(header(rt, "ETag")), part_crc

        missing = [p for p in parts if p.number not in done]
        done.update(run_parallel(send, missing, threads, "upload_part"))
        uploaded = [UploadedPart(p.number, *done[p.number], p.length) for p in parts]
        extra = {k: kwargs[k] for k in COMPLETE_KWARGS + SSE_C_KWARGS if k in kwargs}
        # A Complete whose answer was lost is retried and meets NoSuchUpload: the CRC decides.
        return self.complete_and_verify(
            bucket, key, uid, uploaded, AlreadyCompletedOk=True, AllowMissingCrc=True, **extra
        )

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
    ) -> dict[str, Any]:
        """Complete a multipart upload and check the object's CRC-64 against its parts' CRCs.

        The part CRCs (of the bytes sent, in part-number order) are combined into the object's
        CRC and compared with the one COS reports for the object; when Complete's answer has
        none (COS gives it only if every part had one), HEAD is asked (for the version that
        Complete created, in a versioned bucket).

        Args:
            Parts: every part of the object, in any order (``UploadedPart`` tuples).
            AlreadyCompletedOk: on NoSuchUpload, look at the object instead: if it exists
                with the CRC of these parts, an earlier call (whose answer was lost, or a run
                that died before recording it) completed this upload: return HEAD's headers.
                If it is missing, the NoSuchUpload error is raised.
            AllowMissingCrc: accept an object for which COS reports no CRC-64 at all (older
                servers); by default that is a mismatch.
            kwargs: Complete's keywords (Callback, CallbackVar); SSE-C keywords are used for
                HEAD only.
        Returns:
            complete_multipart_upload's result, or HEAD's headers when an earlier call
            completed the upload (``AlreadyCompletedOk``).
        Raises:
            CosCrcMismatchError: the CRCs differ; ``completed_here`` says whether this call
                completed the object (then ``version_id`` names the version it created).
            CosServiceError: Complete (or HEAD) failed.
        """
        check_key(Key)
        ordered = sorted(Parts, key=lambda p: p.number)
        if not ordered:
            raise CosClientError("Invalid Parameter, Part Is Required!")
        whole = combine_parts((p.crc64, p.size) for p in ordered)
        head_kwargs = {k: kwargs.pop(k) for k in SSE_C_KWARGS if k in kwargs}
        listing = [{"PartNumber": p.number, "ETag": p.etag} for p in ordered]
        try:
            result = self.complete_multipart_upload(
                Bucket, Key, UploadId, {"Part": listing}, **kwargs
            )
        except CosServiceError as exc:
            if not AlreadyCompletedOk or exc.code != "NoSuchUpload":
                raise
            return self._verify_completed_earlier(Bucket, Key, whole, exc, head_kwargs)
        version = header(result, "x-cos-version-id")
        remote = header(result, CRC_HEADER)
        if not remote:  # Complete reports it only if every part had one; ask HEAD
            by_version = {"VersionId": version} if version and version != "null" else {}
            remote = header(self.head_object(Bucket, Key, **by_version, **head_kwargs), CRC_HEADER)
        if not remote and AllowMissingCrc:
            return result
        if not remote or int(remote) != whole:
            raise CosCrcMismatchError(
                Bucket, Key, whole, int(remote) if remote else None,
                completed_here=True, version_id=version,
            )  # fmt: skip
        return result

    def _verify_completed_earlier(
        self,
        bucket: str,
        key: str,
        whole: int,
        no_upload: CosServiceError,
        head_kwargs: Mapping[str, Any],
    ) -> dict[str, Any]:
        """NoSuchUpload: the object's CRC says whether an earlier call completed these parts."""
        try:
            head = self.head_object(bucket, key, **head_kwargs)
        except CosServiceError as exc:
            if exc.status_code == 404:
                raise no_upload from exc  # aborted (or never there), not completed
            raise
        remote = header(head, CRC_HEADER)
        if not remote:
            raise no_upload  # nothing proves the object is ours
        if int(remote) != whole:
            raise CosCrcMismatchError(bucket, key, whole, int(remote)) from no_upload
        logger.debug("upload of %s was already completed, with the expected CRC-64", key)
        return head

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


def _verify_crc(
    remote: str | None, local: int, bucket: str, key: str, part_number: int | None = None
) -> None:
    if remote is None or remote == "":
        return  # older objects/servers may not report a CRC
    if int(remote) != local:
        raise CosCrcMismatchError(bucket, key, local, int(remote), part_number=part_number)
