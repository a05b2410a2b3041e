"""The public-exposure scan, one listing page at a time: list, read every ACL (concurrently and
rate-limited), decide with the bucket ACL and policy, keep only what is public or unknown.

Nothing is held per object beyond the page in hand (at most 1,000 listing entries), so memory
stays flat whatever the bucket holds. Throttling (503 SlowDown) lowers the request rate for the
whole scan (halved on each, raised slowly again after successes) and the key is tried again; a
key still refused after MAX_SLOWDOWN_ROUNDS is reported "unknown" with the reason, never
counted as private.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from objects_app.access import decide as d
from objects_app.access.acl import Acl, acl_from_sdk
from objects_app.access.policy import Policy, action_label
from objects_app.cos import CosClientError, CosServiceError

PAGE_KEYS = 1000
MAX_SLOWDOWN_ROUNDS = 8
THROTTLE_CODES = {"SlowDown", "RequestLimitExceeded", "TooManyRequests"}
PUBLIC, PRIVATE, UNKNOWN = "public", "private", "unknown"


class RateLimiter:
    """Requests per second shared by the scan's threads: a token bucket whose rate adapts
    (AIMD): halved when COS throttles, raised by 5% after every 200 answers without."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = max(rate, 1.0)
        self.rate = self.ceiling
        self._clock = clock
        self._next = clock()
        self._lock = threading.Lock()
        self._calm = 0

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + 1.0 / self.rate
        if start > now:
            time.sleep(start - now)

    def throttled(self) -> None:
        with self._lock:
            self.rate = max(1.0, self.rate / 2)
            self._calm = 0

    def answered(self) -> None:
        with self._lock:
            self._calm += 1
            if self._calm >= 200 and self.rate < self.ceiling:
                self.rate = min(self.ceiling, self.rate * 1.05)
                self._calm = 0


@dataclass(frozen=True)
class Entry:
    """One listed object (or version)."""

    key: str
    version_id: str = ""
    is_latest: bool = True


@dataclass(frozen=True)
class Finding:
    entry: Entry
    status: str  # public | private | unknown
    reason: str  # the deciding rule's kind (objects_app.access.decide)
    detail: str  # the rule's data: canned ACL, grantee, statement, or the error


def _throttled(exc: BaseException) -> bool:
    if isinstance(exc, CosServiceError):
        return exc.get_error_code() in THROTTLE_CODES or exc.get_status_code() == 503
    return False


def error_text(exc: BaseException) -> str:
    if isinstance(exc, CosServiceError):
        return f"{exc.get_status_code()} {exc.get_error_code()}"
    return "COS unreachable" if isinstance(exc, CosClientError) else type(exc).__name__


class AclReader:
    """Reads object ACLs through `client`, `threads` at a time, under `limiter`."""

    def __init__(self, client: Any, bucket: str, *, threads: int, limiter: RateLimiter) -> None:
        self.client = client
        self.bucket = bucket
        self.threads = threads
        self.limiter = limiter
        self.throttled = 0  # 503s met (each one slowed the scan down)

    def read(self, entry: Entry) -> tuple[Acl | None, str]:
        kwargs = {"VersionId": entry.version_id} if entry.version_id else {}
        for round_ in range(MAX_SLOWDOWN_ROUNDS + 1):
            self.limiter.acquire()
            try:
                answer = self.client.get_object_acl(Bucket=self.bucket, Key=entry.key, **kwargs)
            except (CosServiceError, CosClientError) as exc:
                if not _throttled(exc) or round_ == MAX_SLOWDOWN_ROUNDS:
                    return None, error_text(exc)
                self.throttled += 1
                self.limiter.throttled()
                time.sleep(min(5.0, 0.1 * 2**round_) * random.uniform(0.5, 1.0))
                continue
            self.limiter.answered()
            return acl_from_sdk(answer, bucket=False), ""
        raise AssertionError("unreachable")

    def read_all(
        self, entries: list[Entry], pool: ThreadPoolExecutor
    ) -> list[tuple[Acl | None, str]]:
        return list(pool.map(self.read, entries))


def rule_detail(rule: d.Rule) -> str:
    """The data behind a rule, for the report (never translated)."""
    if rule.kind in (d.OBJECT_ACL, d.BUCKET_ACL) and rule.grant is not None:
        return rule.canned or f"{rule.grant.permission} {rule.grant.grantee}"
    if rule.match is not None:
        m = rule.match
        return f"statement {m.statement.number}: {action_label(m.action)} on {m.where}"
    return rule.error


def judge(
    entry: Entry, acl: Acl | None, error: str, *, bucket: str, bucket_acl: Acl, policy: Policy
) -> Finding:
    found = d.exposure(
        bucket=bucket, key=entry.key, acl=acl, bucket_acl=bucket_acl, policy=policy, error=error
    )
    status = PUBLIC if found.public else UNKNOWN if found.public is None else PRIVATE
    return Finding(entry, status, found.reason, rule_detail(found.decision.rule))


Marker = tuple[str, str]  # (key marker, version-id marker); ("", "") starts the listing


def list_page(
    client: Any, bucket: str, prefix: str, marker: Marker, versions: bool
) -> tuple[list[Entry], Marker | None]:
    """One listing page and the marker of the next (None at the end)."""
    key_marker, version_marker = marker
    if not versions:
        page = client.list_objects(
            Bucket=bucket, Prefix=prefix, Marker=key_marker, MaxKeys=PAGE_KEYS
        )
        entries = [Entry(item["Key"]) for item in page.get("Contents") or []]
        if str(page.get("IsTruncated", "false")).lower() != "true" or not entries:
            return entries, None
        return entries, (page.get("NextMarker") or entries[-1].key, "")
    page = client.list_objects_versions(
        Bucket=bucket,
        Prefix=prefix,
        KeyMarker=key_marker,
        VersionIdMarker=version_marker,
        MaxKeys=PAGE_KEYS,
    )
    entries = [
        Entry(v["Key"], v.get("VersionId") or "", str(v.get("IsLatest", "true")).lower() == "true")
        for v in page.get("Version") or []
    ]
    if str(page.get("IsTruncated", "false")).lower() != "true":
        return entries, None
    return entries, (page.get("NextKeyMarker") or "", page.get("NextVersionIdMarker") or "")


def submit_entries(
    entries: Iterable[Entry],
    reader: AclReader,
    pool: ThreadPoolExecutor,
    *,
    bucket_acl: Acl,
    policy: Policy,
) -> list[Future[Finding]]:
    """Every entry read and judged in the pool's threads (judging overlaps other threads' I/O),
    started: the findings come in the entries' order as the futures end; the caller keeps what
    it needs (public and unknown)."""

    def one(entry: Entry) -> Finding:
        acl, error = reader.read(entry)
        return judge(entry, acl, error, bucket=reader.bucket, bucket_acl=bucket_acl, policy=policy)

    return [pool.submit(one, entry) for entry in entries]
