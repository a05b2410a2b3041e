"""Reads of one object: HEAD metadata, a streamed (ranged) download, a text preview."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from objects_app.archive import ARCHIVE_CLASSES, Tier, tiers_for
from objects_app.cos import CosServiceError
from objects_app.disposition import content_disposition, filename_of, inline_safe
from objects_app.errors import ObjectsError
from objects_app.storage import get_cos_client, presigned_download_url

# x-cos-restore: ongoing-request="false", expiry-date="Tue, 19 Nov 2019 16:00:00 GMT"
# x-cos-restore-status: tier="bulk"; request-date="<GMT>"
HEADER_PARAM = re.compile(r'([a-z-]+)="([^"]*)"')
# Content types the detail page previews inline; SVG only ever inside <img> (no script runs).
IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "image/avif"}
)
TEXT_TYPES = frozenset(
    {"application/json", "application/xml", "application/x-yaml", "application/javascript"}
)
TEXT_SUFFIXES = (".txt", ".md", ".csv", ".log", ".json", ".xml", ".yaml", ".yml", ".ini", ".py")
CONTENT_HEADERS = (
    "Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding",
    "Content-Language", "Expires",
)  # fmt: skip
# Passed from COS to the browser on downloads; everything else (x-cos-*, Server) stays here.
DOWNLOAD_HEADERS = (
    "Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Last-Modified",
)  # fmt: skip
CHUNK = 256 * 1024


@dataclass(frozen=True)
class ObjectDetail:
    bucket: str
    key: str
    size: int
    last_modified: datetime | None
    etag: str
    crc64: str
    storage_class: str
    version_id: str
    content_headers: dict[str, str]
    metadata: dict[str, str]
    restore: str
    restore_status: str
    encryption: str = ""  # x-cos-server-side-encryption (SSE-COS: "AES256"); "" when none

    @property
    def name(self) -> str:
        return self.key.rstrip("/").rsplit("/", 1)[-1] or self.key

    @property
    def folder(self) -> str:
        return self.key[: self.key.rfind("/") + 1]

    @property
    def content_type(self) -> str:
        return self.content_headers.get("Content-Type", "")

    @property
    def is_archived(self) -> bool:
        return self.storage_class in ARCHIVE_CLASSES

    @property
    def restore_ongoing(self) -> bool:
        return _params(self.restore).get("ongoing-request") == "true"

    @property
    def restore_expiry(self) -> datetime | None:
        return _http_date(_params(self.restore).get("expiry-date", ""))

    @property
    def restore_tier(self) -> str:
        return _params(self.restore_status).get("tier", "").capitalize()

    @property
    def restore_requested(self) -> datetime | None:
        return _http_date(_params(self.restore_status).get("request-date", ""))

    @property
    def is_restored(self) -> bool:
        return _params(self.restore).get("ongoing-request") == "false"

    @property
    def readable(self) -> bool:
        """GET works: not archived, or archived with a restored copy in place."""
        return not self.is_archived or self.is_restored

    @property
    def restore_tiers(self) -> tuple[Tier, ...]:
        return tiers_for(self.storage_class)

    @property
    def preview(self) -> str:
        """ "image", "text" or "" (nothing to preview, or archived and not restored)."""
        if self.is_archived and not self.is_restored:
            return ""
        kind = self.content_type.split(";")[0].strip().lower()
        if kind in IMAGE_TYPES:
            return "image"
        if (
            kind.startswith("text/")
            or kind in TEXT_TYPES
            or self.key.lower().endswith(TEXT_SUFFIXES)
        ):
            return "text"
        return ""

    @property
    def header_values(self) -> dict[str, str]:
        """Content headers keyed like the metadata form's fields (content_type, ...)."""
        return {n.lower().replace("-", "_"): v for n, v in self.content_headers.items()}

    @property
    def metadata_text(self) -> str:
        return "\n".join(f"{k.removeprefix('x-cos-meta-')}: {v}" for k, v in self.metadata.items())


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return str(value)
    return ""


