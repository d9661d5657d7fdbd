"""latent_space: the image beside its latent (12 times fewer numbers), the latent's PCA colours and path.

Chapter data (n = steps, H x W image, C x h x w latent):
    info: prompt, seed, steps, image_shape [H, W, 3], latent_shape [C, h, w], image_values,
          latent_values, ratio (image_values / latent_values), colour_variance (explained
          variance ratios of the 3 per-position colour components), path_variance (2 ratios)
    arrays: previews [n+1, H, W, 3], latent_colour [n+1, h, w, 3] (3 PCA components as RGB,
            show with nearest-neighbour), x0_colour [n, h, w, 3], path [n+1, 2] (latents in the
            2D PCA plane), x0_path [n, 2], sigmas [n+1]
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from render.kinds.base import AnalysisContext, PromptChapter, Runs, SceneRef, Settings, SingleRunKind, only
from render.paths import SCENES_DIR
from render.web import figures


class LatentSpaceChapter(PromptChapter):
    """PCA of the latents, shown large."""

    kind: Literal["latent_space"]


class LatentSpace(SingleRunKind[LatentSpaceChapter]):
    name = "latent_space"
    chapter = LatentSpaceChapter
    scene = SceneRef(SCENES_DIR / "latent_space.py", "LatentSpaceScene")
    web = figures.shipped(figures.latent_space)
    uses_latent_basis = True

    def analyse(self, chapter: LatentSpaceChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        t = only(runs)
        basis = context.basis_for([t])
        c, h, w = t.latents.shape[1:]
        H, W = t.image.shape[:2]
        image_values, latent_values = H * W * 3, c * h * w
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "steps": t.steps,
            "image_shape": [H, W, 3],
            "latent_shape": [c, h, w],
            "image_values": image_values,
            "latent_values": latent_values,
            "ratio": image_values / latent_values,
            "colour_variance": [float(v) for v in basis.colour_variance],
            "path_variance": [float(v) for v in basis.path_variance],
        }
        arrays = {
            "previews": t.previews,
            "latent_colour": basis.colour(t.latents),
            "x0_colour": basis.colour(t.x0),
            "path": basis.project(t.latents),
            "x0_path": basis.project(t.x0),
            "sigmas": t.sigmas.astype(np.float32),
        }
        return info, arrays
