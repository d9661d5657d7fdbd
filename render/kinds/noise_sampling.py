"""noise_sampling: random images flicker by, and how many images of this size there are.

Generates nothing: the images are uniform random pixels from numpy's default_rng(seed).

The count of images, 256^(W*H*3) = 10^N, is too big for a number on screen to mean anything, so
the chapter data also carries it in words and as a length: written out at DIGITS_PER_PAGE digits a
page, it fills `pages` pages, while the number of atoms in the observable universe (10^80, 81
digits) fits on one line of DIGITS_PER_LINE.

Chapter data:
    info: width, height, channels (3), values_per_image (W*H*3), levels (256), exponent
          (N = W*H*3*log10(256): there are 10^N images), power (N rounded: "about 10^power"),
          digits (floor(N)+1, the count's digit count), digits_words ("about one hundred eighteen
          thousand"), digits_per_line, lines_per_page, pages (ceil(digits / digits per page)),
          atoms_exponent (80), atoms_digits (81), samples (count)
    arrays: samples [samples, H, W, 3]
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from render.kinds.base import AnalysisContext, Kind, SceneRef, Settings
from render.paths import SCENES_DIR
from render.storyboard.schema import ChapterBase
from render.web import figures

ATOMS_IN_UNIVERSE_EXPONENT = 80  # ~10^80 atoms in the observable universe
DIGITS_PER_LINE = 80  # a line of a printed page, in digits
LINES_PER_PAGE = 50

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
_ONES += "seventeen eighteen nineteen"
ONES = _ONES.split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


def in_words(n: int) -> str:
    """A non-negative integer in words: 118000 -> "one hundred eighteen thousand"."""
    for scale, name in SCALES:
        if n >= scale:
            high, low = divmod(n, scale)
            return f"{in_words(high)} {name}" + (f" {in_words(low)}" if low else "")
    hundreds, rest = divmod(n, 100)
    words = [f"{ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        words.append(TENS[rest // 10] + (f"-{ONES[rest % 10]}" if rest % 10 else ""))
    elif rest or not words:
        words.append(ONES[rest])
    return " ".join(words)


def approximate_in_words(n: int, significant: int = 3) -> str:
    """A non-negative integer in words, rounded to its leading digits: 118370 -> "about one hundred
    eighteen thousand" (no "about" when nothing was rounded away)."""
    drop = max(len(str(n)) - significant, 0)
    rounded = (n + 10**drop // 2) // 10**drop * 10**drop
    return ("" if rounded == n else "about ") + in_words(rounded)


class NoiseSamplingChapter(ChapterBase):
    """Random images flicker by; how many images exist at this size."""

    kind: Literal["noise_sampling"]
    samples: Annotated[int, Field(ge=4, le=64)] = Field(default=24, description="an integer from 4 to 64")


class NoiseSampling(Kind[NoiseSamplingChapter]):
    name = "noise_sampling"
    chapter = NoiseSamplingChapter
    scene = SceneRef(SCENES_DIR / "noise_sampling.py", "NoiseSamplingScene")
    web = figures.shipped(figures.noise_sampling)

    def analyse(self, chapter: NoiseSamplingChapter, settings: Settings, runs, context: AnalysisContext):
        width, height, channels = settings.width, settings.height, context.model.channels
        rng = np.random.default_rng(settings.seed)
        images = rng.integers(0, 256, size=(chapter.samples, height, width, channels), dtype=np.uint8)
        values = width * height * channels
        exponent = values * math.log10(256)
        digits = math.floor(exponent) + 1
        info = {
            "width": width,
            "height": height,
            "channels": channels,
            "values_per_image": values,
            "levels": 256,
            "exponent": exponent,
            "power": round(exponent),
            "digits": digits,
            "digits_words": approximate_in_words(digits),
            "digits_per_line": DIGITS_PER_LINE,
            "lines_per_page": LINES_PER_PAGE,
            "pages": math.ceil(digits / (DIGITS_PER_LINE * LINES_PER_PAGE)),
            "atoms_exponent": ATOMS_IN_UNIVERSE_EXPONENT,
            "atoms_digits": ATOMS_IN_UNIVERSE_EXPONENT + 1,
            "samples": chapter.samples,
        }
        return info, {"samples": images}
