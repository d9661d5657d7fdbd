"""interpolation: images along the path between two prompt embeddings, and the noisy-to-clear sweep.

Each point mixes the two prompts' token-level embeddings: (1 - t) * from + t * to.

Chapter data (P points, n steps):
    info: from_prompt, to_prompt, ts (list of t), steps
    arrays: images [P, H, W, 3], previews [P, n+1, H, W, 3] (the sweep grid: position x step),
            ts [P], change [P]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from render.engine.requests import EmbeddingRecipe
from render.kinds.base import AnalysisContext, Kind, Runs, SceneRef, Settings, change_along, stack
from render.paths import SCENES_DIR
from render.storyboard.schema import ChapterBase, Prompt
from render.web import figures


class InterpolationChapter(ChapterBase):
    """A walk between two prompt embeddings."""

    prompt_fields = ("from_prompt", "to_prompt")
    kind: Literal["interpolation"]
    from_prompt: Prompt = Field(description="a non-empty prompt")
    to_prompt: Prompt = Field(description="a non-empty prompt, different from from_prompt")
    points: Annotated[int, Field(ge=3, le=16)] = Field(default=7, description="an integer from 3 to 16")

    @model_validator(mode="after")
    def _different_ends(self) -> InterpolationChapter:
        if self.from_prompt.strip() == self.to_prompt.strip():
            raise PydanticCustomError(
                "same_prompts", "from_prompt and to_prompt are the same; an interpolation needs two prompts"
            )
        return self

    def ts(self) -> list[float]:
        """The mix of each point, from 0 (from_prompt) to 1 (to_prompt), evenly spaced."""
        return [i / (self.points - 1) for i in range(self.points)]


class Interpolation(Kind[InterpolationChapter]):
    name = "interpolation"
    chapter = InterpolationChapter
    scene = SceneRef(SCENES_DIR / "interpolation.py", "InterpolationScene")
    web = figures.shipped(figures.interpolation)

    def requests(self, chapter: InterpolationChapter, settings: Settings):
        mix = [EmbeddingRecipe(from_prompt=chapter.from_prompt, to_prompt=chapter.to_prompt, t=t) for t in chapter.ts()]
        return {"path": [settings.request(None, embedding=recipe) for recipe in mix]}

    def analyse(self, chapter: InterpolationChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        path = runs["path"]
        ts = chapter.ts()
        images = stack(path, "image")
        info = {"from_prompt": chapter.from_prompt, "to_prompt": chapter.to_prompt, "ts": ts, "steps": path[0].steps}
        arrays = {
            "images": images,
            "previews": stack(path, "previews"),
            "ts": np.array(ts, np.float32),
            "change": change_along(images),
        }
        return info, arrays
