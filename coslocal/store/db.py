"""SQLite metadata: schema, one connection per thread, write transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    versioning TEXT NOT NULL DEFAULT '',
    acl TEXT NOT NULL,
    policy TEXT
);
-- Every object version, delete markers included. blobs is a JSON list of [blob_id, size]
-- segments (a completed multipart object keeps its part files; nothing is concatenated).
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,
    is_latest INTEGER NOT NULL,
    is_dm INTEGER NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    etag TEXT NOT NULL DEFAULT '',
    crc64 TEXT,
    blobs TEXT NOT NULL DEFAULT '[]',
    mtime REAL NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    storage_class TEXT NOT NULL DEFAULT 'STANDARD',
    acl TEXT NOT NULL DEFAULT '{}',
    restore TEXT,
    sse TEXT
);
CREATE INDEX IF NOT EXISTS versions_by_key ON versions (bucket, key, id DESC);
CREATE UNIQUE INDEX IF NOT EXISTS versions_by_version ON versions (bucket, key, version_id);
-- The listing index: only live current objects, so GET Bucket is a pure range scan.
CREATE UNIQUE INDEX IF NOT EXISTS versions_current ON versions (bucket, key)
    WHERE is_latest = 1 AND is_dm = 0;
-- Blob files used by more than one version (a copy shares its source's files): the number of
-- references beyond the first. No row: one owner. See store/refs.py.
CREATE TABLE IF NOT EXISTS blob_refs (
    blob TEXT PRIMARY KEY,
    extra INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    initiated REAL NOT NULL,
    headers TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    acl TEXT NOT NULL,
    sse TEXT
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    crc64 TEXT NOT NULL,
    blob TEXT NOT NULL,
    mtime REAL NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
"""


# Columns added after the first release: data directories made before them get them on open.
LATER_COLUMNS = (
    ("buckets", "policy", "TEXT"),
    ("versions", "sse", "TEXT"),  # server-side encryption: JSON, see coslocal/sse.py
    ("uploads", "sse", "TEXT"),
)


def _migrate(conn: sqlite3.Connection) -> None:
    for table, column, decl in LATER_COLUMNS:
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


class Database:
    def __init__(self, path: Path, sync: str = "normal") -> None:
        if sync not in ("normal", "full"):
            raise ValueError(f"unknown sync mode {sync!r}")
        self.path = path
        self.sync = sync.upper()
        self._local = threading.local()
        # Writers of this process queue here: SQLite's own busy handler would make them poll
        # with sleeps of up to 25 ms while another holds the write lock (busy_timeout still
        # covers other processes).
        self._write_lock = threading.Lock()
        conn = self.connection()
        conn.executescript(SCHEMA)
        _migrate(conn)

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL (WAL): a commit survives a crash of the process, kill -9 included, but
            # not of the machine; FULL also fsyncs the WAL at every commit (blob files are
            # fsynced before their row commits either way, so a lost commit leaves an orphan
            # file for the start-up collection, never a row without its bytes).
            conn.execute(f"PRAGMA synchronous={self.sync}")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front, so no upgrade deadlocks."""
        conn = self.connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for multi-statement reads (listings)."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")
