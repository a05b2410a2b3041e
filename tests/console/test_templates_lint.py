"""Template mistakes that render as visible text instead of failing."""

from __future__ import annotations

from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_multi_line_hash_comments(path: Path) -> None:
    """`{# ... #}` must open and close on one line; otherwise Django prints it on the page."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if "{#" in line:
            assert "#}" in line[line.index("{#") :], f"{path.name}:{number} multi-line {{# comment"
