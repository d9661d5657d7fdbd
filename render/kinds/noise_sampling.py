"""noise_sampling: random images flicker by, and how many images of this size there are.

Generates nothing: the images are uniform random pixels from numpy's default_rng(seed).

Chapter data:
    info: width, height, channels (3), values_per_image (W*H*3), levels (256), exponent
          (N = W*H*3*log10(256): there are 10^N images), digits (floor(N)+1),
          atoms_exponent (80), nesting_levels (N/80: universes-made-of-atoms nesting depth),
          samples (count)
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
        info = {
            "width": width,
            "height": height,
            "channels": channels,
            "values_per_image": values,
            "levels": 256,
            "exponent": exponent,
            "digits": math.floor(exponent) + 1,
            "atoms_exponent": ATOMS_IN_UNIVERSE_EXPONENT,
            "nesting_levels": exponent / ATOMS_IN_UNIVERSE_EXPONENT,
            "samples": chapter.samples,
        }
        return info, {"samples": images}
