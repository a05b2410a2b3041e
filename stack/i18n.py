"""Compile the translation catalogues (locale/*/LC_MESSAGES/*.po -> .mo) with polib.

`make run` and `make test` call this, so a machine without GNU gettext (msgfmt) still serves
the Chinese console; `make messages` regenerates the .po files from the source (that step needs
gettext, which `make messages` installs on Debian when missing).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def compile_catalogues(root: Path = ROOT) -> list[Path]:
    compiled = []
    for po_path in sorted((root / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        # Written aside, then renamed: a session running beside this one never reads half a file.
        partial = mo_path.parent / f"{mo_path.name}.{os.getpid()}"
        polib.pofile(str(po_path)).save_as_mofile(str(partial))
        os.replace(partial, mo_path)
        compiled.append(mo_path)
    return compiled


if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"compiled {path.relative_to(ROOT)}", file=sys.stderr)
