"""The rewind's run: for each planned key, check that its latest entry is still the one the dry
run saw, then copy the version back onto the key or add a delete marker. It never deletes a
version, so the rewind is undone by rewinding to the moment it started (recorded here).

The check reads the latest entry of every key of a chunk of PER_THREAD keys from the version
listing right before the chunk's copies, on the chunk's own thread (the chunks of a window check
and copy side by side), skipping the rest of a key's history once its latest entry is seen:
instead of one listing request per key, the copies are the only per-key requests. A write that
raced the rewind (an upload after the dry run) is left current and reported as skipped. After a
crash, a key whose latest entry is no longer the one the plan saw was acted on (reconcile), so
no key is acted on twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from objects_app.archive import ARCHIVE_CLASSES
from objects_app.cos import CosServiceError
from objects_app.cos.errors import is_retryable
from objects_app.history import COPY, MARKER
from objects_app.jobs.engine import JobRun
from objects_app.jobs.items import Item, ItemResult, Results, walk
from objects_app.jobs.kind import StepResult, Stopped
from objects_app.jobs.kinds.history_walk import checked_chunks, key_before
from objects_app.jobs.kinds.rewind.plan import parse_ref
from objects_app.models import ItemOutcome
from objects_app.selectors.versions import MAX_LISTING, merged_rows

PER_THREAD = 32
COPY_LIMIT = 5 * 1024**3  # larger versions go through the multipart copy
# Report reasons: fixed texts (the report shows them in the reader's language; the version id
# and class are in the report's version column).
CHANGED = gettext_noop("Changed after the dry run (a newer version or delete marker is current "
                       "now); left as it is.")  # fmt: skip
GONE = gettext_noop("This version was deleted after the dry run; the key was left as it is.")
ARCHIVED = gettext_noop("This version is archived: restore it, then rewind again.")


def step_rewind(run: JobRun) -> StepResult:
    if "run_started" not in run.job.plan and not _record_start(run):
        return Stopped()
    parallel = max(1, settings.CONSOLE_REWIND_PARALLEL)
    client, bucket = run.client, run.job.bucket
    prefix = str(run.job.params.get("prefix") or "")
    with ThreadPoolExecutor(max_workers=parallel) as pool:

        def check_then_act(chunk: list[Item], after: str) -> Results:
            latest = latest_entries(client, bucket, prefix, after, [i.key for i in chunk])
            found = ((i.seq, _apply(client, bucket, i, latest)) for i in chunk)
            return {seq: r for seq, r in found if r is not None}

        def act(window: list[Item]) -> Callable[[], Results]:
            return checked_chunks(run, pool, window, PER_THREAD, check_then_act)

        return walk(run, window=parallel * PER_THREAD, act=act, clear_codes=True)


def _record_start(run: JobRun) -> bool:
    """Remember when the run started (the moment "undo" rewinds to), then wait for the next
    whole second: COS may stamp writes to the second, and every write of this run must come
    after the recorded moment."""
    now = timezone.now()
    plan = {**run.job.plan, "run_started": now.isoformat()}
    if not run.beat(plan=plan):
        return False
    run.job.plan = plan
    time.sleep(1 - now.microsecond / 1_000_000)
    return True


Latest = dict[str, str]  # key -> id of its latest entry ("null" for a null version)
ENTRIES_PER_KEY = 4  # a listing page asks for this many entries per key still to find


def latest_entries(client: Any, bucket: str, prefix: str, after: str, keys: list[str]) -> Latest:
    """The id of the latest entry (version or delete marker) of each of `keys` (in listing
    order, all after the key `after`) that has one, read from the version listing: a page
    that ends inside a key's history goes on at the next key, so a long history is not read."""
    wanted, last = set(keys), keys[-1]
    found: Latest = {}
    marker = after
    while True:
        # Sized to the keys left (a page past the last key is wasted on both sides).
        size = min(MAX_LISTING, (len(wanted) - len(found)) * ENTRIES_PER_KEY + 1)
        answer = client.list_objects_versions(
            Bucket=bucket, Prefix=prefix, KeyMarker=marker, VersionIdMarker="", MaxKeys=size
        )
        rows = merged_rows(answer)
        for row in rows:
            if row.is_latest and row.key in wanted:
                found[row.key] = row.version_id or "null"
        truncated = str(answer.get("IsTruncated", "false")).lower() == "true"
        if not rows or not truncated or rows[-1].key >= last or len(found) == len(wanted):
            return found
        marker = rows[-1].key  # the rest of this key's history is skipped


def _apply(client: Any, bucket: str, item: Item, latest: Latest) -> ItemResult | None:
    if latest.get(item.key, "") != item.reason_code:
        return ItemResult(ItemOutcome.SKIPPED, "Changed", CHANGED)
    try:
        if item.group == MARKER:
            client.delete_object(Bucket=bucket, Key=item.key)
        elif item.group == COPY:
            return _copy_back(client, bucket, item)
    except CosServiceError as exc:
        if is_retryable(exc):
            raise
        return ItemResult(ItemOutcome.FAILED, exc.get_error_code(), exc.get_error_msg())
    return None


def _copy_back(client: Any, bucket: str, item: Item) -> ItemResult | None:
    version_id, storage_class = parse_ref(item.ref)
    if storage_class in ARCHIVE_CLASSES:  # rare: only then is the version looked at first
        refused = _archived(client, bucket, item.key, version_id, storage_class)
        if refused is not None:
            return refused
    source = {"Bucket": bucket, "Key": item.key, "VersionId": version_id}
    copy = client.copy if item.size > COPY_LIMIT else client.copy_object
    try:
        copy(Bucket=bucket, Key=item.key, CopySource=source, CopyStatus="Copy",
             StorageClass=storage_class)  # fmt: skip
    except CosServiceError as exc:
        if exc.get_status_code() != 404:
            raise
        return ItemResult(ItemOutcome.FAILED, "NoSuchVersion", GONE)
    return None


def _archived(
    client: Any, bucket: str, key: str, version_id: str, storage_class: str
) -> ItemResult | None:
    """A refusal unless the archived version is restored (a copy needs its content)."""
    try:
        head = client.head_object(Bucket=bucket, Key=key, VersionId=version_id)
    except CosServiceError as exc:
        if exc.get_status_code() == 404:
            return None  # the copy reports it
        raise
    if 'ongoing-request="false"' in str(head.get("x-cos-restore") or ""):
        return None
    return ItemResult(ItemOutcome.FAILED, "Archived", ARCHIVED)


def reconcile(run: JobRun, items: list[Item]) -> dict[int, ItemResult]:
    """Items a dead run left "started": a key whose latest entry is no longer the one the plan
    saw was acted on by that run (acting again would stack a second copy or marker)."""
    prefix = str(run.job.params.get("prefix") or "")
    after = key_before(run.job.pk, items[0])
    latest = latest_entries(run.client, run.job.bucket, prefix, after, [i.key for i in items])
    done = ItemResult(ItemOutcome.DONE, "", "")
    return {item.seq: done for item in items if latest.get(item.key, "") != item.reason_code}