def _params(header: str) -> dict[str, str]:
    return {name.lower(): value for name, value in HEADER_PARAM.findall(header or "")}


def _http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def detail_from_headers(bucket: str, key: str, headers: Mapping[str, str]) -> ObjectDetail:
    return ObjectDetail(
        bucket=bucket,
        key=key,
        size=int(_header(headers, "Content-Length") or 0),
        last_modified=_http_date(_header(headers, "Last-Modified")),
        etag=_header(headers, "ETag").strip('"'),
        crc64=_header(headers, "x-cos-hash-crc64ecma"),
        storage_class=_header(headers, "x-cos-storage-class") or "STANDARD",
        version_id=_header(headers, "x-cos-version-id"),
        content_headers={n: v for n in CONTENT_HEADERS if (v := _header(headers, n))},
        metadata={
            k.lower(): str(v)
            for k, v in sorted(headers.items())
            if k.lower().startswith("x-cos-meta-")
        },
        restore=_header(headers, "x-cos-restore"),
        restore_status=_header(headers, "x-cos-restore-status"),
        encryption=_header(headers, "x-cos-server-side-encryption"),
    )


def _version_kwargs(version_id: str) -> dict[str, str]:
    return {"VersionId": version_id} if version_id else {}


def object_detail(*, bucket: str, key: str, version_id: str = "") -> ObjectDetail:
    """All HEAD metadata of one object (or one version of it: a missing version or a delete
    marker is a 404 that says so, not "the object does not exist")."""
    # Imported here: versions builds on browse, which builds on this module (via archived).
    from objects_app.selectors.versions import head_version

    try:
        if version_id:
            headers = head_version(bucket=bucket, key=key, version_id=version_id)
        else:
            headers = get_cos_client().head_object(Bucket=bucket, Key=key)
    except CosServiceError as exc:
        # COS answers a HEAD of an SSE-C object without its key with a bare 400 (a HEAD has no
        # body to say why); the console never holds customer keys, so it says so instead.
        if exc.get_status_code() == 400 and _is_sse_c(bucket, key, version_id):
            raise ObjectsError(
                _(
                    "This object is encrypted with a customer-provided key (SSE-C). COS serves "
                    "it only to requests that send that key, and the console does not hold "
                    "customer keys, so it cannot show, preview or download this object."
                ),
                status=409,
            ) from exc
        if exc.get_status_code() == 404 and not version_id:
            # A HEAD's 404 has no body, so COS's own words ("The Resource You Head Not Exist")
            # would not say which object is missing; this does.
            raise ObjectsError(
                _(
                    "There is no object named “%(key)s” in bucket %(bucket)s (it may have been "
                    "deleted or renamed meanwhile)."
                )
                % {"key": key, "bucket": bucket},
                status=404,
            ) from exc
        raise
    return detail_from_headers(bucket, key, headers)


def _is_sse_c(bucket: str, key: str, version_id: str) -> bool:
    """Whether the 400 was COS refusing an SSE-C object for want of its key (a ranged GET of
    nothing says so in its error body)."""
    try:
        kwargs: dict[str, str] = {"Range": "bytes=0-0", **_version_kwargs(version_id)}
        probe = get_cos_client().get_object(
            Bucket=bucket, Key=key, KeySimplifyCheck=False, **kwargs
        )
        probe["Body"].get_raw_stream().close()
    except CosServiceError as exc:
        # COS: 400 InvalidRequest ("The object was stored using a form of Server Side
        # Encryption..."); a missing object or a bad version id are other codes.
        return exc.get_status_code() == 400 and exc.get_error_code() == "InvalidRequest"
    return False


@dataclass
class Download:
    """A COS GET in flight: status, the headers to pass on, and the body as closeable chunks."""

    status: int
    headers: dict[str, str]
    body: Any = field(repr=False)

    def __iter__(self) -> Iterator[bytes]:
        # Chunks of the raw stream: memory stays flat whatever the object size.
        return iter(lambda: self.body.read(CHUNK), b"")

    def close(self) -> None:
        self.body.close()


