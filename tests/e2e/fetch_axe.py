"""Fetch the pinned axe-core release from the npm registry into var/cache (once).

Run by `make axe` (part of `make test`), outside pytest: tests never reach beyond loopback. The
tarball is checked against the integrity hash the registry publishes for this version.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "var" / "cache" / f"axe-core-{VERSION}" / "axe.min.js"


def fetch() -> Path:
    if TARGET.exists():
        return TARGET
    with urllib.request.urlopen(TARBALL, timeout=60) as response:  # noqa: S310 (fixed https URL)
        data = response.read()
    algorithm, _, expected = INTEGRITY.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"axe-core {VERSION}: integrity mismatch ({digest} != {expected})")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise SystemExit("axe-core tarball has no package/axe.min.js")
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        TARGET.write_bytes(member.read())
    return TARGET


if __name__ == "__main__":
    print(fetch().relative_to(ROOT), file=sys.stderr)
