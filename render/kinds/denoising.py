"""denoising: the journey from noise to image, and where the model thinks it is heading at each step.

Chapter data (n = steps, H x W the image size):
    info: prompt, seed, steps, guidance, sigmas (list, n+1)
    arrays: previews [n+1, H, W, 3], x0_previews [n, H, W, 3], sigmas [n+1], timesteps [n]
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from render.kinds.base import AnalysisContext, PromptChapter, Runs, SceneRef, Settings, SingleRunKind, only
from render.paths import SCENES_DIR
from render.web import figures


class DenoisingChapter(PromptChapter):
    """The journey from noise to image."""

    kind: Literal["denoising"]


class Denoising(SingleRunKind[DenoisingChapter]):
    name = "denoising"
    chapter = DenoisingChapter
    scene = SceneRef(SCENES_DIR / "denoising.py", "DenoisingScene")
    web = figures.shipped(figures.denoising)
    shows_predictions = True  # beside each state, where the model thinks it is heading

    def analyse(self, chapter: DenoisingChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        t = only(runs)
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "steps": t.steps,
            "guidance": settings.guidance,
            "sigmas": [float(s) for s in t.sigmas],
        }
        arrays = {
            "previews": t.previews,
            "x0_previews": t.x0_previews,
            "sigmas": t.sigmas.astype(np.float32),
            "timesteps": t.timesteps.astype(np.float32),
        }
        return info, arrays
