"""summary: the four controls (seed, prompt, steps, guidance), and the journey replayed.

Chapter data (n = steps):
    info: prompt, seed, steps, guidance, controls ([{name, value}] for seed, prompt, steps, guidance)
    arrays: previews [n+1, H, W, 3], image [H, W, 3], sigmas [n+1]
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from render.kinds.base import AnalysisContext, PromptChapter, Runs, SceneRef, Settings, SingleRunKind, only
from render.paths import SCENES_DIR


class SummaryChapter(PromptChapter):
    """The four controls, and the journey replayed."""

    kind: Literal["summary"]


class Summary(SingleRunKind[SummaryChapter]):
    name = "summary"
    chapter = SummaryChapter
    scene = SceneRef(SCENES_DIR / "summary.py", "SummaryScene")

    def analyse(self, chapter: SummaryChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        t = only(runs)
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "steps": t.steps,
            "guidance": settings.guidance,
            "controls": [
                {"name": "seed", "value": settings.seed},
                {"name": "prompt", "value": chapter.prompt},
                {"name": "steps", "value": t.steps},
                {"name": "guidance", "value": settings.guidance},
            ],
        }
        arrays = {
            "previews": t.previews,
            "image": t.image,
            "sigmas": t.sigmas.astype(np.float32),
        }
        return info, arrays
