"""large-upload.js in Chromium: chunks to the live server, a real worker uploads to coslocal,
and the object browser shows a notice when the job ends."""

from __future__ import annotations

import pytest

from objects_app.cos.crc64 import crc64
from tests.jobs import conftest as jobs_fixtures

# The jobs area's fixtures: a fresh bucket, job settings shared with a beat-running worker.
job_settings = jobs_fixtures.job_settings
new_bucket = jobs_fixtures.new_bucket
start_worker = jobs_fixtures.start_worker

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

SIZE = 2 * 1024 * 1024 + 4321  # three 1 MiB chunks

UPLOAD = """async ({bucket, key, size}) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7) % 251;
  const file = new File([bytes], "big.bin", {lastModified: 1});
  const seen = [];
  const outcome = await new Promise((resolve) => window.cosConsoleLargeUpload(file, {
    bucket, key,
    onProgress: (f) => seen.push(f),
    onDone: () => resolve("done"),
    onError: (message) => resolve("error: " + message),
  }));
  return {outcome, seen};
}"""


def test_large_upload_from_the_browser_lands_in_cos_and_is_announced(
    logged_in_page,
    live_server,
    cos_client,
    new_bucket,
    start_worker,
) -> None:
    page = logged_in_page
    start_worker()
    page.goto(f"{live_server.url}/b/{new_bucket}/")
    page.wait_for_selector("#job-notices", state="attached")
    result = page.evaluate(UPLOAD, {"bucket": new_bucket, "key": "e2e/big.bin", "size": SIZE})
    assert result["outcome"] == "done"
    assert result["seen"] == sorted(result["seen"]) and result["seen"][-1] == 1
    expected = bytes((i * 7) % 251 for i in range(SIZE))
    head = cos_client.head_object(Bucket=new_bucket, Key="e2e/big.bin")
    assert int(head["x-cos-hash-crc64ecma"]) == crc64(expected)
    notice = page.wait_for_selector(".job-notice")
    assert "Large upload" in notice.inner_text() and "succeeded" in notice.inner_text()

    refused = page.evaluate(UPLOAD, {"bucket": new_bucket, "key": "k" * 900, "size": 10})
    assert refused["outcome"].startswith("error: ") and "850 bytes" in refused["outcome"]