def object_download(
    *, bucket: str, key: str, version_id: str = "", byte_range: str = ""
) -> Download:
    """Open a (ranged) GET of the object; the caller streams it and must close it."""
    kwargs: dict[str, str] = _version_kwargs(version_id)
    if byte_range:
        kwargs["Range"] = byte_range
    result = get_cos_client().get_object(Bucket=bucket, Key=key, KeySimplifyCheck=False, **kwargs)
    headers = {n: v for n in DOWNLOAD_HEADERS if (v := _header(result, n))}
    return Download(
        status=206 if "Content-Range" in headers else 200, headers=headers, body=result["Body"]
    )


def object_presigned_url(
    *,
    bucket: str,
    key: str,
    expires: int,
    version_id: str = "",
    response_headers: Mapping[str, str] | None = None,
) -> str:
    """A presigned GET that signs the version and every response header it sets.

    COS serves parameters a presigned URL did not sign, so whatever is left unsigned can be
    added or changed by the link's holder: an older `versionId`, `response-content-type:
    text/html`. Signed, a changed value fails the signature and an added one is a repeat.
    """
    params = {f"response-{name.lower()}": value for name, value in (response_headers or {}).items()}
    if version_id:
        params["versionId"] = version_id
    return presigned_download_url(bucket=bucket, key=key, expires=expires, params=params or None)


def object_download_url(*, bucket: str, key: str, version_id: str = "") -> str:
    """A short-lived presigned download; COS cannot send our sandbox CSP, so an attachment."""
    disposition = content_disposition(filename_of(key), inline=False)
    return object_presigned_url(
        bucket=bucket, key=key, version_id=version_id,
        expires=settings.CONSOLE_DOWNLOAD_REDIRECT_SECONDS,
        response_headers={"Content-Disposition": disposition},
    )  # fmt: skip


def share_headers(*, key: str, content_type: str) -> dict[str, str]:
    """The response headers a share link pins: its type, and attachment unless shown safely."""
    content_type = content_type or "application/octet-stream"
    inline = inline_safe(content_type)
    return {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(filename_of(key), inline=inline),
    }


def object_text_preview(*, bucket: str, key: str, version_id: str = "") -> tuple[str, bool]:
    """The first CONSOLE_PREVIEW_MAX_BYTES as text (one ranged GET) and whether it was cut."""
    limit = settings.CONSOLE_PREVIEW_MAX_BYTES
    download = object_download(
        bucket=bucket, key=key, version_id=version_id, byte_range=f"bytes=0-{limit - 1}"
    )
    try:
        data = download.body.read(limit)
    finally:
        download.close()
    total = download.headers.get("Content-Range", "").rpartition("/")[2]
    cut = total.isdigit() and int(total) > limit
    return data.decode("utf-8", errors="replace"), cut


@dataclass(frozen=True)
class DetailPage:
    detail: ObjectDetail
    text: str = ""
    text_cut: bool = False
    # Opened by version id and that version is not the current one (or the key is deleted now).
    is_old_version: bool = False
    current_version_id: str = ""


def _current_version_id(bucket: str, key: str) -> str | None:
    """The current version's id ("" when unversioned); None when the key has no current object."""
    try:
        headers = get_cos_client().head_object(Bucket=bucket, Key=key)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return None
        raise
    return _header(headers, "x-cos-version-id")


def object_detail_page(*, bucket: str, key: str, version_id: str = "") -> DetailPage:
    """HEAD, plus the start of the body when it is text worth previewing.

    Opened by version id, the page also says whether that version is the current one, so an
    old version is never presented (or edited) as if it were the object.
    """
    detail = object_detail(bucket=bucket, key=key, version_id=version_id)
    current = _current_version_id(bucket, key) if version_id else detail.version_id
    old = bool(version_id) and current != detail.version_id
    text, cut = "", False
    if detail.preview == "text" and detail.size:
        text, cut = object_text_preview(bucket=bucket, key=key, version_id=version_id)
    return DetailPage(detail, text, cut, is_old_version=old, current_version_id=current or "")
