"""The worker side of a large upload: staged chunks become COS parts, several at a time, while
the browser is still sending. Each part is CRC-64 checked, recorded, then its chunk deleted.

`Pump.run` returns what happened as a `PumpResult`; COS errors are raised (the engine's one
retry rule decides about them).
"""

from __future__ import annotations

import enum
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from objects_app.cos import CosClientError
from objects_app.cos.crc64 import crc64
from objects_app.cos.transfer import header
from objects_app.jobs.engine import JobRun
from objects_app.jobs.kinds.upload import staging
from objects_app.jobs.kinds.upload.params import UploadParams
from objects_app.models import UploadPart, UploadSession

HEARTBEAT_EVERY = 0.5  # seconds between progress writes
POLL_SECONDS = 0.05  # how often the worker looks for newly staged chunks (one indexed read)


class PumpResult(enum.Enum):
    ALL_SENT = "all parts are in COS"
    IDLE = "no chunk arrived for a while: wait for the browser"
    SLICE_OVER = "the slice is over with work left: queue the next slice"
    STOPPED = "the job was cancelled or taken over"
    LOST = "a staged chunk COS does not hold is gone or damaged"


@dataclass(frozen=True)
class SentPart:
    number: int
    size: int
    etag: str
    crc64: int


class StagingLost(Exception):
    """Raised by a part's thread; the pump turns it into PumpResult.LOST."""


def recorded_parts(job_id: int) -> list[SentPart]:
    rows = UploadPart.objects.filter(job_id=job_id).order_by("number")
    return [SentPart(r.number, r.size, r.etag, int(r.crc64)) for r in rows]


class Pump:
    """One slice of sending: THREADS parts in flight while chunks keep arriving."""

    def __init__(self, run: JobRun, params: UploadParams, upload_id: str) -> None:
        self.run_, self.params, self.upload_id = run, params, upload_id
        self.job_id = run.job.pk
        self.sent = {p.number: p for p in recorded_parts(self.job_id)}
        staging.drop_sent_chunks(self.job_id, set(self.sent))
        self.received = 0
        self.todo: deque[int] = deque()
        self.inflight: dict[Future[SentPart], int] = {}
        self.last_beat = 0.0
        self.lost_reason = ""

    def run(self) -> PumpResult:
        threads = max(settings.CONSOLE_UPLOAD_THREADS, 1)
        started = self.last_chunk_at = time.monotonic()
        self._poll_received()
        first_received = self.received
        with ThreadPoolExecutor(threads, thread_name_prefix=f"upload-{self.job_id}") as pool:
            while True:
                if self._poll_received():
                    self.last_chunk_at = time.monotonic()
                if not self.run_.sliced():
                    while self.todo and len(self.inflight) < threads:
                        index = self.todo.popleft()
                        self.inflight[pool.submit(self._send, index)] = index
                if self.inflight and not self._collect():
                    return PumpResult.LOST
                result = self._decide(idle_slice=self.received == first_received, started=started)
                if result is not None:
                    return result
                if not self._beat():
                    return PumpResult.STOPPED

    def _decide(self, *, idle_slice: bool, started: float) -> PumpResult | None:
        if self.inflight:
            return None
        if len(self.sent) == self.run_.job.total:
            return PumpResult.ALL_SENT
        if self.run_.sliced():
            # A whole slice without a chunk is idle, whatever CONSOLE_UPLOAD_IDLE_SECONDS says.
            return PumpResult.IDLE if idle_slice and not self.todo else PumpResult.SLICE_OVER
        if self.todo:
            return None
        if time.monotonic() - self.last_chunk_at > settings.CONSOLE_UPLOAD_IDLE_SECONDS:
            return PumpResult.IDLE
        time.sleep(POLL_SECONDS)
        return None

    def _collect(self) -> bool:
        """Record the parts that arrived; False if a chunk was lost. COS errors are raised
        once the parts that did arrive are recorded, so a retry skips them."""
        finished, _pending = wait(self.inflight, POLL_SECONDS, FIRST_COMPLETED)
        failures: list[BaseException] = []
        for future in finished:
            index, error = self.inflight.pop(future), future.exception()
            if error is None:
                self._record(index, future.result())
            elif isinstance(error, StagingLost):
                self.lost_reason = str(error)
            else:
                failures.append(error)
        if self.lost_reason:
            wait(self.inflight)  # let the siblings finish before the job fails
            return False
        if failures:
            raise failures[0]
        return True

    def _poll_received(self) -> bool:
        received = UploadSession.objects.values_list("received", flat=True).get(job=self.job_id)
        if received == self.received:
            return False
        self.todo.extend(i for i in range(self.received, received) if i + 1 not in self.sent)
        self.received = received
        return True

    def _send(self, index: int) -> SentPart:
        expected = min(self.params.chunk_size, self.params.size - index * self.params.chunk_size)
        try:
            data = staging.chunk_path(self.job_id, index).read_bytes()
        except FileNotFoundError:
            recorded = UploadPart.objects.filter(job_id=self.job_id, number=index + 1).first()
            if recorded is None:  # neither staged nor in COS: those bytes are gone
                raise StagingLost(_("Staged chunk %(n)s is missing.") % {"n": index}) from None
            # Another run (one the sweep took for dead) sent it meanwhile.
            return SentPart(recorded.number, recorded.size, recorded.etag, int(recorded.crc64))
        if len(data) != expected:
            raise StagingLost(
                _("Staged chunk %(n)s is %(size)s bytes, not %(expected)s.")
                % {"n": index, "size": len(data), "expected": expected}
            )
        local = crc64(data)
        result = self.run_.client.upload_part(
            self.run_.job.bucket, self.params.key, data, index + 1, self.upload_id
        )
        remote = header(result, "x-cos-hash-crc64ecma")
        if remote is not None and int(remote) != local:
            raise CosClientError(f"part {index + 1} arrived damaged (CRC-64 {remote} != {local})")
        return SentPart(index + 1, expected, str(header(result, "ETag") or ""), local)

    def _record(self, index: int, part: SentPart) -> None:
        # Recorded first, then the chunk goes: a crash between the two only leaves a stray file.
        UploadPart.objects.update_or_create(
            job_id=self.job_id,
            number=part.number,
            defaults={"size": part.size, "etag": part.etag, "crc64": str(part.crc64)},
        )
        staging.chunk_path(self.job_id, index).unlink(missing_ok=True)
        self.sent[part.number] = part

    def _beat(self) -> bool:
        now = time.monotonic()
        if now - self.last_beat < HEARTBEAT_EVERY:
            return True
        self.last_beat = now
        in_cos = sum(p.size for p in self.sent.values())
        return self.run_.beat(done=len(self.sent), bytes_done=in_cos)

    def still_waiting(self) -> bool:
        """The hand-back's guard: no chunk arrived since this pump last looked (row locked)."""
        with transaction.atomic():
            session = UploadSession.objects.select_for_update().get(job=self.job_id)
            return session.received == self.received
