"""step_comparison: the same prompt and seed with several step counts, shown over the same time.

Chapter data (R runs, run i with k_i steps):
    info: prompt, seed, step_counts
    arrays: images [R, H, W, 3]; per run i: previews_{i} [k_i+1, H, W, 3], sigmas_{i} [k_i+1]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

from render.kinds.base import AnalysisContext, Arrays, Kind, PromptChapter, Runs, SceneRef, Settings, stack
from render.paths import SCENES_DIR
from render.storyboard.schema import STEPS_HELP, Steps, no_repeats
from render.web import figures


class StepComparisonChapter(PromptChapter):
    """One prompt, several step counts."""

    kind: Literal["step_comparison"]
    step_counts: Annotated[list[Steps], Field(min_length=2, max_length=10), AfterValidator(no_repeats)] = Field(
        description=f"a list of 2 to 10 different step counts, each {STEPS_HELP}"
    )


class StepComparison(Kind[StepComparisonChapter]):
    name = "step_comparison"
    chapter = StepComparisonChapter
    scene = SceneRef(SCENES_DIR / "step_comparison.py", "StepComparisonScene")
    web = figures.shipped(figures.step_comparison)

    def requests(self, chapter: StepComparisonChapter, settings: Settings):
        return {"runs": [settings.request(chapter.prompt, steps=k) for k in chapter.step_counts]}

    def analyse(self, chapter: StepComparisonChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        done = runs["runs"]
        info = {"prompt": chapter.prompt, "seed": settings.seed, "step_counts": [t.steps for t in done]}
        arrays: Arrays = {"images": stack(done, "image")}
        for i, t in enumerate(done):
            arrays[f"previews_{i}"] = t.previews
            arrays[f"sigmas_{i}"] = t.sigmas.astype(np.float32)
        return info, arrays
