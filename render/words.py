"""Counts in messages: "1 chapter", "2 chapters", never "1 chapters" or "chapter(s)".

One helper for every message, page and deck that states a count, so the rule lives in one place.
(The scenes spell their own: they import only scenes/common.py and scenes/widgets.py, whose code
is part of every clip's key.)
"""

from __future__ import annotations


def plural(n: float, word: str, many: str | None = None) -> str:
    """`n` and `word`, in the plural unless `n` is 1: plural(1, "chapter") -> "1 chapter",
    plural(3, "trajectory", "trajectories") -> "3 trajectories" (`many` for a plural that is not word + "s")."""
    shown = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{shown} {word if n == 1 else many or word + 's'}"
