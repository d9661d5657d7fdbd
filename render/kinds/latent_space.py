"""latent_space: the image beside its latent (fewer numbers), the latent's PCA colours and path.

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
from render.kinds.facts import Claim, Fact, number_words
from render.paths import SCENES_DIR
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded


class LatentSpaceChapter(PromptChapter):
    """PCA of the latents, shown large."""

    kind: Literal["latent_space"]


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/latent_space.js: chapter data -> its JSON and sprite sheets."""
    return {
        **pick(info, "prompt", "seed", "steps", "image_shape", "latent_shape", "image_values", "latent_values"),
        "ratio": round(float(info["ratio"]), 2),
        "path_variance": rounded(info["path_variance"]),
        "sigmas": rounded(arrays["sigmas"]),
        "path": rounded(arrays["path"]),
        "states": sprites.add("states", arrays["previews"]),
        "latents": sprites.add("latents", arrays["latent_colour"], lossless=True),
    }


class LatentSpace(SingleRunKind[LatentSpaceChapter]):
    name = "latent_space"
    order = 3  # its place in the guide
    example = {"prompt": "a red circle"}
    chapter = LatentSpaceChapter
    scene = SceneRef(SCENES_DIR / "latent_space.py", "LatentSpaceScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "latent_space.js")
    uses_latent_basis = True
    facts = {
        "ratio": "how many times fewer numbers the latent has than the image (words: 'three')",
        "image_values": "the numbers in the image (width x height x 3)",
        "latent_values": "the numbers in the latent (channels x height x width)",
        "latent_channels": "the latent's channels",
        "scale": "how many image pixels one latent cell covers, across ('two': 2 x 2 pixels)",
        "layout_in_latent": "the correlation (-1..1) between where the final latent's colours stand out from "
        "its border and where the image's do: the shape and background visible in the latent",
    }
    claims = {
        "latent_is_smaller": Claim(
            says="the latent has fewer numbers than the picture", fact="ratio", test=lambda v: v > 1, rule="> 1"
        ),
        "latent_shows_layout": Claim(
            says="you can already make out the shape and the background in the latent",
            fact="layout_in_latent",
            test=lambda v: v >= 0.5,
            rule=">= 0.5",
        ),
    }

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

    def measure(self, chapter, settings, runs, context, info, arrays):
        c, h, w = info["latent_shape"]
        image = arrays["previews"][-1]
        return {
            "ratio": Fact.of(info["ratio"], number_words(info["ratio"])),
            "image_values": info["image_values"],
            "latent_values": info["latent_values"],
            "latent_channels": c,
            "scale": image.shape[1] // w,
            "layout_in_latent": _stand_out_correlation(arrays["latent_colour"][-1], _cells(image, h, w)),
        }


def _cells(image: np.ndarray, h: int, w: int) -> np.ndarray:
    """The image averaged over an h x w grid (one colour per latent cell), 0..1."""
    x = image.astype(np.float32) / 255
    H, W = x.shape[:2]
    return x[: H // h * h, : W // w * w].reshape(h, H // h, w, W // w, 3).mean((1, 3))


def _stand_out(grid: np.ndarray) -> np.ndarray:
    """Each cell's colour distance from the median of the grid's border cells."""
    border = np.concatenate([grid[0], grid[-1], grid[:, 0], grid[:, -1]])
    return np.linalg.norm(grid - np.median(border, axis=0), axis=-1)


def _stand_out_correlation(latent_colour: np.ndarray, image_cells: np.ndarray) -> float:
    a, b = _stand_out(latent_colour.astype(np.float32) / 255).ravel(), _stand_out(image_cells).ravel()
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0
