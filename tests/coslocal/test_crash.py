"""kill -9 at awkward moments: nothing partial may ever become visible, orphans are collected."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from qcloud_cos import CosS3Client, CosServiceError

from coslocal.testing import CoslocalServer
from tests.coslocal.conftest import sdk_client

MB = 1024 * 1024
BUCKET = "crash-1250000000"
Spawn = Callable[[Path], CoslocalServer]


def _blob_files(data: Path) -> list[Path]:
    return [p for p in (data / "blobs").rglob("*") if p.is_file()]


def _restart(data: Path) -> CoslocalServer:
    return CoslocalServer(data).start()


@pytest.fixture
def spawn() -> Iterator[Callable[[Path], CoslocalServer]]:
    """Start servers that are SIGKILLed at teardown even if the test fails half-way."""
    started: list[CoslocalServer] = []

    def start(data: Path) -> CoslocalServer:
        started.append(CoslocalServer(data).start())
        return started[-1]

    yield start
    for srv in started:
        srv.kill()


def _slow_body(first: bytes, started: threading.Event, stop: threading.Event) -> Iterator[bytes]:
    yield first
    started.set()
    while not stop.is_set():  # keep the request open until the server dies
        time.sleep(0.05)
        yield b"z" * 1024


def test_kill_during_put_keeps_the_old_object(tmp_path: Path, spawn: Spawn) -> None:
    data = tmp_path / "data"
    srv = spawn(data)
    client = sdk_client(srv)
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="doc", Body=b"old content")
    started, stop = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            client.put_object(Bucket=BUCKET, Key="doc", Body=_slow_body(b"n" * MB, started, stop))
        except BaseException as exc:  # the connection dies with the server
            errors.append(exc)

    worker = threading.Thread(target=upload)
    worker.start()
    assert started.wait(10)
    deadline = time.monotonic() + 10
    while not any(p.stat().st_size for p in (data / "tmp").iterdir()):
        assert time.monotonic() < deadline, "the PUT body never reached the server's temp file"
        time.sleep(0.02)
    srv.kill()
    stop.set()
    worker.join(10)
    assert errors, "the interrupted upload must not report success"
    assert list((data / "tmp").iterdir())  # the half-written body is still on disk ...

    with _restart(data) as again:
        assert list((data / "tmp").iterdir()) == []  # ... until start-up cleans it
        client = sdk_client(again)
        got = client.get_object(Bucket=BUCKET, Key="doc")["Body"].get_raw_stream().read()
        assert got == b"old content"
        assert len(_blob_files(data)) == 1


def _prepare_uploads(client: CosS3Client, count: int) -> dict[str, tuple[str, list[dict], bytes]]:
    uploads = {}
    for i in range(count):
        key = f"mp/{i}"
        parts = [os.urandom(MB), os.urandom(1000)]
        upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        done = []
        for n, body in enumerate(parts, 1):
            etag = client.upload_part(
                Bucket=BUCKET, Key=key, Body=body, PartNumber=n, UploadId=upload_id
            )["ETag"]
            done.append({"PartNumber": n, "ETag": etag})
        uploads[key] = (upload_id, done, b"".join(parts))
    return uploads


def test_kill_during_complete_is_all_or_nothing(tmp_path: Path, spawn: Spawn) -> None:
    data = tmp_path / "data"
    srv = spawn(data)
    client = sdk_client(srv)
    client.create_bucket(Bucket=BUCKET)
    uploads = _prepare_uploads(client, 12)
    # The first 6 Completes to arrive are held in the server (killed there, never committed); the
    # other 6 race the kill, which comes as soon as one of them has committed.
    srv.set_faults(mode="delay", delay=30, count=6, method="POST", query_contains="uploadId")

    def complete(key: str) -> None:
        upload_id, done, _ = uploads[key]
        # the server is killed under us: the outcome is checked after the restart
        with contextlib.suppress(Exception):
            client.complete_multipart_upload(
                Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Part": done}
            )

    threads = [threading.Thread(target=complete, args=(k,), daemon=True) for k in uploads]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while not any(client.object_exists(Bucket=BUCKET, Key=k) for k in uploads):
        assert time.monotonic() < deadline, "no Complete finished"
        time.sleep(0.005)
    srv.kill()
    for t in threads:
        t.join(30)

    with _restart(data) as again:
        client = sdk_client(again)
        completed = 0
        for key, (upload_id, done, whole) in uploads.items():
            try:
                body = client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read()
            except CosServiceError as exc:
                assert exc.get_status_code() == 404
                # not committed: the upload and all its parts are intact and can still complete
                parts = client.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)["Part"]
                assert len(parts) == 2
                client.complete_multipart_upload(
                    Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Part": done}
                )
                body = client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read()
            else:
                completed += 1
                with pytest.raises(CosServiceError):  # committed: the upload is gone
                    client.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)
            assert hashlib.md5(body).digest() == hashlib.md5(whole).digest()
        assert 1 <= completed <= 6  # both outcomes really happened
        assert len(_blob_files(data)) == 2 * len(uploads)


def test_orphan_blobs_collected_at_start_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with CoslocalServer(data).start() as srv:
        client = sdk_client(srv)
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key="keep", Body=b"keep")
    orphan_dir = data / "blobs" / "ab"
    orphan_dir.mkdir(exist_ok=True)
    (orphan_dir / ("ab" + "0" * 30)).write_bytes(b"orphan")
    (data / "tmp" / "half-written").write_bytes(b"partial")
    with _restart(data) as again:
        assert [p.name for p in _blob_files(data)] != [] and not (
            orphan_dir / ("ab" + "0" * 30)
        ).exists()
        assert list((data / "tmp").iterdir()) == []
        body = sdk_client(again).get_object(Bucket=BUCKET, Key="keep")["Body"]
        assert body.get_raw_stream().read() == b"keep"


def test_one_server_per_data_dir(tmp_path: Path, spawn: Spawn) -> None:
    """A second server would run start-up GC over the first one's in-flight temp files."""
    data = tmp_path / "data"
    first = spawn(data)
    with pytest.raises(RuntimeError, match="exited"):
        CoslocalServer(data).start()
    client = sdk_client(first)  # the first one is untouched and still serving
    client.create_bucket(Bucket=BUCKET)
    assert client.head_bucket(Bucket=BUCKET)["x-cos-bucket-region"] == "ap-guangzhou"
    first.kill()
    spawn(data)  # the lock dies with its holder, kill -9 included
