"""What a key's history means for the version jobs (issue 12), decided from its listing alone.

A key's versions arrive newest first, page after page, and a page may end inside a key. Each
planner here reads that stream once and keeps only a small carry (JSON, stored with the job's
listing marker), so a dry run resumes mid-key after a crash and never holds a whole history.

- `RewindPlanner`: for each key, the state it had at time T, and what makes it so again: make
  version V current (copy it onto the key), add a delete marker, or nothing.
- `NoncurrentPlanner`: the noncurrent versions to delete: beyond the newest K noncurrent ones
  and/or noncurrent for more than N days. The current version is never chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from objects_app.selectors.versions import VersionRow

COPY, MARKER, NOTHING = "copy", "marker", "nothing"


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _when(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- rewind ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewindStep:
    key: str
    action: str  # COPY, MARKER or NOTHING
    version_id: str  # COPY: the version to make current
    size: int  # COPY: its size (the bytes the copy writes)
    seen_id: str  # the current version (or delete marker) id when the plan looked; "" if none
    seen_deleted: bool  # the key's latest entry was a delete marker
    storage_class: str = ""  # COPY: the version's storage class (the copy keeps it)


@dataclass
class _RewindCarry:
    key: str = ""
    seen_id: str = ""
    seen_deleted: bool = False
    decided: bool = False


class RewindPlanner:
    """Feed rows in listing order; collect the steps of every key whose decision is made."""

    def __init__(self, at: datetime, carry: dict[str, Any] | None = None) -> None:
        self.at = at
        self.state = _RewindCarry(**(carry or {}))

    def carry(self) -> dict[str, Any]:
        return asdict(self.state)

    def feed(self, rows: Iterable[VersionRow]) -> list[RewindStep]:
        steps: list[RewindStep] = []
        for row in rows:
            if row.key != self.state.key:
                steps += self._end_key()
                self.state = _RewindCarry(row.key, row.version_id or "null", row.is_delete_marker)
            if self.state.decided or row.last_modified is None or row.last_modified > self.at:
                continue
            steps.append(self._decide(row))
            self.state.decided = True
        return steps

    def finish(self) -> list[RewindStep]:
        """The listing ended: the last key's decision, if it is still open."""
        steps = self._end_key()
        self.state = _RewindCarry()
        return steps

    def _step(self, action: str, row: VersionRow | None = None) -> RewindStep:
        s = self.state
        version = (row.version_id or "null") if row and action == COPY else ""
        size = row.size if row and action == COPY else 0
        storage = row.storage_class if row and action == COPY else ""
        return RewindStep(s.key, action, version, size, s.seen_id, s.seen_deleted, storage)

    def _decide(self, row: VersionRow) -> RewindStep:
        """`row` is the key's newest entry at T."""
        if row.is_delete_marker:  # deleted at T
            return self._step(NOTHING if self.state.seen_deleted else MARKER)
        if (row.version_id or "null") == self.state.seen_id:
            return self._step(NOTHING)  # the version current at T is current now
        return self._step(COPY, row)

    def _end_key(self) -> list[RewindStep]:
        if not self.state.key or self.state.decided:
            return []
        # No entry at or before T: the key did not exist then.
        return [self._step(NOTHING if self.state.seen_deleted else MARKER)]


# --- delete noncurrent versions ------------------------------------------------------------------


@dataclass(frozen=True)
class Doomed:
    key: str
    version_id: str
    size: int
    noncurrent_since: datetime | None
    key_deleted: bool  # the key's latest entry is a delete marker (no undelete after this)
    head: datetime | None = None  # LastModified of the key's latest entry when planned


@dataclass
class _NoncurrentCarry:
    key: str = ""
    rank: int = 0  # noncurrent versions of the key seen so far (newest first)
    newer: str = ""  # LastModified of the entry just newer than the next one (ISO)
    deleted: bool = False
    kept: int = 0  # noncurrent versions looked at and kept, over the whole plan so far
    head: str = ""  # LastModified of the key's latest entry (ISO)


@dataclass
class NoncurrentPlanner:
    """Noncurrent versions to delete: rank > keep (if given) and noncurrent since before
    `cutoff` (if given); with both, a version must meet both (as S3 lifecycle rules do)."""

    keep: int | None
    cutoff: datetime | None
    carry_in: dict[str, Any] | None = None
    state: _NoncurrentCarry = field(init=False)

    def __post_init__(self) -> None:
        if self.keep is None and self.cutoff is None:
            raise ValueError("a noncurrent plan needs a count to keep or an age")
        self.state = _NoncurrentCarry(**(self.carry_in or {}))

    def carry(self) -> dict[str, Any]:
        return asdict(self.state)

    def feed(self, rows: Iterable[VersionRow]) -> list[Doomed]:
        doomed: list[Doomed] = []
        for row in rows:
            if row.key != self.state.key:
                # A key's first entry is its latest (current, or a delete marker): never doomed.
                kept, head = self.state.kept, _iso(row.last_modified)
                self.state = _NoncurrentCarry(row.key, 0, head, row.is_delete_marker, kept, head)
                continue
            since = _when(self.state.newer)
            self.state.newer = _iso(row.last_modified)
            if row.is_delete_marker or row.is_latest:
                continue
            self.state.rank += 1
            if self._doomed(since):
                doomed.append(Doomed(row.key, row.version_id or "null", row.size, since,
                                     self.state.deleted, _when(self.state.head)))  # fmt: skip
            else:
                self.state.kept += 1
        return doomed

    def _doomed(self, since: datetime | None) -> bool:
        beyond = self.keep is None or self.state.rank > self.keep
        old = self.cutoff is None or (since is not None and since < self.cutoff)
        return beyond and old


def cutoff_for(days: int | None, now: datetime) -> datetime | None:
    return None if days is None else now - timedelta(days=days)
