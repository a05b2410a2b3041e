"""Jobs made straight in the database, with each kind's typed params and first phase filled in
(for tests of pages, claims and the sweep that need no worker)."""

from __future__ import annotations

from typing import Any

from objects_app.models import Job, UploadSession

BUCKET = "b-1250000000"
DEFAULTS: dict[str, dict[str, Any]] = {
    "prefix_summary": {"phase": "count", "params": {"prefix": ""}},
    "delete": {"phase": "plan", "params": {"prefixes": [""], "retry_of": None}},
    "upload": {
        "phase": "transfer",
        "params": {"key": "big.bin", "size": 1, "fingerprint": "f", "chunk_size": 1},
    },
    "abort_uploads": {
        "phase": "plan",
        "params": {"prefix": "", "older_than_days": None, "selection": []},
    },
}


def make_job(user: Any, kind: str = "prefix_summary", *, received: int = 0, **fields: Any) -> Job:
    """A job of `kind`; `params` given are merged into the kind's defaults."""
    defaults = DEFAULTS[kind]
    params = {**defaults["params"], **fields.pop("params", {})}
    values = {"kind": kind, "bucket": BUCKET, "user": user, "phase": defaults["phase"], **fields}
    job = Job.objects.create(params=params, **values)
    if kind == "upload":
        UploadSession.objects.create(job=job, received=received)
    return job
