"""Benchmark: upload_file / download_file of one file, our client vs the official SDK.

Both run against the same coslocal server and the same file, each measurement in its own
subprocess (so peak RSS is that transfer's alone), at each client's default settings.

    .venv/bin/python bench/client_bench.py [--size-mb 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coslocal.testing import DEFAULT_SECRET_ID as SECRET_ID  # noqa: E402
from coslocal.testing import DEFAULT_SECRET_KEY as SECRET_KEY  # noqa: E402
from coslocal.testing import CoslocalServer  # noqa: E402

REGION = "ap-guangzhou"
BUCKET = "bench-1250000000"
MB = 1024 * 1024


def make_client(impl: str, port: int):  # type: ignore[no-untyped-def]
    if impl == "ours":
        from objects_app.cos import CosConfig, CosS3Client
    else:
        from qcloud_cos import CosConfig, CosS3Client  # type: ignore[no-redef]
    conf = CosConfig(
        Region=REGION,
        SecretId=SECRET_ID,
        SecretKey=SECRET_KEY,
        Scheme="http",
        IP="127.0.0.1",
        Port=port,
    )
    return CosS3Client(conf)


def worker(impl: str, op: str, port: int, path: str, key: str) -> None:
    """Run one transfer at default settings; print seconds and peak RSS as JSON."""
    import logging

    logging.getLogger("qcloud_cos").setLevel(logging.WARNING)  # the SDK logs INFO per request
    client = make_client(impl, port)
    started = time.perf_counter()
    if op == "upload":
        client.upload_file(Bucket=BUCKET, Key=key, LocalFilePath=path)
    else:
        client.download_file(Bucket=BUCKET, Key=key, DestFilePath=path)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb}))


def measure(impl: str, op: str, port: int, path: Path, key: str) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", impl, op, str(port), str(path), key]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(8 * MB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def make_file(path: Path, size: int) -> None:
    block = os.urandom(4 * MB)
    with open(path, "wb") as fp:
        for offset in range(0, size, len(block)):
            fp.write(block[: min(len(block), size - offset)])


def run(size_mb: int, workdir: Path, rounds: int) -> None:
    size = size_mb * MB
    source = workdir / "source.bin"
    make_file(source, size)
    expected = md5_of(source)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    ok = {"ours": True, "sdk": True}
    with CoslocalServer(workdir / "coslocal", secret_id=SECRET_ID, secret_key=SECRET_KEY) as server:
        make_client("ours", server.port).create_bucket(Bucket=BUCKET)
        for n in range(rounds):
            order = ("sdk", "ours") if n % 2 == 0 else ("ours", "sdk")  # alternate who goes first
            for impl in order:
                key = f"{impl}/{n}/source.bin"
                dest = workdir / f"{impl}-{n}.out"
                for op, path in (("upload", source), ("download", dest)):
                    os.sync()  # start each run with no dirty pages left by the previous one
                    results.setdefault((impl, op), []).append(
                        measure(impl, op, server.port, path, key)
                    )
                ok[impl] = ok[impl] and md5_of(dest) == expected
                dest.unlink()  # keep the page cache and disk from filling up between runs
                make_client("ours", server.port).delete_object(Bucket=BUCKET, Key=key)
    report(size_mb, rounds, results, ok)


def report(
    size_mb: int,
    rounds: int,
    results: dict[tuple[str, str], list[dict[str, float]]],
    ok: dict[str, bool],
) -> None:
    def mbps(impl: str, op: str) -> float:
        return statistics.median(size_mb / r["seconds"] for r in results[impl, op])

    def rss(impl: str, op: str) -> float:
        return max(r["rss_mb"] for r in results[impl, op])

    print(
        f"\n{size_mb} MiB file, coslocal on 127.0.0.1, each client at its defaults, "
        f"median of {rounds} runs (peak RSS: max)\n"
    )
    print(
        f"{'client':<6} {'upload MB/s':>12} {'up RSS MB':>10} {'download MB/s':>14} "
        f"{'down RSS MB':>12} {'content ok':>11}"
    )
    for impl in ("sdk", "ours"):
        print(
            f"{impl:<6} {mbps(impl, 'upload'):>12.1f} {rss(impl, 'upload'):>10.0f} "
            f"{mbps(impl, 'download'):>14.1f} {rss(impl, 'download'):>12.0f} {str(ok[impl]):>11}"
        )
    for op in ("upload", "download"):
        runs = ", ".join(
            f"{impl} " + "/".join(f"{size_mb / r['seconds']:.0f}" for r in results[impl, op])
            for impl in ("sdk", "ours")
        )
        print(f"{op}: ours/sdk = {mbps('ours', op) / mbps('sdk', op):.2f}x   (runs MB/s: {runs})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        impl, op, port, path, key = sys.argv[2:7]
        worker(impl, op, int(port), path, key)
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None, help="work directory (default: a temp dir)")
    args = parser.parse_args()
    if args.dir:
        run(args.size_mb, Path(args.dir), args.rounds)
        return
    with tempfile.TemporaryDirectory(prefix="client-bench-") as tmp:
        run(args.size_mb, Path(tmp), args.rounds)


if __name__ == "__main__":
    main()
