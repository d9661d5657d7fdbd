"""noise_sampling: random images flicker by, and how many images of this size there are.

The images are uniform random pixels from numpy's default_rng(seed). With a `target` prompt the
model also draws one picture of it: the kind of image random sampling never gives.

The count of images, 256^(W*H*3) = 10^N, is too big for a number on screen to mean anything, so
the chapter data also carries it in words and as a length: written out at DIGITS_PER_PAGE digits a
page, it fills `pages` pages, while the number of atoms in the observable universe (10^80, 81
digits) fits on one line of DIGITS_PER_LINE.

Chapter data:
    info: width, height, channels (3), values_per_image (W*H*3), levels (256), exponent
          (N = W*H*3*log10(256): there are 10^N images), power (N rounded: "about 10^power"),
          digits (floor(N)+1, the count's digit count), digits_words ("about one hundred eighteen
          thousand"), digits_per_line, lines_per_page, pages (ceil(digits / digits per page)),
          atoms_exponent (80), atoms_digits (81), samples (count), target (prompt or null)
    arrays: samples [samples, H, W, 3], target [H, W, 3] (with a target prompt)
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

import render.kinds.measures as measures
from render.engine.requests import FINAL_ONLY
from render.kinds.base import AnalysisContext, Kind, SceneRef, Settings, ShownByRole, only
from render.kinds.facts import Claim, Fact, approximate_in_words, in_words
from render.paths import SCENES_DIR
from render.storyboard.schema import ChapterBase, Prompt
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick

ATOMS_IN_UNIVERSE_EXPONENT = 80  # ~10^80 atoms in the observable universe
DIGITS_PER_LINE = 80  # a line of a printed page, in digits
LINES_PER_PAGE = 50


class NoiseSamplingChapter(ChapterBase):
    """Random images flicker by; how many images exist at this size."""

    prompt_fields = ("target",)
    kind: Literal["noise_sampling"]
    samples: Annotated[int, Field(ge=4, le=64)] = Field(default=24, description="an integer from 4 to 64")
    target: Prompt | None = Field(
        default=None, description="a prompt the model draws: the kind of picture random pixels never give (optional)"
    )


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """No images: the page draws fresh noise itself; it needs the size and the count of images."""
    return pick(
        info, "width", "height", "channels", "values_per_image", "levels", "power", "digits", "digits_words", "pages",
        "samples",
    )  # fmt: skip


class NoiseSampling(Kind[NoiseSamplingChapter]):
    name = "noise_sampling"
    order = 1  # its place in the guide
    example = {"samples": 5}
    chapter = NoiseSamplingChapter
    scene = SceneRef(SCENES_DIR / "noise_sampling.py", "NoiseSamplingScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "noise_sampling.js")
    facts = {
        "width": "the image width in pixels",
        "height": "the image height in pixels",
        "values_per_image": "the numbers in one image (width x height x 3)",
        "power": "the count of possible images is about ten to this power",
        "digits": "how many digits that count has (words: 'about twenty-nine thousand six hundred')",
        "pages": "how many printed pages the count fills, written out",
        "atoms_digits": "the digits of the number of atoms in the observable universe (81)",
        "samples_correlation": "how alike neighbouring pixels of the random images are (about 0: static)",
        "target_shown": "the target picture shows everything its prompt names (true or false; with a reader)",
        "target_distance": "the RMS distance (0..1) from the target picture to the closest random image",
    }
    claims = {
        "more_images_than_atoms": Claim(
            says="there are more possible images than atoms in the universe",
            fact="digits",
            test=lambda v: v > ATOMS_IN_UNIVERSE_EXPONENT + 1,
            rule=f"> {ATOMS_IN_UNIVERSE_EXPONENT + 1} digits",
        ),
        "count_fills_pages": Claim(
            says="written out, the count fills pages",
            fact="pages",
            test=lambda v: v > 1,
            rule="> 1",
        ),
        "samples_are_static": Claim(
            says="random numbers give noise",
            fact="samples_correlation",
            test=lambda v: abs(v) < 0.1,
            rule="|r| < 0.1",
        ),
        "target_is_drawn": Claim(
            says="the model draws the target",
            fact="target_shown",
            test=lambda v: v is True,
            rule="true",
        ),
        "random_misses_target": Claim(
            says="random images never come close to the target",
            fact="target_distance",
            test=lambda v: v > 0.2,
            rule="> 0.2",
        ),
    }

    def requests(self, chapter: NoiseSamplingChapter, settings: Settings):
        return {"target": [settings.request(chapter.target)]} if chapter.target else {}

    def shown(self, chapter: NoiseSamplingChapter, settings: Settings) -> ShownByRole:
        return {"target": [FINAL_ONLY]} if chapter.target else {}

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
            "target": chapter.target,
        }
        arrays = {"samples": images}
        if chapter.target:
            arrays["target"] = only(runs, "target").image
        return info, arrays

    def measure(self, chapter, settings, runs, context, info, arrays):
        samples = arrays["samples"]
        target = arrays.get("target")
        return {
            "width": info["width"],
            "height": info["height"],
            "values_per_image": info["values_per_image"],
            "power": Fact.of(info["power"], approximate_in_words(info["power"])),
            "digits": Fact.of(info["digits"], approximate_in_words(info["digits"])),
            "pages": Fact.of(info["pages"], in_words(info["pages"])),
            "atoms_digits": info["atoms_digits"],
            "samples_correlation": float(np.mean([measures.neighbour_correlation(im) for im in samples])),
            "target_shown": None if target is None else measures.shows_prompt(context.reader, target, chapter.target),
            "target_distance": None if target is None else min(measures.rms(target, im) for im in samples),
        }
