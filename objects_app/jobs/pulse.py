"""A run's heartbeat, beaten by a thread while the kind's step works.

Liveness then means "the worker process is alive", whatever the step is doing (one long COS
call, a big window of deletes), so a job whose worker was killed is noticed within
CONSOLE_JOB_STALE_SECONDS even though its steps may take longer than that.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from django.conf import settings
from django.db import connection
from django.utils import timezone

from objects_app.models import Job

log = logging.getLogger(__name__)


def pulse_seconds() -> float:
    return max(0.2, min(5.0, settings.CONSOLE_JOB_STALE_SECONDS / 4))


class Pulse:
    """Context manager: beat the job's heartbeat every pulse_seconds() while the block runs.

    It beats whatever the state (a cancelled job's run still finishes the call it has in
    flight and commits it), but only while `token` holds the job.
    """

    def __init__(self, job_id: int, token: str) -> None:
        self.job_id, self.token = job_id, token
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pulse-{job_id}", daemon=True)

    def __enter__(self) -> Pulse:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(pulse_seconds()):
                mine = Job.objects.filter(pk=self.job_id, run_token=self.token)
                if not mine.update(heartbeat_at=timezone.now()):
                    return  # taken over or handed back: nothing to keep alive
        except Exception:  # a missed beat is survivable; a crashed thread must not be loud
            log.exception("job %s: heartbeat thread stopped", self.job_id)
        finally:
            connection.close()
