"""A job's plan as numbered items, and the walk that acts on them in committed windows.

The dry run stores what will be acted on as JobItem rows. The run takes the next window of
pending items, marks them "started" (one UPDATE), acts, then commits their outcomes and the
job's counters together (one transaction, conditional on the run's token and checkpoint). A
run that dies between the two leaves its window "started"; the next run asks the kind which of
those really happened (Kind.reconcile) and acts again only on the rest, so a step that is not
safe to repeat is never done twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum

from objects_app.jobs.kind import Continue, Finished, StepResult, Stopped
from objects_app.models import ItemOutcome, Job, JobItem

if TYPE_CHECKING:
    from objects_app.jobs.engine import JobRun

BULK = 2000


@dataclass(frozen=True)
class ItemResult:
    """An item's outcome when it is not simply done."""

    outcome: str  # ItemOutcome.FAILED or SKIPPED
    code: str
    reason: str


class Item(NamedTuple):
    """A stored item as the walk hands it to a kind: its row's values (JobItem's field names).
    Building a model instance per row cost more than a window's deletes themselves."""

    id: int
    seq: int
    key: str
    ref: str
    size: int
    group: str
    outcome: str
    reason_code: str
    reason: str


ITEM_FIELDS = Item._fields
Results = dict[int, ItemResult]
# An act returns the window's results, or (having started the work elsewhere) a callable that
# waits for them: the walk reads the next window from the database meanwhile.
Act = Callable[[list[Item]], Results | Callable[[], Results]]


def items_add(job: Job, items: Iterable[JobItem], *, first_seq: int = 0) -> int:
    """Store planned items (numbered from first_seq); returns how many."""
    batch: list[JobItem] = []
    count = 0
    for seq, item in enumerate(items, start=first_seq):
        item.job, item.seq = job, seq
        batch.append(item)
        count += 1
        if len(batch) == BULK:
            JobItem.objects.bulk_create(batch)
            batch = []
    JobItem.objects.bulk_create(batch)
    return count


def items_counts(job_id: int, q: Q | None = None) -> dict[str, int]:
    agg = JobItem.objects.filter(q or Q(), job_id=job_id).aggregate(n=Count("id"), b=Sum("size"))
    return {"objects": agg["n"] or 0, "bytes": agg["b"] or 0}


def walk(
    run: JobRun, *, window: int, act: Act, intent: bool = True, clear_codes: bool = False
) -> StepResult:
    """Act on the job's pending items, window by window, until done, sliced or stopped.

    With `intent` (a step that must not be done twice), each window is marked "started" before
    it is acted on, for Kind.reconcile after a crash; a kind whose steps are safe to repeat
    saves that write.

    With `clear_codes`, a done item's reason_code (where a kind keeps what its own checks need
    during the run) is emptied by the same UPDATE that marks it done, so the report says only
    what matters without another pass over the job's items.

    An act may start its work on other threads and return a callable that waits for it; all
    database work stays on this thread (act's own queries run before it returns). Without
    `intent`, such an act is started on the next window before the current one is waited for,
    so the threads never idle at a window's end (the windows still commit one at a time, in
    order); a cancel then also lets that next window finish and be counted.
    """
    if not _settle_started(run, clear_codes):
        return Stopped()
    # From the checkpoint on: everything before it is settled (the (job, seq) index).
    batch = _pending(run, run.job.checkpoint, window)
    if not batch:
        return Finished()
    if not _start(run, batch, intent):
        return Stopped()
    acted = act(batch)
    while True:
        ahead = _pending(run, batch[-1].seq, window) if callable(acted) else None
        early = None  # the next window's act, started before this one is waited for
        if ahead and callable(acted) and not intent and not run.sliced():
            if not run.beat():
                return Stopped()
            early = act(ahead)
        if not _commit(run, batch, acted() if callable(acted) else acted, clear=clear_codes):
            return Stopped()
        stop = Stopped() if not run.alive() else Continue() if run.sliced() else None
        if stop is not None:  # cancelled or sliced: what is in flight is committed, no more
            if early is not None and ahead is not None:
                done = early() if callable(early) else early
                if not _commit(run, ahead, done, clear=clear_codes):
                    return Stopped()
            return stop
        if early is not None and ahead is not None:
            batch, acted = ahead, early
            continue
        batch = ahead if ahead is not None else _pending(run, run.job.checkpoint, window)
        if not batch:
            return Finished()
        if not _start(run, batch, intent):
            return Stopped()
        acted = act(batch)


