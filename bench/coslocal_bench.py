"""coslocal benchmark: PUT/GET throughput vs `cp`, server peak RSS, first-page listing latency.

Usage: .venv/bin/python bench/coslocal_bench.py [--size-mib 1024] [--objects 1000,100000,1000000]

The HTTP client here is deliberately thin (raw socket + sendfile/recv_into, signed by the official
SDK's get_auth) so the numbers measure the server, not the client's 8 KiB send loop.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qcloud_cos import CosConfig, CosS3Client  # noqa: E402

from coslocal.store import Store  # noqa: E402
from coslocal.testing import CoslocalServer  # noqa: E402

BUCKET = "bench-1250000000"
HOST = f"{BUCKET}.cos.ap-guangzhou.myqcloud.com"
MIB = 1024 * 1024


class RssSampler(threading.Thread):
    """Samples the server's resident memory (arbiter + worker) every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak_worker = 0
        self.peak_total = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                rss = [p.memory_info().rss for p in procs]
            except psutil.Error:
                break
            self.peak_total = max(self.peak_total, sum(rss))
            self.peak_worker = max(self.peak_worker, max(rss[1:], default=0))
            time.sleep(0.02)


def _signer(srv: CoslocalServer) -> CosS3Client:
    conf = CosConfig(
        Region="ap-guangzhou", SecretId=srv.secret_id, SecretKey=srv.secret_key, Scheme="http"
    )
    return CosS3Client(conf)


def _read_response(sock: socket.socket) -> tuple[int, int]:
    """Read status line + headers; return (status, content-length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed early")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        (
            int(v)
            for k, _, v in (ln.partition(":") for ln in lines[1:])
            if k.lower() == "content-length"
        ),
        0,
    )
    return status, length - len(rest)


def put_file(srv: CoslocalServer, key: str, path: Path) -> float:
    size = path.stat().st_size
    auth = _signer(srv).get_auth(
        Method="PUT", Bucket=BUCKET, Key=key, Headers={"Host": HOST, "Content-Length": str(size)}
    )
    head = (
        f"PUT /{key} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {size}\r\n"
        f"Authorization: {auth}\r\n\r\n"
    ).encode()
    started = time.perf_counter()
    with socket.create_connection((srv.host, srv.port)) as sock, path.open("rb") as f:
        sock.sendall(head)
        sock.sendfile(f)
        status, _ = _read_response(sock)
    elapsed = time.perf_counter() - started
    assert status == 200, status
    return elapsed


def get_object(srv: CoslocalServer, key: str) -> tuple[float, int]:
    auth = _signer(srv).get_auth(Method="GET", Bucket=BUCKET, Key=key, Headers={"Host": HOST})
    head = f"GET /{key} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\n\r\n".encode()
    buf = bytearray(4 * MIB)
    started = time.perf_counter()
    with socket.create_connection((srv.host, srv.port)) as sock:
        sock.sendall(head)
        status, remaining = _read_response(sock)
        total = 0
        while remaining > 0:
            n = sock.recv_into(buf, min(len(buf), remaining))
            if not n:
                raise ConnectionError("short body")
            remaining -= n
            total += n
    elapsed = time.perf_counter() - started
    assert status == 200, status
    return elapsed, total


def make_source(path: Path, size: int) -> None:
    block = os.urandom(8 * MIB)
    with path.open("wb") as f:
        written = 0
        while written < size:
            n = min(len(block), size - written)
            f.write(block[:n])
            written += n


def time_cp(src: Path, dst: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    elapsed = time.perf_counter() - started
    dst.unlink()
    return elapsed


def time_cp_fsync(src: Path, dst: Path) -> float:
    """cp, then fsync the copy: what a durable write of the same bytes costs."""
    started = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    elapsed = time.perf_counter() - started
    dst.unlink()
    return elapsed


def time_md5(src: Path) -> float:
    """hashlib MD5 over the file in 1 MiB chunks: the ceiling for any server that sends ETags."""
    started = time.perf_counter()
    digest = hashlib.md5()
    with src.open("rb") as f:
        while chunk := f.read(MIB):
            digest.update(chunk)
    return time.perf_counter() - started


def seed_listing(data: Path, counts: list[int]) -> float:
    """Seed objects through the store's bulk insert (HTTP would take hours for 1M); keys/s."""
    store = Store(data)
    store.create_bucket(BUCKET, {"canned": "private", "grants": []})
    started = time.perf_counter()
    # 1000 "folders" under every prefix, so each first page is full either way: 1000 keys
    # without a delimiter, 1000 CommonPrefixes (1000 index seeks) with one.
    total = sum(
        store.put_objects_bulk(BUCKET, (f"n{c}/d{i % 1000:04d}/f{i // 1000:07d}" for i in range(c)))
        for c in counts
    )
    return total / (time.perf_counter() - started)


