"""Blob files shared by several versions: a copy of a whole object references its source's blob
files instead of copying the bytes (blobs are immutable, so sharing is safe).

`blob_refs` counts only the EXTRA references of a shared blob; a blob without a row there has
exactly one owner (every blob written before sharing existed too). A blob file is unlinked only
when its last reference goes: `release` says which. Both run inside the caller's write
transaction, so the counts and the rows they count always commit together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def share(conn: sqlite3.Connection, blob_ids: Iterable[str]) -> None:
    """One more reference to each blob (a new version row about to use it)."""
    conn.executemany(
        "INSERT INTO blob_refs (blob, extra) VALUES (?, 1)"
        " ON CONFLICT(blob) DO UPDATE SET extra = extra + 1",
        [(b,) for b in blob_ids],
    )


def release(conn: sqlite3.Connection, blob_ids: Iterable[str]) -> list[str]:
    """One reference fewer to each blob (its row is being deleted); the blobs nobody uses any
    more, whose files the caller unlinks after the commit."""
    freed: list[str] = []
    for blob in blob_ids:
        row = conn.execute("SELECT extra FROM blob_refs WHERE blob=?", (blob,)).fetchone()
        if row is None:
            freed.append(blob)
        elif row[0] > 1:
            conn.execute("UPDATE blob_refs SET extra = extra - 1 WHERE blob=?", (blob,))
        else:
            conn.execute("DELETE FROM blob_refs WHERE blob=?", (blob,))
    return freed
