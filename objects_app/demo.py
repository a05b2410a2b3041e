"""The demo bucket that `make run` seeds into coslocal (and the tests reuse).

It holds everything later screens demonstrate: folders several levels deep, a few hundred
objects, versioning with several versions of some keys and a deleted key, one public-read
object, one ARCHIVE object and one multipart upload left in progress.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from objects_app.cos import CosS3Client, CosServiceError

log = logging.getLogger(__name__)

DEMO_BUCKET = "demo-1250000000"
SEEDED_MARKER = "README.txt"
VERSIONED_KEY = "docs/changelog.md"
DELETED_KEY = "docs/old-notes.txt"
PUBLIC_KEY = "public/logo.svg"
ARCHIVE_KEY = "archive/2019/backup.tar"
UPLOAD_KEY = "uploads/big-video.mp4"

LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<circle cx="32" cy="32" r="28" fill="#0052d9"/></svg>'
)


@dataclass(frozen=True)
class SeedObject:
    key: str
    body: bytes
    content_type: str = "text/plain"


def demo_objects() -> list[SeedObject]:
    """A few hundred small objects, folders up to four levels deep."""
    objects = [
        SeedObject(
            f"photos/{year}/{month:02d}/IMG_{n:04d}.jpg", f"jpeg {year}-{month}-{n}".encode()
        )
        for year in (2023, 2024)
        for month in (1, 6, 12)
        for n in range(1, 21)
    ]
    objects += [
        SeedObject(f"logs/app/2024/05/{day:02d}/app-{h:02d}.log", f"log {day} {h}\n".encode() * 20)
        for day in range(1, 8)
        for h in range(0, 24, 3)
    ]
    objects += [
        SeedObject(f"reports/q{q}-{year}.csv", b"region,revenue\nap-guangzhou,42\n", "text/csv")
        for year in (2022, 2023, 2024)
        for q in range(1, 5)
    ]
    objects += [
        SeedObject("odd names/hello world.txt", b"spaces in keys"),
        SeedObject("odd names/100%+sure?#.txt", b"percent, plus, question and hash"),
        SeedObject("odd names/中文文件.txt", b"unicode keys"),
        SeedObject("docs/guide.md", b"# Guide\n\nWelcome to the demo bucket.\n", "text/markdown"),
    ]
    return objects


def demo_is_seeded(client: CosS3Client, bucket: str = DEMO_BUCKET) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=SEEDED_MARKER)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return False
        raise
    return True


def _ensure_bucket(client: CosS3Client, bucket: str) -> None:
    if not _bucket_exists(client, bucket):
        client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, Status="Enabled")


def _put_all(client: CosS3Client, bucket: str, objects: list[SeedObject]) -> None:
    def put(obj: SeedObject) -> None:
        client.put_object(Bucket=bucket, Key=obj.key, Body=obj.body, ContentType=obj.content_type)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, objects))


def _put_special(client: CosS3Client, bucket: str) -> None:
    for n in range(1, 5):
        body = f"# Changelog\n\nRevision {n}\n".encode()
        client.put_object(Bucket=bucket, Key=VERSIONED_KEY, Body=body, ContentType="text/markdown")
    client.put_object(Bucket=bucket, Key=DELETED_KEY, Body=b"these notes were deleted")
    client.delete_object(Bucket=bucket, Key=DELETED_KEY)
    client.put_object(
        Bucket=bucket, Key=PUBLIC_KEY, Body=LOGO, ContentType="image/svg+xml", ACL="public-read"
    )
    client.put_object(
        Bucket=bucket, Key=ARCHIVE_KEY, Body=b"archived bytes" * 100, StorageClass="ARCHIVE"
    )
    upload = client.create_multipart_upload(Bucket=bucket, Key=UPLOAD_KEY)
    client.upload_part(
        Bucket=bucket, Key=UPLOAD_KEY, Body=b"\0" * (1024 * 1024), PartNumber=1,
        UploadId=upload["UploadId"],
    )  # fmt: skip


def demo_seed(client: CosS3Client, bucket: str = DEMO_BUCKET) -> bool:
    """Create and fill the demo bucket unless it is already complete. Returns True if it seeded."""
    if _bucket_exists(client, bucket) and demo_is_seeded(client, bucket):
        return False
    _ensure_bucket(client, bucket)
    _put_all(client, bucket, demo_objects())
    _put_special(client, bucket)
    # Written last: its presence means every step above finished.
    client.put_object(Bucket=bucket, Key=SEEDED_MARKER, Body=b"The COS Console demo bucket.\n")
    log.info("seeded demo bucket %s", bucket)
    return True


def _bucket_exists(client: CosS3Client, bucket: str) -> bool:
    try:
        client.head_bucket(Bucket=bucket)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return False
        raise
    return True
