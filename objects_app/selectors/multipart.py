"""Reads of a bucket's unfinished multipart uploads: one page at a time (ListMultipartUploads
with key and upload-id markers, never the whole list), parts on demand, a bounded summary."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from objects_app.cos import CosServiceError
from objects_app.jobs import display
from objects_app.models import TERMINAL_STATES, UploadSession
from objects_app.storage import get_cos_client

PAGE_SIZE = 50
SUMMARY_MAX_UPLOADS = 10_000  # the buckets page counts at most this many
SUMMARY_MAX_MEASURED = 1_000  # ...and adds up the parts of at most this many


@dataclass(frozen=True)
class UnfinishedUpload:
    key: str
    upload_id: str
    initiated: datetime | None
    initiator: str
    storage_class: str
    age: str
    job_id: int | None  # the console's upload job that began it
    in_use: bool  # that job is still running: aborting it needs an explicit "anyway"

    @property
    def selection_value(self) -> str:
        """One checkbox value naming the upload (upload ids hold no '/')."""
        return f"{self.upload_id}/{self.key}"

    @property
    def query(self) -> str:
        return urlencode({"key": self.key, "upload_id": self.upload_id})

    @property
    def initiated_text(self) -> str:
        return self.initiated.strftime("%Y-%m-%d %H:%M") if self.initiated else ""

    @property
    def job_url(self) -> str:
        return reverse("objects:job-detail", args=[self.job_id]) if self.job_id else ""

    @property
    def job_label(self) -> str:
        return _("Job #%(n)s") % {"n": self.job_id}


@dataclass(frozen=True)
class UnfinishedPage:
    prefix: str
    rows: list[UnfinishedUpload]
    key_marker: str
    upload_id_marker: str
    next_key_marker: str
    next_upload_id_marker: str
    is_truncated: bool


def unfinished_page(
    *, bucket: str, prefix: str = "", key_marker: str = "", upload_id_marker: str = "",
    page_size: int = PAGE_SIZE,
) -> UnfinishedPage:  # fmt: skip
    """One page of the bucket's unfinished uploads under `prefix`, after the markers."""
    answer = get_cos_client().list_multipart_uploads(
        Bucket=bucket, Prefix=prefix, KeyMarker=key_marker, UploadIdMarker=upload_id_marker,
        MaxUploads=page_size,
    )  # fmt: skip
    uploads = answer.get("Upload", [])
    jobs = _console_jobs([str(u["UploadId"]) for u in uploads])
    rows = [_row(u, jobs) for u in uploads]
    truncated = answer.get("IsTruncated") == "true" and bool(answer.get("NextKeyMarker"))
    return UnfinishedPage(
        prefix=prefix, rows=rows, key_marker=key_marker, upload_id_marker=upload_id_marker,
        next_key_marker=str(answer.get("NextKeyMarker") or "") if truncated else "",
        next_upload_id_marker=str(answer.get("NextUploadIdMarker") or "") if truncated else "",
        is_truncated=truncated,
    )  # fmt: skip


def _console_jobs(upload_ids: list[str]) -> dict[str, tuple[int, bool]]:
    """upload id -> (the console upload job that began it, whether that job still runs)."""
    sessions = UploadSession.objects.filter(upload_id__in=upload_ids).select_related("job")
    return {s.upload_id: (s.job_id, s.job.state not in TERMINAL_STATES) for s in sessions}


def _row(upload: dict[str, Any], jobs: dict[str, tuple[int, bool]]) -> UnfinishedUpload:
    initiated = parse_datetime(str(upload.get("Initiated") or ""))
    initiator = upload.get("Initiator") or {}
    upload_id = str(upload["UploadId"])
    job_id, in_use = jobs.get(upload_id, (None, False))
    age = display.duration((timezone.now() - initiated).total_seconds()) if initiated else ""
    return UnfinishedUpload(
        key=str(upload["Key"]), upload_id=upload_id, initiated=initiated,
        initiator=str(initiator.get("DisplayName") or initiator.get("ID") or ""),
        storage_class=str(upload.get("StorageClass") or ""), age=age, job_id=job_id,
        in_use=in_use,
    )  # fmt: skip


@dataclass(frozen=True)
class PartsSummary:
    count: int
    bytes: int


def unfinished_parts(*, bucket: str, key: str, upload_id: str) -> PartsSummary:
    """How many parts an upload holds and their bytes (every ListParts page)."""
    parts = list(get_cos_client().iter_parts(bucket, key, upload_id))
    return PartsSummary(len(parts), sum(int(p.get("Size") or 0) for p in parts))


@dataclass(frozen=True)
class BucketUploads:
    count: int
    bytes: int
    count_capped: bool  # more uploads than SUMMARY_MAX_UPLOADS: `count` is a lower bound
    bytes_partial: bool  # parts of only the first SUMMARY_MAX_MEASURED were added up


def unfinished_summary(*, bucket: str) -> BucketUploads:
    """Count and bytes of a bucket's unfinished uploads, bounded so the answer stays quick."""
    client = get_cos_client()
    uploads: list[dict[str, Any]] = []
    for upload in client.iter_multipart_uploads(bucket):
        if len(uploads) == SUMMARY_MAX_UPLOADS:
            break
        uploads.append(upload)
    capped = len(uploads) == SUMMARY_MAX_UPLOADS
    measured = uploads[:SUMMARY_MAX_MEASURED]
    with ThreadPoolExecutor(max_workers=max(1, settings.CONSOLE_ABORT_PARALLEL)) as pool:
        sizes = pool.map(lambda u: _parts_bytes(client, bucket, u), measured)
        total = sum(sizes)
    return BucketUploads(len(uploads), total, capped, len(uploads) > len(measured))


def _parts_bytes(client: Any, bucket: str, upload: dict[str, Any]) -> int:
    try:
        parts = client.iter_parts(bucket, str(upload["Key"]), str(upload["UploadId"]))
        return sum(int(p.get("Size") or 0) for p in parts)
    except CosServiceError as exc:
        if exc.get_error_code() == "NoSuchUpload":
            return 0  # completed or aborted since the listing
        raise
