"""upload_file resumes after the uploading process was SIGKILLed mid-upload."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from coslocal.testing import CoslocalServer
from objects_app.cos import CosS3Client
from objects_app.cos.transfer import MB

from .conftest import write_file

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.cos.conftest import make_client
from coslocal.testing import CoslocalServer

server = CoslocalServer("unused")
server.port = {port}
client = make_client(server)
marker = Path({marker!r})

def progress(done, total):
    if done >= 4 * 1024 * 1024:
        marker.write_text(str(done))
        time.sleep(120)  # hold still until the parent kills us

client.upload_file(Bucket={bucket!r}, Key="killed", LocalFilePath={path!r}, PartSize=1, MAXThread=1,
                   progress_callback=progress)
"""


def test_upload_resumes_after_sigkill(
    client: CosS3Client,
    bucket: str,
    cos_server: CoslocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = write_file(tmp_path / "f", 10 * MB + 3)
    marker = tmp_path / "marker"
    code = CHILD.format(
        root=str(ROOT),
        port=cos_server.port,
        marker=str(marker),
        bucket=bucket,
        path=str(tmp_path / "f"),
    )
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "uploader exited early"
            assert time.monotonic() < deadline, "uploader made no progress"
            time.sleep(0.05)
    finally:
        child.kill()  # SIGKILL: no cleanup, no abort
        child.wait()
    assert child.returncode == -9
    uploads = list(client.iter_multipart_uploads(Bucket=bucket))
    assert [u["Key"] for u in uploads] == ["killed"]
    done_before = {
        int(p["PartNumber"]) for p in client.iter_parts(bucket, "killed", uploads[0]["UploadId"])
    }
    assert len(done_before) >= 4

    sent: list[int] = []
    real = client.upload_part

    def spy(*args: Any, **kwargs: Any) -> Any:
        sent.append(int(args[3]))
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "upload_part", spy)
    client.upload_file(Bucket=bucket, Key="killed", LocalFilePath=str(tmp_path / "f"), PartSize=1)
    assert sorted(sent) == sorted(set(range(1, 12)) - done_before)
    assert client.get_object(Bucket=bucket, Key="killed")["Body"].read_all() == data
    assert list(client.iter_multipart_uploads(Bucket=bucket)) == []
    assert os.path.getsize(tmp_path / "f") == len(data)
