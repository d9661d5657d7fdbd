"""What is wrong with a storyboard: problems with file:line:col, and the error that carries them all."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from render.words import plural


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a storyboard file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}"


class StoryboardError(Exception):
    """The storyboard cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.field))
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        where = self.problems[0].file if self.problems else "storyboard"
        head = f"{where}: {plural(n, 'problem')} in the storyboard:"
        return "\n".join([head, *(str(p) for p in self.problems)])

    def __str__(self) -> str:
        return self._text()


@dataclass(frozen=True)
class PromptRef:
    """A prompt in a loaded storyboard and where it was written."""

    field: str
    text: str
    line: int
    column: int


def suggest(word: str, choices: Any) -> str:
    """'; did you mean 'x'?' for the closest choice, or '; did you mean 'x' or 'y'?' when a second is nearly as
    close (`prompt_a`: `to_prompt` or `from_prompt`), else '.' (so a sentence can follow)."""
    word, choices = str(word), [str(c) for c in choices]
    match = difflib.get_close_matches(word, choices, n=2, cutoff=0.6)
    if not match:
        return "."
    ratios = [difflib.SequenceMatcher(None, word, m).ratio() for m in match]
    named = match if len(match) == 2 and ratios[0] - ratios[1] <= 0.1 else match[:1]
    return f"; did you mean {' or '.join(repr(m) for m in named)}?"
