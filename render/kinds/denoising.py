"""denoising: the journey from noise to image, and where the model thinks it is heading at each step.

Each state is shown as its picture (render/engine/decoding.py `state_pictures`): the model's
decoded prediction mixed with the state's noise made visible, so the start is static, not the VAE's
smooth decoding of noise. Beside it, the decoded prediction.

Chapter data (n = steps, H x W the image size):
    info: prompt, seed, steps, guidance, sigmas (list, n+1), layout_distance and edge_distance (per
          step: how far the prediction's colours/layout and its edges are from the final image's)
    arrays: previews [n+1, H, W, 3], x0_previews [n, H, W, 3], sigmas [n+1], timesteps [n]
"""

from __future__ import annotations

from typing import Literal

import numpy as np

import render.kinds.measures as measures
from render.kinds.base import AnalysisContext, PromptChapter, Runs, SceneRef, Settings, SingleRunKind, only
from render.kinds.facts import Claim, Fact, in_words
from render.paths import SCENES_DIR
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded

SETTLES = 0.25  # a part has settled when it is within this share of its first distance to the final picture


def settled_from(distances: list[float]) -> int:
    """The first step from which the distance stays within SETTLES of the first step's (1-based step)."""
    limit = SETTLES * max(distances[0], 1e-6)
    k = len(distances)
    while k > 0 and distances[k - 1] <= limit:
        k -= 1
    return k + 1


class DenoisingChapter(PromptChapter):
    """The journey from noise to image."""

    kind: Literal["denoising"]


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/denoising.js: chapter data -> its JSON and sprite sheets."""
    return {
        **pick(info, "prompt", "seed", "steps", "guidance"),
        "sigmas": rounded(arrays["sigmas"]),
        "states": sprites.add("states", arrays["previews"]),
        "predictions": sprites.add("predictions", arrays["x0_previews"]),
    }


class Denoising(SingleRunKind[DenoisingChapter]):
    name = "denoising"
    order = 2  # its place in the guide
    example = {"prompt": "a red circle"}
    chapter = DenoisingChapter
    scene = SceneRef(SCENES_DIR / "denoising.py", "DenoisingScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "denoising.js")
    shows_predictions = True  # beside each state, where the model thinks it is heading
    facts = {
        "steps": "how many steps the journey takes",
        "start_sigma": "the noise level of the first state (1: pure noise)",
        "start_correlation": "how alike neighbouring cells of the first state's picture are (about 0 for static)",
        "colour_step": f"the step from which the prediction's colours and layout stay within {SETTLES:.0%} of "
        "their first distance to the final picture",
        "edge_step": "the same step for the prediction's edges",
        "colour_lead": "edge_step minus colour_step: how many steps the colours settle before the edges",
        "final_shows_prompt": "the final image shows everything the prompt names (true or false; with a reader)",
    }
    claims = {
        "starts_from_noise": Claim(
            says="it starts from pure noise",
            fact="start_correlation",
            test=lambda v: abs(v) < 0.2,
            rule="|r| < 0.2 (static)",
        ),
        "colours_before_edges": Claim(
            says="the model commits first to colours and layout, then to sharp edges",
            fact="colour_lead",
            test=lambda v: v > 0,
            rule="> 0 steps",
        ),
        "ends_at_prompt": Claim(
            says="the finished picture shows what the prompt names",
            fact="final_shows_prompt",
            test=lambda v: v is True,
            rule="true",
        ),
    }

    def analyse(self, chapter: DenoisingChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        t = only(runs)
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "steps": t.steps,
            "guidance": settings.guidance,
            "sigmas": [float(s) for s in t.sigmas],
            "layout_distance": [measures.layout_distance(x, t.image) for x in t.x0_previews],
            "edge_distance": [measures.edge_distance(x, t.image) for x in t.x0_previews],
        }
        arrays = {
            "previews": t.previews,
            "x0_previews": t.x0_previews,
            "sigmas": t.sigmas.astype(np.float32),
            "timesteps": t.timesteps.astype(np.float32),
        }
        return info, arrays

    def measure(self, chapter, settings, runs, context, info, arrays):
        cell = max(1, context.model.width // max(context.model.latent_width, 1))
        colour, edges = settled_from(info["layout_distance"]), settled_from(info["edge_distance"])
        return {
            "steps": info["steps"],
            "start_sigma": info["sigmas"][0],
            "start_correlation": measures.neighbour_correlation(arrays["previews"][0], lag=cell),
            "colour_step": Fact.of(colour, f"step {in_words(colour)}"),
            "edge_step": Fact.of(edges, f"step {in_words(edges)}"),
            "colour_lead": edges - colour,
            "final_shows_prompt": measures.shows_prompt(context.reader, arrays["previews"][-1], chapter.prompt),
        }
