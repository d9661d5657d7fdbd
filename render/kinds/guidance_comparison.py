"""guidance_comparison: the same prompt and seed from guidance 1.0 (off) up; oversaturation at the top.

Chapter data (G scales, n steps):
    info: prompt, seed, guidance_scales, saturation (mean HSV saturation of each final image, 0..1)
    arrays: images [G, H, W, 3], previews [G, n+1, H, W, 3], saturation [G]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

from render.kinds.base import AnalysisContext, Kind, PromptChapter, Runs, SceneRef, Settings, saturation, stack
from render.paths import SCENES_DIR
from render.storyboard.schema import GUIDANCE_HELP, Guidance, no_repeats
from render.web import figures


class GuidanceComparisonChapter(PromptChapter):
    """One prompt, several guidance scales."""

    kind: Literal["guidance_comparison"]
    guidance_scales: Annotated[list[Guidance], Field(min_length=2, max_length=10), AfterValidator(no_repeats)] = Field(
        description=f"a list of 2 to 10 different guidance scales, each {GUIDANCE_HELP}"
    )


class GuidanceComparison(Kind[GuidanceComparisonChapter]):
    name = "guidance_comparison"
    chapter = GuidanceComparisonChapter
    scene = SceneRef(SCENES_DIR / "guidance_comparison.py", "GuidanceComparisonScene")
    web = figures.shipped(figures.guidance_comparison)

    def requests(self, chapter: GuidanceComparisonChapter, settings: Settings):
        return {"scales": [settings.request(chapter.prompt, guidance=g) for g in chapter.guidance_scales]}

    def analyse(self, chapter: GuidanceComparisonChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        scales = runs["scales"]
        images = stack(scales, "image")
        sat = np.array([saturation(im) for im in images], np.float32)
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "guidance_scales": [float(g) for g in chapter.guidance_scales],
            "saturation": [float(s) for s in sat],
        }
        return info, {"images": images, "previews": stack(scales, "previews"), "saturation": sat}
