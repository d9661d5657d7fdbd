"""step_comparison: the same prompt and seed with several step counts, shown over the same time.

Chapter data (R runs, run i with k_i steps):
    info: prompt, seed, step_counts, distances (RMS distance of each run's image to the longest run's, 0..1)
    arrays: images [R, H, W, 3]; per run i: previews_{i} [k_i+1, H, W, 3], sigmas_{i} [k_i+1]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

import render.kinds.measures as measures
from render.kinds.base import AnalysisContext, Arrays, Kind, PromptChapter, Runs, SceneRef, Settings, stack
from render.kinds.facts import Claim
from render.paths import SCENES_DIR
from render.storyboard.schema import STEPS_HELP, Steps, no_repeats
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick


def settle_index(distances: list[float]) -> int:
    """The first run from which every run is within `SETTLED` of the longest (runs sorted by steps)."""
    i = len(distances) - 1
    while i > 0 and distances[i - 1] <= measures.SETTLED:
        i -= 1
    return i


class StepComparisonChapter(PromptChapter):
    """One prompt, several step counts."""

    kind: Literal["step_comparison"]
    step_counts: Annotated[list[Steps], Field(min_length=2, max_length=10), AfterValidator(no_repeats)] = Field(
        description=f"a list of 2 to 10 different step counts, each {STEPS_HELP}"
    )


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """Every run's states in one sprite, run after run: run i starts at image `starts[i]`."""
    counts = [int(k) for k in info["step_counts"]]
    runs = [arrays[f"previews_{i}"] for i in range(len(counts))]
    starts = np.cumsum([0] + [len(r) for r in runs[:-1]]).tolist()
    return {
        **pick(info, "prompt", "seed"),
        "step_counts": counts,
        "starts": starts,
        "finals": sprites.add("finals", arrays["images"]),
        "states": sprites.add("states", np.concatenate(runs)),
    }


class StepComparison(Kind[StepComparisonChapter]):
    name = "step_comparison"
    order = 6  # its place in the guide
    example = {"prompt": "a red circle", "step_counts": [1, 3]}
    chapter = StepComparisonChapter
    scene = SceneRef(SCENES_DIR / "step_comparison.py", "StepComparisonScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "step_comparison.js")
    facts = {
        "longest": "the largest step count",
        "fewest": "the smallest step count",
        "settle_steps": "the fewest steps from which every run's image is within "
        f"{measures.SETTLED} RMS of the longest run's",
        "settled_share": "the share of seeds (the chapter's and 8 drawn) whose image at settle_steps is within "
        f"{measures.SETTLED} of their longest run's (0..1)",
        "fewest_distance": "the RMS distance (0..1) of the fewest-step image from the longest run's",
        "fewest_sharpness": "the fewest-step image's edge energy relative to the longest run's (below 1: blurrier)",
        "change_ratio": "the change between the two largest step counts relative to that between the two smallest",
    }
    claims = {
        "few_steps_blurry": Claim(
            says="with the fewest steps the picture is a blurry blob",
            fact="fewest_sharpness",
            test=lambda v: v < 0.8,
            rule="< 0.8 (weaker edges than the longest run)",
        ),
        "few_steps_unsettled": Claim(
            says="with the fewest steps the picture is not the finished one",
            fact="fewest_distance",
            test=lambda v: v > measures.SETTLED,
            rule=f"> {measures.SETTLED}",
        ),
        "settles_from_settle_steps": Claim(
            says="from settle_steps steps on, the picture settles (for any seed)",
            fact="settled_share",
            test=lambda v: v == 1.0,
            rule="= 1 (all, on the chapter's seed and 8 more)",
            general=True,
        ),
        "more_steps_add_less": Claim(
            says="more steps add less and less",
            fact="change_ratio",
            test=lambda v: v < 0.5,
            rule="< 0.5",
        ),
    }

    def requests(self, chapter: StepComparisonChapter, settings: Settings):
        return {"runs": [settings.request(chapter.prompt, steps=k) for k in chapter.step_counts]}

    def verify_requests(self, chapter: StepComparisonChapter, settings: Settings, seeds: list[int]):
        counts = chapter.step_counts
        return {"verify": [settings.request(chapter.prompt, seed=s, steps=k) for s in seeds for k in counts]}

    def analyse(self, chapter: StepComparisonChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        done = runs["runs"]
        longest = int(np.argmax([t.steps for t in done]))
        info = {
            "prompt": chapter.prompt,
            "seed": settings.seed,
            "step_counts": [t.steps for t in done],
            "distances": [measures.rms(t.image, done[longest].image) for t in done],
        }
        arrays: Arrays = {"images": stack(done, "image")}
        for i, t in enumerate(done):
            arrays[f"previews_{i}"] = t.previews
            arrays[f"sigmas_{i}"] = t.sigmas.astype(np.float32)
        return info, arrays

    def measure(self, chapter, settings, runs, context, info, arrays):
        counts = info["step_counts"]
        order = np.argsort(counts)
        images = arrays["images"][order]
        distances = [info["distances"][i] for i in order]
        settle = settle_index(distances)
        settle_steps = counts[order[settle]]
        # each seed (the chapter's, then the drawn ones): is its image at settle_steps its finished one?
        per_seed = [images]
        more = runs.get("verify", [])
        for j in range(0, len(more), len(counts)):
            per_seed.append(np.stack([more[j + i].image for i in order]))
        settled = [measures.rms(imgs[settle], imgs[-1]) <= measures.SETTLED for imgs in per_seed]
        changes = [measures.rms(images[i], images[i + 1]) for i in range(len(images) - 1)]
        longest_edges = measures.edge_energy(images[-1])
        return {
            "longest": int(counts[order[-1]]),
            "fewest": int(counts[order[0]]),
            "settle_steps": int(settle_steps),
            "settled_share": float(np.mean(settled)),
            "fewest_distance": distances[0],
            "fewest_sharpness": measures.edge_energy(images[0]) / max(longest_edges, 1e-6),
            "change_ratio": changes[-1] / max(changes[0], 1e-6) if len(changes) >= 2 else None,
        }
