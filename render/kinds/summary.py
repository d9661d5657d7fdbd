"""summary: the four controls as a journey with a compass, each with its picture, and the journey replayed.

The guide's closing idea: making an image is a journey from noise to a picture. The seed is where
you start, the prompt is the compass, the steps are how often you check it, and guidance is how
strongly you follow it. Each control gets a picture made from the chapter's prompt: two seeds
(their starting noise and their images), a few step counts, a few guidance scales. Pick them to
match earlier chapters (the same prompt, seeds, step counts and scales) and the planner makes
nothing new: it deduplicates the requests.

Chapter data (n = steps; S seeds, K step counts, G guidance scales):
    info: prompt, seed, steps, guidance, seeds, step_counts, guidance_scales
    arrays: previews [n+1, H, W, 3], image [H, W, 3], sigmas [n+1]
            (the journey at the chapter's settings); seed_noise [S, H, W, 3] and seed_images
            [S, H, W, 3] (the decoded starting noise and the image of each seed); step_images
            [K, H, W, 3]; guidance_images [G, H, W, 3]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

import render.kinds.measures as measures
from render.engine.requests import FINAL_ONLY, Shown
from render.kinds.base import AnalysisContext, Kind, PromptChapter, Runs, SceneRef, Settings, ShownByRole, only, stack
from render.kinds.facts import Claim, Fact, in_words, number_words
from render.paths import SCENES_DIR
from render.storyboard.schema import GUIDANCE_HELP, MAX_SEED, SEED_HELP, STEPS_HELP, Guidance, Seed, Steps, no_repeats
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded

HIGH_GUIDANCE = 15.0  # the default's "too strongly"


class SummaryChapter(PromptChapter):
    """The four controls as a journey with a compass, and the journey replayed."""

    kind: Literal["summary"]
    seeds: Annotated[list[Seed], Field(min_length=2, max_length=2), AfterValidator(no_repeats)] | None = Field(
        default=None, description=f"two different seeds, each {SEED_HELP} (default: the chapter's seed and the next)"
    )
    step_counts: Annotated[list[Steps], Field(min_length=2, max_length=4), AfterValidator(no_repeats)] | None = Field(
        default=None, description=f"2 to 4 different step counts, each {STEPS_HELP} (default: 2, 8 and the chapter's)"
    )
    guidance_scales: Annotated[list[Guidance], Field(min_length=2, max_length=4), AfterValidator(no_repeats)] | None = (
        Field(
            default=None,
            description=f"2 to 4 different guidance scales, each {GUIDANCE_HELP} (default: 1.0, the chapter's, 15.0)",
        )
    )

    def pictures(self, settings: Settings) -> tuple[list[int], list[int], list[float]]:
        """The seeds, step counts and guidance scales of the controls' pictures, defaults filled in."""
        seeds = self.seeds or [settings.seed, settings.seed + 1 if settings.seed < MAX_SEED else settings.seed - 1]
        steps = self.step_counts or sorted({2, 8, settings.steps})
        scales = self.guidance_scales or sorted({1.0, settings.guidance, HIGH_GUIDANCE})
        return list(seeds), list(steps), [float(g) for g in scales]


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The four controls as the guide's journey, each with its pictures, and the journey replayed."""
    controls = [
        {"name": "seed", "meaning": "where you start", "values": info["seeds"],
         "images": sprites.add("seeds", arrays["seed_images"])},
        {"name": "prompt", "meaning": "the compass", "values": [info["prompt"]]},
        {"name": "steps", "meaning": "how often you check the compass", "values": info["step_counts"],
         "images": sprites.add("step_counts", arrays["step_images"])},
        {"name": "guidance", "meaning": "how strongly you follow it", "values": info["guidance_scales"],
         "images": sprites.add("guidance_scales", arrays["guidance_images"])},
    ]  # fmt: skip
    return {
        **pick(info, "prompt", "seed", "steps", "guidance"),
        "controls": controls,
        "sigmas": rounded(arrays["sigmas"]),
        "states": sprites.add("states", arrays["previews"]),
    }


