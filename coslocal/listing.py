"""Listings as index range scans that seek past common prefixes instead of reading them.

A CommonPrefix "p/" is reported once, then the scan jumps to the smallest key greater than every
key starting with "p/" (its last character incremented), so a page costs O(page size) queries no
matter how many objects sit under each prefix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_CODEPOINT = 0x10FFFF


def successor(s: str) -> str | None:
    """Smallest string sorting after every string that starts with s (UTF-8 = code point order)."""
    while s:
        code = ord(s[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates never occur in stored keys
            code = 0xE000
        if code <= MAX_CODEPOINT:
            return s[:-1] + chr(code)
        s = s[:-1]
    return None


@dataclass
class Page:
    items: list[Any] = field(default_factory=list)  # sqlite rows, in key order
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    last: tuple[str, Any] | None = None  # ('key', row) or ('prefix', str) of the last entry


@dataclass
class _Cursor:
    key: str | None  # scan position
    inclusive: bool
    row_id: int | None = None  # versions: continue inside this key below this row id


def common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    idx = key.find(delimiter, len(prefix))
    return None if idx < 0 else key[: idx + len(delimiter)]


def _start(prefix: str, delimiter: str, marker: str) -> _Cursor:
    if marker and marker >= prefix:
        cp = common_prefix(marker, prefix, delimiter) if marker.startswith(prefix) else None
        if cp is not None:
            return _Cursor(successor(cp), True)
        return _Cursor(marker, False)
    return _Cursor(prefix, True)


def _range_sql(cur: _Cursor, hi: str | None, args: list[Any]) -> str:
    sql = ""
    if cur.row_id is not None:
        # "key >= ?" first: without it SQLite cannot bound the index range by the OR and
        # scans the bucket from its first key (a page deep in a big bucket took ~10 ms).
        sql += " AND key >= ? AND ((key = ? AND id < ?) OR key > ?)"
        args += [cur.key, cur.key, cur.row_id, cur.key]
    elif cur.key is not None:
        sql += " AND key >= ?" if cur.inclusive else " AND key > ?"
        args.append(cur.key)
    if hi is not None:
        sql += " AND key < ?"
        args.append(hi)
    return sql


_OBJECTS = (
    "SELECT key, size, etag, mtime, storage_class, restore FROM versions"
    " INDEXED BY versions_current WHERE bucket = ? AND is_latest = 1 AND is_dm = 0"
)
_VERSIONS = (
    "SELECT id, key, version_id, is_latest, is_dm, size, etag, mtime, storage_class, restore"
    " FROM versions WHERE bucket = ?"
)


def _scan(
    conn: sqlite3.Connection,
    base: str,
    order: str,
    bucket: str,
    prefix: str,
    delimiter: str,
    cur: _Cursor | None,
    max_keys: int,
) -> Page:
    page = Page()
    hi = successor(prefix) if prefix else None
    while cur is not None and len(page.items) + len(page.prefixes) < max_keys:
        want = max_keys - len(page.items) - len(page.prefixes)
        args: list[Any] = [bucket]
        sql = base + _range_sql(cur, hi, args) + f" ORDER BY {order} LIMIT ?"
        # Iterate the cursor rather than fetchall(): after a CommonPrefix we stop stepping and
        # seek past it, so rows inside the prefix are never read.
        cur = _consume(conn.execute(sql, [*args, want]), page, prefix, delimiter)
    if cur is not None:
        args = [bucket]
        sql = base + _range_sql(cur, hi, args) + " LIMIT 1"
        page.truncated = conn.execute(sql, args).fetchone() is not None
    return page


def _consume(rows: Iterable[Any], page: Page, prefix: str, delimiter: str) -> _Cursor | None:
    """Take rows until a CommonPrefix forces a seek; None when the range is exhausted."""
    last = None
    for row in rows:
        cp = common_prefix(row["key"], prefix, delimiter)
        if cp is not None:
            page.prefixes.append(cp)
            page.last = ("prefix", cp)
            nxt = successor(cp)
            return None if nxt is None else _Cursor(nxt, True)
        page.items.append(row)
        page.last = ("key", row)
        last = row
    if last is None:
        return None
    if "id" in last.keys():  # noqa: SIM118 - sqlite3.Row has no __contains__ for names
        return _Cursor(last["key"], False, last["id"])
    return _Cursor(last["key"], False)


def list_objects(
    conn: sqlite3.Connection, bucket: str, prefix: str, delimiter: str, marker: str, max_keys: int
) -> Page:
    if max_keys <= 0:
        return Page()
    return _scan(
        conn,
        _OBJECTS,
        "key",
        bucket,
        prefix,
        delimiter,
        _start(prefix, delimiter, marker),
        max_keys,
    )


def list_versions(
    conn: sqlite3.Connection,
    bucket: str,
    prefix: str,
    delimiter: str,
    key_marker: str,
    version_marker: str,
    max_keys: int,
) -> Page:
    if max_keys <= 0:
        return Page()
    cur = _start(prefix, delimiter, key_marker)
    if key_marker and version_marker and not cur.inclusive:
        row = conn.execute(
            "SELECT id FROM versions WHERE bucket=? AND key=? AND version_id=?",
            (bucket, key_marker, version_marker),
        ).fetchone()
        if row is not None:
            cur = _Cursor(key_marker, False, row[0])
    return _scan(conn, _VERSIONS, "key, id DESC", bucket, prefix, delimiter, cur, max_keys)
