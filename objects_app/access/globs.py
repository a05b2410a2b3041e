"""CAM wildcards: `*` matches any run of characters; nothing else is special.

Besides plain matching, the "who can read this prefix?" answers need two questions about every
key under a prefix: does a pattern match *all* of them, and can it match *any* of them?
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.S)


def glob_match(pattern: str, text: str) -> bool:
    return compile_glob(pattern).fullmatch(text) is not None


def covers_all_under(pattern: str, prefix: str) -> bool:
    """Does `pattern` match every string that starts with `prefix`?

    Exactly when it ends in `*` and matches `prefix` itself: that trailing `*` absorbs any
    continuation, and without it the last literal character would refuse some continuation.
    """
    return pattern.endswith("*") and glob_match(pattern, prefix)


def matches_some_under(pattern: str, prefix: str) -> bool:
    """Is there a continuation `s` with `pattern` matching `prefix + s`?

    True when `prefix` can be consumed while some (possibly empty) rest of the pattern remains:
    the continuation can always spell out whatever literal characters that rest needs.
    """
    states = {0}
    for ch in prefix:
        states = _closure(pattern, states)
        states = {
            i + (pattern[i] != "*") for i in states if i < len(pattern) and pattern[i] in ("*", ch)
        }
        if not states:
            return False
    return True


def _closure(pattern: str, states: set[int]) -> set[int]:
    """Positions reachable by letting a `*` match nothing."""
    out = set(states)
    todo = list(states)
    while todo:
        i = todo.pop()
        if i < len(pattern) and pattern[i] == "*" and i + 1 not in out:
            out.add(i + 1)
            todo.append(i + 1)
    return out
