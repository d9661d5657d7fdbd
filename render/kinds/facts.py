"""Facts and claims: what a chapter's narration may say, measured from what was recorded.

A kind measures *facts* from its recordings (`Kind.measure`): named values such as the fewest
steps after which the picture settles, or how many of the seeds' images show what the prompt
names. Narration inserts a fact as words with a placeholder, `{settle_steps}` -> "eight", so a
sentence follows the data when the model, a seed or a prompt changes; subtitles and the web page
show the same words.

A narration beat can also state *claims*: named checks that its kind defines, each reading one
fact and holding or not by a rule fixed in the kind (not in the storyboard), worded to match the
sentence it supports ("every" means all of them). A claim about the model rather than the shown
sample is `general`: it is checked on the chapter's own seeds and on `VERIFY_SEEDS` more that the
tool draws itself (`verification_seeds`), so a chapter's seeds cannot be picked to make it true.
A fact the model cannot give (a shape, for a model without a reader) is None, and every claim on
it "cannot check".

No torch here: kinds, the storyboard checks and the verify table read this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

VERIFY_SEEDS = 8  # the seeds a general claim is checked on beyond the chapter's own

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))

# {name} inserts a fact; {{ and }} are literal braces.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


# ---- numbers in words ---------------------------------------------------------------------------


def in_words(n: int) -> str:
    """A non-negative integer in words: 118000 -> "one hundred eighteen thousand"."""
    if n < 0:
        return "minus " + in_words(-n)
    for scale, name in _SCALES:
        if n >= scale:
            high, low = divmod(n, scale)
            return f"{in_words(high)} {name}" + (f" {in_words(low)}" if low else "")
    hundreds, rest = divmod(n, 100)
    words = [f"{_ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        words.append(_TENS[rest // 10] + (f"-{_ONES[rest % 10]}" if rest % 10 else ""))
    elif rest or not words:
        words.append(_ONES[rest])
    return " ".join(words)


def approximate_in_words(n: int, significant: int = 3) -> str:
    """A non-negative integer in words, rounded to its leading digits: 118370 -> "about one hundred
    eighteen thousand" (no "about" when nothing was rounded away)."""
    drop = max(len(str(n)) - significant, 0)
    rounded = (n + 10**drop // 2) // 10**drop * 10**drop
    return ("" if rounded == n else "about ") + in_words(rounded)


def number_words(x: float) -> str:
    """A number as it is spoken: 8 -> "eight", 1.5 -> "one and a half", 2.98 -> "about three",
    3.3 -> "three point three"."""
    if not math.isfinite(x):
        return "infinitely many" if x > 0 else "minus infinity"
    nearest = round(x)
    if abs(x - nearest) < 1e-9:
        return in_words(int(nearest))
    if abs(x - nearest) <= 0.05 * max(1.0, abs(x)):
        return f"about {in_words(int(nearest))}"
    whole, half = int(math.floor(x)), x - math.floor(x)
    if abs(half - 0.5) < 0.05 and whole >= 0:
        return "one half" if whole == 0 else f"{in_words(whole)} and a half"
    tenths = round(x, 1)
    left, right = f"{tenths:.1f}".split(".")
    return f"{in_words(int(left))} point {in_words(int(right))}"


def count_of(count: int, total: int) -> str:
    """'all eight', 'none of the eight', 'six of the eight'."""
    if total > 0 and count == total:
        return "both" if total == 2 else f"all {in_words(total)}"
    if count == 0:
        return f"none of the {in_words(total)}"
    return f"{in_words(count)} of the {in_words(total)}"


def listed(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def value_words(value: Any) -> str:
    """The default spoken form of a fact's value."""
    if value is None:
        return "an unknown amount"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return in_words(int(value))
    if isinstance(value, float | np.floating):
        return number_words(float(value))
    if isinstance(value, list | tuple):
        return listed(value_words(v) for v in value)
    return str(value)


# ---- facts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A measured value and how a sentence says it."""

    value: Any
    words: str

    @classmethod
    def of(cls, value: Any, words: str | None = None) -> Fact:
        return cls(value=_plain(value), words=words if words is not None else value_words(value))

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "words": self.words}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def as_facts(measured: Mapping[str, Any]) -> dict[str, Fact]:
    """Fact objects from what `Kind.measure` returned (plain values get their default words)."""
    return {name: v if isinstance(v, Fact) else Fact.of(v) for name, v in measured.items()}


def placeholders(text: str) -> list[str]:
    """The fact names a sentence inserts, in order: 'from {settle_steps} steps' -> ['settle_steps']."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)]


def fill(text: str, facts: Mapping[str, Fact]) -> str:
    """The sentence with every `{fact}` replaced by the fact's words and `{{`, `}}` by single braces
    (KeyError for an unknown fact)."""
    return PLACEHOLDER.sub(lambda m: facts[m.group(1)].words if m.group(1) else m.group(0)[0], text)


# ---- claims ---------------------------------------------------------------------------------------

Status = Literal["holds", "fails", "cannot check"]


@dataclass(frozen=True)
class Claim:
    """A check a narration beat can state: `test` on the fact `fact`, by a rule the kind fixes.

    `says` is the sentence the claim supports; `rule` says the threshold in words (for the verify
    table and the kinds reference). A `general` claim is about the model, not the sample: its fact
    is measured on the chapter's seeds and on `VERIFY_SEEDS` drawn ones.
    """

    says: str
    fact: str
    test: Callable[[Any], bool]
    rule: str
    general: bool = False

    def check(self, facts: Mapping[str, Fact]) -> tuple[Any, Status]:
        """(the measured value, whether the claim holds)."""
        fact = facts.get(self.fact)
        if fact is None or fact.value is None:
            return None, "cannot check"
        return fact.value, "holds" if self.test(fact.value) else "fails"


@dataclass(frozen=True)
class ClaimResult:
    """One stated claim, checked: where it was stated, what was measured and whether it holds."""

    beat: int  # 1-based, as people count beats
    claim: str
    says: str
    fact: str
    value: Any
    rule: str
    status: Status

    def as_json(self) -> dict[str, Any]:
        return {
            "beat": self.beat,
            "claim": self.claim,
            "says": self.says,
            "fact": self.fact,
            "value": _plain(self.value),
            "rule": self.rule,
            "status": self.status,
        }


def check_claims(stated: list[tuple[int, str]], claims: Mapping[str, Claim], facts: Mapping[str, Fact]):
    """The results of the claims stated as (beat index from 0, claim name)."""
    out = []
    for beat, name in stated:
        claim = claims[name]
        value, status = claim.check(facts)
        out.append(ClaimResult(beat + 1, name, claim.says, claim.fact, value, claim.rule, status))
    return out


def verification_seeds(label: str, avoid: Iterable[int] = (), n: int = VERIFY_SEEDS) -> list[int]:
    """`n` seeds the tool draws itself for a general claim: fixed by `label` (so cached runs are
    reused), different from the chapter's own seeds (`avoid`), never chosen by the storyboard."""
    import hashlib

    digest = int.from_bytes(hashlib.sha256(f"noise2image verify {label}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(digest)
    avoid, seeds = set(avoid), []
    while len(seeds) < n:
        s = int(rng.integers(1_000, 2**31))
        if s not in avoid and s not in seeds:
            seeds.append(s)
    return seeds
