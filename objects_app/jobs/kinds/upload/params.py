"""A large upload's typed parameters, and COS's limit on parts."""

from __future__ import annotations

from dataclasses import dataclass

from objects_app.jobs.kind import JobParams

MAX_PARTS = 10_000  # COS's limit on parts per multipart upload


@dataclass(frozen=True)
class UploadParams(JobParams):
    key: str
    size: int
    fingerprint: str  # the browser's name:size:mtime, to recognise the same file on resume
    chunk_size: int  # one chunk is one multipart part
