"""Store and listing internals, without HTTP: ordering, seeks, markers, orphan collection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from coslocal import listing
from coslocal.store import NewObject, Store

BUCKET = "unit-1250000000"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data")
    s.create_bucket(BUCKET, {"canned": "private", "grants": []})
    return s


def _put(store: Store, key: str, body: bytes = b"") -> None:
    blobs = []
    if body:
        writer = store.blob_dir.writer()
        writer.write(body)
        writer.finish()
        blobs = [[writer.blob_id, len(body)]]
    store.put_object(
        BUCKET, key, NewObject(len(body), '"e"', "0", blobs, {}, "STANDARD", {}, time.time())
    )


def _page(store: Store, prefix: str = "", delimiter: str = "", marker: str = "", n: int = 1000):
    with store.db.read() as conn:
        return listing.list_objects(conn, BUCKET, prefix, delimiter, marker, n)


def test_successor() -> None:
    assert listing.successor("a/") == "a0"
    assert listing.successor("ab") == "ac"
    assert listing.successor("a\U0010ffff") == "b"
    assert listing.successor("\U0010ffff") is None
    assert listing.successor("\ud7ff") == "\ue000"  # skips the surrogate block


def test_utf8_byte_order(store: Store) -> None:
    keys = ["b", "a", "é", "z", "A", "😀", "ｚ", "a/b"]
    for k in keys:
        _put(store, k)
    got = [r["key"] for r in _page(store).items]
    assert got == sorted(keys, key=lambda k: k.encode())


def test_seek_past_common_prefixes(store: Store) -> None:
    for d in range(5):
        for f in range(300):
            _put(store, f"p/{d}/{f:03d}")
    _put(store, "p/zz")
    statements: list[str] = []
    with store.db.read() as conn:
        conn.set_trace_callback(statements.append)
        page = listing.list_objects(conn, BUCKET, "p/", "/", "", 1000)
        conn.set_trace_callback(None)
    assert page.prefixes == [f"p/{d}/" for d in range(5)]
    assert [r["key"] for r in page.items] == ["p/zz"] and not page.truncated
    # one range query per CommonPrefix plus a couple more: never one per hidden object
    assert len([s for s in statements if s.startswith("SELECT")]) <= 8


def test_truncation_and_markers(store: Store) -> None:
    for i in range(7):
        _put(store, f"k{i}")
    first = _page(store, n=3)
    assert [r["key"] for r in first.items] == ["k0", "k1", "k2"] and first.truncated
    rest = _page(store, marker="k2", n=10)
    assert [r["key"] for r in rest.items] == ["k3", "k4", "k5", "k6"] and not rest.truncated
    exact = _page(store, n=7)
    assert len(exact.items) == 7 and not exact.truncated
    assert _page(store, n=0).items == []


def test_prefix_range_is_tight(store: Store) -> None:
    for k in ["ab", "ab/", "ab/c", "ab0", "abc", "ac", "a\U0010ffffz"]:
        _put(store, k)
    assert [r["key"] for r in _page(store, prefix="ab").items] == [
        "ab",
        "ab/",
        "ab/c",
        "ab0",
        "abc",
    ]
    assert [r["key"] for r in _page(store, prefix="a\U0010ffff").items] == ["a\U0010ffffz"]


def test_overwrite_unlinks_the_old_blob(store: Store) -> None:
    _put(store, "x", b"one")
    _put(store, "x", b"two")
    files = [p for p in (store.data_dir / "blobs").rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == b"two"
    store.delete_object(BUCKET, "x")
    assert not [p for p in (store.data_dir / "blobs").rglob("*") if p.is_file()]


def test_collect_orphans_keeps_referenced_blobs(store: Store) -> None:
    _put(store, "kept", b"data")
    writer = store.blob_dir.writer()
    writer.write(b"never committed")
    writer.finish()
    half = store.blob_dir.writer()
    half.write(b"crash mid-write")  # left in tmp/
    assert store.collect_orphans() == 1
    files = [p for p in (store.data_dir / "blobs").rglob("*") if p.is_file()]
    assert [f.read_bytes() for f in files] == [b"data"]
    assert list((store.data_dir / "tmp").iterdir()) == []


def test_blob_writer_hashes_across_threads(store: Store) -> None:
    import hashlib
    import os

    from fastcrc import crc64

    chunks = [os.urandom(1 << 20) for _ in range(20)]
    writer = store.blob_dir.writer()
    for c in chunks:
        writer.write(c)
    whole = b"".join(chunks)
    assert writer.md5.hexdigest() == hashlib.md5(whole).hexdigest()
    assert writer.crc64 == str(crc64.xz(whole))
    writer.finish()
    assert store.blob_dir.path(writer.blob_id).read_bytes() == whole


def test_put_objects_bulk(store: Store) -> None:
    _put(store, "b/0001", b"old body")
    assert store.put_objects_bulk(BUCKET, (f"b/{i:04d}" for i in range(2500)), batch=1000) == 2500
    page = _page(store, prefix="b/", n=1000)
    assert len(page.items) == 1000 and page.truncated
    obj = store.get_object(BUCKET, "b/0001")
    assert obj.size == 0 and obj.blobs == []
    assert not [p for p in (store.data_dir / "blobs").rglob("*") if p.is_file()]
    store.set_versioning(BUCKET, "Enabled")
    with pytest.raises(ValueError):
        store.put_objects_bulk(BUCKET, ["x"])


def _listing_steps(store: Store, key_marker: str, version_marker: str) -> tuple[list, int]:
    """A version listing resumed inside a key (3 entries), and how many SQLite VM steps (in
    hundreds) it took: a measure of the rows read, independent of the machine's speed."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    with store.db.read() as conn:
        conn.set_progress_handler(count, 100)
        page = listing.list_versions(conn, BUCKET, "k", "", key_marker, version_marker, 3)
        conn.set_progress_handler(None, 0)
    return [(r["key"], r["version_id"]) for r in page.items], steps[0]


def test_a_version_listing_resumed_inside_a_key_seeks_to_that_key(store: Store) -> None:
    """Resuming after a version-id marker must seek to the marker's key: SQLite read the index
    from the bucket's first key before, so a page deep in a big bucket cost time in proportion
    to its position (as one listing per key in a folder rewind's checks did)."""
    store.set_versioning(BUCKET, "Enabled")
    with store.db.write() as conn:
        conn.executemany(
            "INSERT INTO versions (bucket, key, version_id, is_latest, is_dm, mtime)"
            " VALUES (?, ?, ?, ?, 0, 0)",
            [(BUCKET, f"k{i:05d}", f"v{v}", int(v == 1)) for i in range(3000) for v in (0, 1)],
        )
    shallow, near = _listing_steps(store, "k00010", "v1")
    deep, far = _listing_steps(store, "k02990", "v1")
    assert shallow == [("k00010", "v0"), ("k00011", "v1"), ("k00011", "v0")]
    assert deep == [("k02990", "v0"), ("k02991", "v1"), ("k02991", "v0")]
    assert far <= 2 * near + 5, (near, far)


def test_sync_mode_is_chosen_by_the_server_option(tmp_path: Path) -> None:
    from coslocal.config import parse_config

    base = ["--data", str(tmp_path / "d"), "--secret-id", "i", "--secret-key", "k"]
    assert parse_config(base).sync == "normal"
    config = parse_config([*base, "--sync", "full"])
    mode = Store(config.data_dir, config.sync).conn().execute("PRAGMA synchronous").fetchone()[0]
    assert mode == 2  # FULL
    assert Store(tmp_path / "n").conn().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    with pytest.raises(SystemExit):
        parse_config([*base, "--sync", "off"])
