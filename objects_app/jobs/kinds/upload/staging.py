"""Where a large upload's chunks wait between the browser and COS: one directory per upload,
one file per chunk, made visible by rename and removed once COS holds the part."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from objects_app.errors import ObjectsError

BLOCK = 1024 * 1024  # read size from the request body: copies stay in the CPU cache


class Readable(Protocol):
    """A request body (Django's HttpRequest reads the WSGI input stream)."""

    def read(self, n: int = -1, /) -> bytes: ...


def staging_root() -> Path:
    return Path(settings.CONSOLE_UPLOAD_STAGING_DIR)


def staging_dir(job_id: int) -> Path:
    return staging_root() / f"upload-{job_id}"


def chunk_path(job_id: int, index: int) -> Path:
    return staging_dir(job_id) / f"chunk-{index:05d}"


def _chunk_names(job_id: int) -> list[str]:
    try:
        with os.scandir(staging_dir(job_id)) as entries:
            return [e.name for e in entries if e.name.startswith("chunk-") and "." not in e.name]
    except FileNotFoundError:
        return []


def staged_chunks(job_id: int) -> int:
    """Chunks on disk that COS does not hold yet (the worker deletes each once its part is in)."""
    return len(_chunk_names(job_id))


def drop_sent_chunks(job_id: int, sent: set[int]) -> None:
    """Chunks whose parts COS already has (a crash came between record and delete) go now, so
    they neither count against the backpressure window nor sit in staging until the end."""
    for name in _chunk_names(job_id):
        index = name.removeprefix("chunk-")
        if index.isdigit() and int(index) + 1 in sent:
            chunk_path(job_id, int(index)).unlink(missing_ok=True)


class StagedBody(io.BufferedRandom):
    """A request body the ASGI handler (console.asgi) wrote straight into staging.

    Django's ASGI handler spools every body to a temporary file before the view runs; for a
    chunk, the view then copied that file into staging: each byte written twice and read once
    more. This file is opened with O_TMPFILE in the staging directory itself, so it has no name
    until a chunk adopts it (a hard link, no copy), and a refused request or a crash leaves
    nothing behind.
    """

    @classmethod
    def open(cls) -> StagedBody | None:
        """None where the platform or file system cannot make unnamed files (Django spools)."""
        root = staging_root()
        try:
            root.mkdir(parents=True, exist_ok=True)
            fd = os.open(root, os.O_TMPFILE | os.O_RDWR, 0o600)
        except (AttributeError, OSError):
            return None
        return cls(io.FileIO(fd, "r+"))

    def adopt(self, path: Path, expected: int) -> Path:
        """Give the body a name beside `path` (like receive_chunk's temporary file)."""
        self.flush()
        size = os.fstat(self.fileno()).st_size
        if size != expected:
            raise _short_chunk(size, expected)
        name = f"{path.name}.{secrets.token_hex(8)}.incoming"
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)  # FileNotFoundError: gone
        try:
            # linkat(AT_SYMLINK_FOLLOW), the documented way to name an O_TMPFILE file; os.link
            # only uses linkat, not link(), when it is given a directory descriptor.
            os.link(f"/proc/self/fd/{self.fileno()}", name, dst_dir_fd=folder)
        finally:
            os.close(folder)
        return path.parent / name


def _short_chunk(written: int, expected: int) -> ObjectsError:
    return ObjectsError(
        _("The chunk ended after %(written)s of %(expected)s bytes; send it again.")
        % {"written": written, "expected": expected},
        status=400,
    )


def receive_chunk(path: Path, expected: int, stream: Readable | StagedBody) -> Path:
    """Stream exactly `expected` bytes into a temporary file beside `path`; return its path.

    Reads go straight into the file in 1 MiB blocks: no whole-chunk buffer, and the copies the
    web server makes of each block stay in the CPU cache. A body already in staging is linked.
    """
    if isinstance(stream, StagedBody):
        return stream.adopt(path, expected)
    # A name of its own: two requests for the same chunk (another tab) never share a file.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".incoming")
    temp, written = Path(name), 0
    try:
        with os.fdopen(fd, "wb") as fp:
            while written < expected:
                block = stream.read(min(BLOCK, expected - written))
                if not block:
                    break
                fp.write(block)
                written += len(block)
        if written != expected:
            raise _short_chunk(written, expected)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def publish_chunk(temp: Path, path: Path) -> None:
    """Make a received chunk visible to the worker under its own name (atomic rename)."""
    os.replace(temp, path)


def write_chunk(path: Path, expected: int, stream: Readable) -> None:
    """Receive a chunk and make it visible at once."""
    publish_chunk(receive_chunk(path, expected, stream), path)


def drop_staging(job_id: int) -> None:
    shutil.rmtree(staging_dir(job_id), ignore_errors=True)


def staging_job_ids() -> list[tuple[Path, int | None]]:
    """Every upload directory in staging, with the job id its name carries (None: not ours)."""
    root = staging_root()
    if not root.is_dir():
        return []
    found = []
    for path in root.glob("upload-*"):
        job_id = path.name.removeprefix("upload-")
        found.append((path, int(job_id) if job_id.isdigit() else None))
    return found


def drop_staging_path(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