def _start(run: JobRun, batch: list[Item], intent: bool) -> bool:
    return _begin(run, batch) if intent else run.beat()


def _pending(run: JobRun, after: int, window: int) -> list[Item]:
    pending = JobItem.objects.filter(job_id=run.job.pk, seq__gt=after, outcome=ItemOutcome.PENDING)
    return _items(pending.order_by("seq")[:window])


def _items(rows: QuerySet[JobItem]) -> list[Item]:
    return [Item(*row) for row in rows.values_list(*ITEM_FIELDS)]


def _begin(run: JobRun, batch: list[Item]) -> bool:
    with transaction.atomic():
        if not run.beat():
            return False
        JobItem.objects.filter(
            job_id=run.job.pk, outcome=ItemOutcome.PENDING, seq__gte=batch[0].seq,
            seq__lte=batch[-1].seq,
        ).update(outcome=ItemOutcome.STARTED)  # fmt: skip
    return True


def _settle_started(run: JobRun, clear_codes: bool) -> bool:
    """Items a dead run left "started": the kind says which are settled; the rest go again."""
    left = _items(
        JobItem.objects.filter(job_id=run.job.pk, outcome=ItemOutcome.STARTED).order_by("seq")
    )
    if not left:
        return True
    settled = run.kind.reconcile(run, left)
    if not _commit(
        run, [i for i in left if i.seq in settled], settled, final=True, clear=clear_codes
    ):
        return False
    redo = [i.seq for i in left if i.seq not in settled]
    JobItem.objects.filter(job_id=run.job.pk, seq__in=redo).update(outcome=ItemOutcome.PENDING)
    return True


def _commit(
    run: JobRun,
    batch: list[Item],
    results: dict[int, ItemResult],
    *,
    final: bool = False,
    clear: bool = False,
) -> bool:
    """Commit a window's outcomes and the job's counters at once; False if the run lost the job.

    `results` holds the items that were not simply done; with `final` (settling a dead run's
    items), `batch` is exactly the settled items.
    Not conditional on the state: work a cancelled run already did is still counted.
    """
    if not batch:
        return True
    results = {s: r for s, r in results.items() if r.outcome != ItemOutcome.DONE}
    ok = [i for i in batch if i.seq not in results]
    failed = sum(1 for r in results.values() if r.outcome == ItemOutcome.FAILED)
    skipped = len(batch) - len(ok) - failed
    with transaction.atomic():
        checkpoint = run.mine().values_list("checkpoint", flat=True).first()
        if checkpoint is None:
            return False
        # Settling a dead run's items leaves the checkpoint where it was: some of them may have
        # to be done again, and the walk goes on from the checkpoint.
        after = checkpoint if final else max(checkpoint, batch[-1].seq)
        moved = run.mine().filter(checkpoint=checkpoint).update(
            checkpoint=after,
            done=F("done") + len(ok), failed=F("failed") + failed,
            skipped=F("skipped") + skipped, bytes_done=F("bytes_done") + sum(i.size for i in ok),
        )  # fmt: skip
        if moved != 1:
            return False
        run.job.checkpoint = after
        done: dict[str, str] = {
            "outcome": ItemOutcome.DONE,
            **({"reason_code": ""} if clear else {}),
        }
        acting = [ItemOutcome.PENDING, ItemOutcome.STARTED]
        if final:
            JobItem.objects.filter(job_id=run.job.pk, seq__in=[i.seq for i in ok]).update(**done)
        else:
            JobItem.objects.filter(
                job_id=run.job.pk, outcome__in=acting, seq__gte=batch[0].seq,
                seq__lte=batch[-1].seq,
            ).exclude(seq__in=list(results)).update(**done)  # fmt: skip
        _record_results(batch, results)
    return True


def _record_results(batch: list[Item], results: dict[int, ItemResult]) -> None:
    changed = [
        JobItem(id=item.id, outcome=r.outcome, reason_code=r.code, reason=r.reason)
        for item in batch
        if (r := results.get(item.seq)) is not None
    ]
    JobItem.objects.bulk_update(changed, ["outcome", "reason_code", "reason"], batch_size=BULK)


def last_seq(job_id: int) -> int:
    return JobItem.objects.filter(job_id=job_id).aggregate(m=Max("seq"))["m"] or -1
