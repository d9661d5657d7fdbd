"""seed_comparison: one prompt from several seeds, in sync, to different images; their paths diverge;
then the first seed run again, to the same image.

Chapter data (S seeds, n steps):
    info: prompt, seeds, steps, image_distance ([S][S] RMS distance of final images, 0..1),
          readings (per seed: what the reader sees, or null), again_identical (the first seed's
          image made again equals it, byte for byte)
    arrays: previews [S, n+1, H, W, 3], images [S, H, W, 3], again [H, W, 3] (the first seed again),
            paths [S, n+1, 2] (the shared PCA plane), spread [n+1] (mean pairwise distance of the
            latents per step, relative to step 0), sigmas [n+1]
"""

from __future__ import annotations

from itertools import combinations
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

import render.kinds.measures as measures
from render.kinds.base import AnalysisContext, Kind, PromptChapter, Runs, SceneRef, Settings, only, rms, stack
from render.kinds.facts import Claim, Fact, count_of, listed
from render.paths import SCENES_DIR
from render.storyboard.schema import SEED_HELP, Seed, no_repeats
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded

OPEN_CHOICES = ("color", "position", "size", "background")  # what a vague prompt leaves to the seed


class SeedComparisonChapter(PromptChapter):
    """One prompt, several seeds."""

    kind: Literal["seed_comparison"]
    seeds: Annotated[list[Seed], Field(min_length=2, max_length=16), AfterValidator(no_repeats)] = Field(
        description=f"a list of 2 to 16 different seeds, each {SEED_HELP}"
    )


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/seed_comparison.js: chapter data -> its JSON and sprite sheets."""
    return {
        **pick(info, "prompt", "seeds", "steps"),
        "sigmas": rounded(arrays["sigmas"]),
        "spread": rounded(arrays["spread"], 3),
        "paths": rounded(arrays["paths"]),
        "states": sprites.add("states", arrays["previews"]),  # [seed, step]
    }


class SeedComparison(Kind[SeedComparisonChapter]):
    name = "seed_comparison"
    order = 5  # its place in the guide
    example = {"prompt": "a red circle", "seeds": [1, 2, 3]}
    chapter = SeedComparisonChapter
    scene = SceneRef(SCENES_DIR / "seed_comparison.py", "SeedComparisonScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "seed_comparison.js")
    uses_latent_basis = True
    facts = {
        "seed_count": "how many seeds the chapter shows",
        "shape": "the shape the prompt names (null if it names none, or without a reader)",
        "showing_prompt": "how many of the seeds' images show everything the prompt names ('all eight')",
        "showing_prompt_share": "that share over the chapter's seeds and 8 the tool draws (0..1)",
        "open_choices": "what the prompt leaves open that changes across the images ('colour, position and size')",
        "open_choices_varying": "the share of the open choices (colour, position, size, background) that change",
        "closest_pair": "the RMS distance (0..1) of the two most alike images",
        "same_seed_identical": "the first seed run again gives the same bytes (true or false)",
    }
    claims = {
        "every_image_shows_prompt": Claim(
            says="every image shows what the prompt names",
            fact="showing_prompt_share",
            test=lambda v: v == 1.0,
            rule="= 1 (all, on the chapter's seeds and 8 more)",
            general=True,
        ),
        "seeds_differ": Claim(
            says="different seeds give different images",
            fact="closest_pair",
            test=lambda v: v > measures.SETTLED,
            rule=f"> {measures.SETTLED} (every pair differs)",
        ),
        "open_choices_vary": Claim(
            says="what the prompt leaves open changes from seed to seed",
            fact="open_choices_varying",
            test=lambda v: v == 1.0,
            rule="= 1 (every open choice changes)",
        ),
        "same_seed_same_image": Claim(
            says="the same seed gives exactly the same image",
            fact="same_seed_identical",
            test=lambda v: v is True,
            rule="identical bytes",
        ),
    }

    def requests(self, chapter: SeedComparisonChapter, settings: Settings):
        return {
            "seeds": [settings.request(chapter.prompt, seed=s) for s in chapter.seeds],
            "again": [settings.request(chapter.prompt, seed=chapter.seeds[0], repeat=1)],
        }

    def verify_requests(self, chapter: SeedComparisonChapter, settings: Settings, seeds: list[int]):
        return {"verify": [settings.request(chapter.prompt, seed=s) for s in seeds]}

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
        again = only(runs, "again").image
        reader = context.reader
        info = {
            "prompt": chapter.prompt,
            "seeds": chapter.seeds,
            "steps": seeds[0].steps,
            "image_distance": distance,
            "readings": [reader.read(im) for im in images] if reader else None,
            "again_identical": bool(np.array_equal(again, images[0])),
        }
        arrays = {
            "previews": stack(seeds, "previews"),
            "images": np.stack(images),
            "again": again,
            "paths": np.stack([basis.project(t.latents) for t in seeds]),
            "spread": spread,
            "sigmas": seeds[0].sigmas.astype(np.float32),
        }
        return info, arrays

    def measure(self, chapter, settings, runs, context, info, arrays):
        reader, images = context.reader, list(arrays["images"])
        showing = measures.count_showing(reader, images, chapter.prompt)
        all_images = images + [t.image for t in runs.get("verify", [])]
        facts = {
            "seed_count": len(images),
            "shape": reader.asked(chapter.prompt).get("shape") if reader else None,
            "showing_prompt": None if showing is None else Fact.of(showing, count_of(showing, len(images))),
            "showing_prompt_share": measures.share_showing(reader, all_images, chapter.prompt),
            "closest_pair": measures.min_pairwise(images),
            "same_seed_identical": info["again_identical"],
            "open_choices": None,
            "open_choices_varying": None,
        }
        if reader is not None:
            asked, readings = reader.asked(chapter.prompt), info["readings"]
            open_ = [a for a in OPEN_CHOICES if a not in asked]
            varying = [a for a in open_ if len(measures.distinct(readings, a)) > 1]
            names = {"color": "colour"}
            facts["open_choices"] = Fact.of(varying, listed(names.get(a, a) for a in varying) or "nothing")
            facts["open_choices_varying"] = len(varying) / len(open_) if open_ else None
        return facts