def list_latency(srv: CoslocalServer, prefix: str, delimiter: str, repeats: int = 15) -> float:
    """Median time for one signed GET Bucket (max-keys=1000) until the whole body is read."""
    import requests

    params = {"prefix": prefix, "delimiter": delimiter, "max-keys": "1000", "encoding-type": "url"}
    signer = _signer(srv)
    session = requests.Session()
    times = []
    for _ in range(repeats):
        auth = signer.get_auth(
            Method="GET", Bucket=BUCKET, Key="/", Params=params, Headers={"Host": HOST}
        )
        started = time.perf_counter()
        resp = session.get(
            f"{srv.endpoint_url}/",
            params=params,
            headers={"Host": HOST, "Authorization": auth},
            timeout=60,
        )
        body = resp.content
        times.append(time.perf_counter() - started)
        assert resp.status_code == 200 and body.count(b"<Key>") + body.count(b"<Prefix>") > 1000
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--objects", default="1000,100000,1000000")
    args = parser.parse_args()
    counts = [int(c) for c in args.objects.split(",")]
    size = args.size_mib * MIB
    # Under var/ (the repository's disk, as `cp` is measured there); a fresh clone has none yet.
    (ROOT / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="coslocal-bench-", dir=ROOT / "var"))
    try:
        return run(work, size, counts)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, size: int, counts: list[int]) -> int:
    src = work / "source.bin"
    make_source(src, size)
    cp_time = min(time_cp(src, work / "copy.bin") for _ in range(2))
    cp_sync_time = min(time_cp_fsync(src, work / "copy.bin") for _ in range(2))
    md5_time = min(time_md5(src) for _ in range(2))
    data = work / "data"
    seed_rate = seed_listing(data, counts)
    srv = CoslocalServer(data).start()
    sampler = RssSampler(srv.pid)
    sampler.start()
    try:
        put_time = min(put_file(srv, f"big{i}", src) for i in range(2))
        get_time, got = min(get_object(srv, "big0") for _ in range(2))
        assert got >= size - 65536, got  # (the header read may have taken the first bytes)
        listing = {(c, d): list_latency(srv, f"n{c}/", d) for c in counts for d in ("/", "")}
    finally:
        sampler.running = False
        sampler.join()
        srv.stop()
    mbps = size / MIB
    rows = [
        ("cp (same disk)", f"{mbps / cp_time:,.0f} MB/s", "reference"),
        ("cp + fsync (same disk)", f"{mbps / cp_sync_time:,.0f} MB/s", "durable copy"),
        ("MD5 alone (hashlib)", f"{mbps / md5_time:,.0f} MB/s", "ceiling for ETag-computing PUT"),
        (
            "PUT 1 object",
            f"{mbps / put_time:,.0f} MB/s",
            f"{cp_time / put_time:.0%} of cp (goal >= 40%), "
            f"{cp_sync_time / put_time:.0%} of cp+fsync, {md5_time / put_time:.0%} of MD5",
        ),
        (
            "GET 1 object",
            f"{mbps / get_time:,.0f} MB/s",
            f"{cp_time / get_time:.0%} of cp (goal >= 40%)",
        ),
        ("server peak RSS (worker)", f"{sampler.peak_worker / MIB:,.0f} MB", "goal < 150 MB"),
        ("server peak RSS (arbiter+worker)", f"{sampler.peak_total / MIB:,.0f} MB", ""),
    ]
    base = {d: listing[(counts[0], d)] for d in ("/", "")}
    for (count, d), ms in listing.items():
        label = f"first page, {count:,} objects, " + ("delimiter '/'" if d else "no delimiter")
        rows.append(
            (label, f"{ms:.1f} ms", f"{ms / base[d]:.2f}x the {counts[0]:,} case (goal <= 2x)")
        )
    width = max(len(r[0]) for r in rows)
    print(f"coslocal benchmark: object size {mbps:,.0f} MiB, data dir on {work}")
    print(f"  (listing objects seeded with Store.put_objects_bulk at {seed_rate:,.0f} keys/s)")
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>12}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