class Summary(Kind[SummaryChapter]):
    name = "summary"
    order = 11  # its place in the guide
    example = {"prompt": "a red circle"}
    chapter = SummaryChapter
    scene = SceneRef(SCENES_DIR / "summary.py", "SummaryScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "summary.js")
    facts = {
        "start_correlation": "how alike neighbouring cells of the seeds' starting pictures are (about 0: static)",
        "seeds_distance": "the RMS distance (0..1) between the two seeds' images",
        "settle_steps": "the fewest of the step counts whose image is within "
        f"{measures.SETTLED} RMS of the most steps' image",
        "middle_steps_distance": "the RMS distance of the middle step count's image from the most steps' image",
        "top_guidance": "the highest guidance scale shown",
        "top_harshness": "the highest scale's edge energy relative to the chapter's own guidance",
        "ends_at_prompt": "the journey's image shows everything the prompt names (true or false; with a reader)",
    }
    claims = {
        "starts_from_noise": Claim(
            says="the journey starts in random noise",
            fact="start_correlation",
            test=lambda v: abs(v) < 0.2,
            rule="|r| < 0.2 (static)",
        ),
        "seeds_differ": Claim(
            says="another seed gives another picture",
            fact="seeds_distance",
            test=lambda v: v > measures.SETTLED,
            rule=f"> {measures.SETTLED}",
        ),
        "middle_steps_settled": Claim(
            says="the middle step count already gives the finished picture",
            fact="middle_steps_distance",
            test=lambda v: v <= measures.SETTLED,
            rule=f"<= {measures.SETTLED}",
        ),
        "too_strong_overshoots": Claim(
            says="following the compass too strongly overshoots: the picture turns harsh",
            fact="top_harshness",
            test=lambda v: v >= 1.3,
            rule=">= 1.3",
        ),
        "ends_at_prompt": Claim(
            says="the journey arrives at the picture the prompt describes",
            fact="ends_at_prompt",
            test=lambda v: v is True,
            rule="true",
        ),
    }

    def requests(self, chapter: SummaryChapter, settings: Settings):
        seeds, steps, scales = chapter.pictures(settings)
        prompt = chapter.prompt
        return {
            "main": [settings.request(prompt)],
            "seeds": [settings.request(prompt, seed=s) for s in seeds],
            "steps": [settings.request(prompt, steps=k) for k in steps],
            "guidance": [settings.request(prompt, guidance=g) for g in scales],
        }

    def shown(self, chapter: SummaryChapter, settings: Settings) -> ShownByRole:
        """The journey step by step; the seeds' starting noise (their first step); final images otherwise."""
        seeds, steps, scales = chapter.pictures(settings)
        every_step = Shown(steps=True)
        return {
            "main": [every_step],
            "seeds": [every_step] * len(seeds),
            "steps": [FINAL_ONLY] * len(steps),
            "guidance": [FINAL_ONLY] * len(scales),
        }

    def analyse(self, chapter: SummaryChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        t = only(runs)
        seeds, steps, scales = chapter.pictures(settings)
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "steps": t.steps,
            "guidance": settings.guidance,
            "seeds": seeds,
            "step_counts": steps,
            "guidance_scales": scales,
        }
        arrays = {
            "previews": t.previews,
            "image": t.image,
            "sigmas": t.sigmas.astype(np.float32),
            "seed_noise": np.stack([r.previews[0] for r in runs["seeds"]]),
            "seed_images": stack(runs["seeds"], "image"),
            "step_images": stack(runs["steps"], "image"),
            "guidance_images": stack(runs["guidance"], "image"),
        }
        return info, arrays

    def measure(self, chapter, settings, runs, context, info, arrays):
        steps, scales = info["step_counts"], info["guidance_scales"]
        cell = max(1, context.model.width // max(context.model.latent_width, 1))
        step_images = arrays["step_images"]
        order = sorted(range(len(steps)), key=lambda i: steps[i])
        distances = [measures.rms(step_images[i], step_images[order[-1]]) for i in order]
        settle = next(k for k in range(len(order)) if all(d <= measures.SETTLED for d in distances[k:]))
        top = int(np.argmax(scales))
        own = min(range(len(scales)), key=lambda i: abs(scales[i] - info["guidance"]))
        harsh = [measures.edge_energy(im) for im in arrays["guidance_images"]]
        return {
            "start_correlation": float(
                np.mean([measures.neighbour_correlation(n, lag=cell) for n in arrays["seed_noise"]])
            ),
            "seeds_distance": measures.rms(*arrays["seed_images"][:2]),
            "settle_steps": Fact.of(steps[order[settle]], in_words(steps[order[settle]])),
            "middle_steps_distance": distances[len(order) // 2] if len(order) > 2 else distances[0],
            "top_guidance": Fact.of(scales[top], number_words(scales[top])),
            "top_harshness": harsh[top] / max(harsh[own], 1e-6),
            "ends_at_prompt": measures.shows_prompt(context.reader, arrays["image"], chapter.prompt),
        }
