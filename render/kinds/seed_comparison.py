"""seed_comparison: one prompt from several seeds, in sync, to different images; their paths diverge.

Chapter data (S seeds, n steps):
    info: prompt, seeds, steps, image_distance ([S][S] RMS distance of final images, 0..1)
    arrays: previews [S, n+1, H, W, 3], images [S, H, W, 3],
            paths [S, n+1, 2] (the shared PCA plane), spread [n+1] (mean pairwise distance of the
            latents per step, relative to step 0), sigmas [n+1]
"""

from __future__ import annotations

from itertools import combinations
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

from render.kinds.base import AnalysisContext, Kind, PromptChapter, Runs, SceneRef, Settings, rms, stack
from render.paths import SCENES_DIR
from render.storyboard.schema import SEED_HELP, Seed, no_repeats
from render.web import figures


class SeedComparisonChapter(PromptChapter):
    """One prompt, several seeds."""

    kind: Literal["seed_comparison"]
    seeds: Annotated[list[Seed], Field(min_length=2, max_length=16), AfterValidator(no_repeats)] = Field(
        description=f"a list of 2 to 16 different seeds, each {SEED_HELP}"
    )


class SeedComparison(Kind[SeedComparisonChapter]):
    name = "seed_comparison"
    chapter = SeedComparisonChapter
    scene = SceneRef(SCENES_DIR / "seed_comparison.py", "SeedComparisonScene")
    web = figures.shipped(figures.seed_comparison)
    uses_latent_basis = True

    def requests(self, chapter: SeedComparisonChapter, settings: Settings):
        return {"seeds": [settings.request(chapter.prompt, seed=s) for s in chapter.seeds]}

    def analyse(self, chapter: SeedComparisonChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        seeds = runs["seeds"]
        basis = context.basis_for(seeds)
        images = [t.image for t in seeds]
        s = len(seeds)
        distance = [[rms(images[i], images[j]) for j in range(s)] for i in range(s)]
        lat = np.stack([t.latents.astype(np.float32).reshape(t.latents.shape[0], -1) for t in seeds])  # [S, n+1, D]
        pairs = list(combinations(range(s), 2))
        spread = np.array(
            [np.mean([np.linalg.norm(lat[i, k] - lat[j, k]) for i, j in pairs]) for k in range(lat.shape[1])],
            np.float32,
        )
        spread = spread / max(float(spread[0]), 1e-12)
        info = {"prompt": chapter.prompt, "seeds": chapter.seeds, "steps": seeds[0].steps, "image_distance": distance}
        arrays = {
            "previews": stack(seeds, "previews"),
            "images": np.stack(images),
            "paths": np.stack([basis.project(t.latents) for t in seeds]),
            "spread": spread,
            "sigmas": seeds[0].sigmas.astype(np.float32),
        }
        return info, arrays
