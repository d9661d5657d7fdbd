"""prompt_detail: prompts from vague to detailed, each across the same seeds; how much each leaves open.

Chapter data (P prompts, S seeds, n steps):
    info: prompts, seeds, variety (per prompt: mean pairwise RMS distance of its final images)
    arrays: images [P, S, H, W, 3], previews [P, S, n+1, H, W, 3], variety [P]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

from render.kinds.base import AnalysisContext, Kind, Runs, SceneRef, Settings, mean_pairwise, stack
from render.paths import SCENES_DIR
from render.storyboard.schema import SEED_HELP, ChapterBase, Prompt, Seed, no_repeats
from render.web import figures


class PromptDetailChapter(ChapterBase):
    """Prompts from vague to detailed, each with several seeds."""

    prompt_fields = ("prompts",)
    kind: Literal["prompt_detail"]
    prompts: Annotated[list[Prompt], Field(min_length=2, max_length=6), AfterValidator(no_repeats)] = Field(
        description="a list of 2 to 6 different prompts, vague to detailed"
    )
    seeds: Annotated[list[Seed], Field(min_length=2, max_length=8), AfterValidator(no_repeats)] = Field(
        description=f"a list of 2 to 8 different seeds, each {SEED_HELP}"
    )


class PromptDetail(Kind[PromptDetailChapter]):
    name = "prompt_detail"
    chapter = PromptDetailChapter
    scene = SceneRef(SCENES_DIR / "prompt_detail.py", "PromptDetailScene")
    web = figures.shipped(figures.prompt_detail)

    def requests(self, chapter: PromptDetailChapter, settings: Settings):
        return {"grid": [settings.request(p, seed=s) for p in chapter.prompts for s in chapter.seeds]}

    def analyse(self, chapter: PromptDetailChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        grid = runs["grid"]
        p, s = len(chapter.prompts), len(chapter.seeds)
        images = stack(grid, "image").reshape(p, s, *grid[0].image.shape)
        previews = stack(grid, "previews").reshape(p, s, *grid[0].previews.shape)
        variety = np.array([mean_pairwise(list(images[i])) for i in range(p)], np.float32)
        info = {"prompts": chapter.prompts, "seeds": chapter.seeds, "variety": [float(v) for v in variety]}
        return info, {"images": images, "previews": previews, "variety": variety}
