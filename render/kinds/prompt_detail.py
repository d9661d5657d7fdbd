"""prompt_detail: prompts from vague to detailed, each across the same seeds; how much each leaves open.

Variety: with a reader of the model's pictures, the choices a row leaves open (over shape, colour,
background, position and size, the mean share of its image pairs that differ); without one, the
mean pairwise RMS distance of its images.

Chapter data (P prompts, S seeds, n steps):
    info: prompts, seeds, variety (per prompt), variety_measure ("choices left open" | "pixel distance")
    arrays: images [P, S, H, W, 3], previews [P, S, n+1, H, W, 3], variety [P]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field

import render.kinds.measures as measures
from render.kinds.base import AnalysisContext, Kind, Runs, SceneRef, Settings, stack
from render.kinds.facts import Claim, Fact, listed, number_words
from render.paths import SCENES_DIR
from render.storyboard.schema import SEED_HELP, ChapterBase, Prompt, Seed, no_repeats
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded


def variety(reader, images) -> float:
    """How much a row of images varies: choices left open with a reader, else pixel distance."""
    if reader is None:
        return measures.mean_pairwise(list(images))
    return measures.attribute_variety([reader.read(im) for im in images])


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


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/prompt_detail.js: chapter data -> its JSON and sprite sheets."""
    previews = arrays["previews"]  # [prompt, seed, step]
    return {
        **pick(info, "prompts", "seeds"),
        "variety": rounded(info["variety"], 3),
        "steps": int(previews.shape[2]) - 1,
        "states": sprites.add("states", previews),
    }


class PromptDetail(Kind[PromptDetailChapter]):
    name = "prompt_detail"
    order = 7  # its place in the guide
    example = {"prompts": ["a circle", "a red circle on blue"], "seeds": [1, 2]}
    chapter = PromptDetailChapter
    scene = SceneRef(SCENES_DIR / "prompt_detail.py", "PromptDetailScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "prompt_detail.js")
    facts = {
        "variety": "each row's variety, vague to detailed (the measure in variety_measure)",
        "variety_measure": "'choices left open' (with a reader of the model's pictures) or 'pixel distance'",
        "variety_falls": "the share of added details after which variety grows neither on the chapter's seeds "
        "(the bars) nor on those and 8 drawn ones (0..1)",
        "vague_to_detailed": "the most detailed row's variety relative to the vaguest's (0: no choice left)",
        "full_prompt_shown": "the share of the most detailed row's images (its seeds and 8 drawn) that show "
        "everything it names (0..1)",
    }
    claims = {
        "each_detail_narrows": Claim(
            says="each added detail takes away a choice",
            fact="variety_falls",
            test=lambda v: v == 1.0,
            rule="= 1 (after every added detail; on the chapter's seeds and 8 more)",
            general=True,
        ),
        "detail_narrows": Claim(
            says="the detailed prompt leaves far less open than the vague one",
            fact="vague_to_detailed",
            test=lambda v: v < 0.5,
            rule="< 0.5",
        ),
        "full_prompt_agrees": Claim(
            says="with the full description every image shows what it says",
            fact="full_prompt_shown",
            test=lambda v: v == 1.0,
            rule="= 1 (all, on the chapter's seeds and 8 more)",
            general=True,
        ),
    }

    def requests(self, chapter: PromptDetailChapter, settings: Settings):
        return {"grid": [settings.request(p, seed=s) for p in chapter.prompts for s in chapter.seeds]}

    def verify_requests(self, chapter: PromptDetailChapter, settings: Settings, seeds: list[int]):
        return {"verify": [settings.request(p, seed=s) for p in chapter.prompts for s in seeds]}

    def analyse(self, chapter: PromptDetailChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        grid = runs["grid"]
        p, s = len(chapter.prompts), len(chapter.seeds)
        images = stack(grid, "image").reshape(p, s, *grid[0].image.shape)
        previews = stack(grid, "previews").reshape(p, s, *grid[0].previews.shape)
        rows = np.array([variety(context.reader, images[i]) for i in range(p)], np.float32)
        info = {
            "prompts": chapter.prompts,
            "seeds": chapter.seeds,
            "variety": [float(v) for v in rows],
            "variety_measure": "choices left open" if context.reader else "pixel distance",
        }
        return info, {"images": images, "previews": previews, "variety": rows}

    def measure(self, chapter, settings, runs, context, info, arrays):
        reader, images = context.reader, arrays["images"]
        rows = [list(images[i]) for i in range(len(chapter.prompts))]
        more = runs.get("verify", [])
        per_prompt = len(more) // len(chapter.prompts) if more else 0
        for i in range(len(rows)):
            rows[i] += [t.image for t in more[i * per_prompt : (i + 1) * per_prompt]]
        wide = [variety(reader, row) for row in rows]  # over every seed, the chapter's and the drawn ones
        shown = info["variety"]  # the chapter's seeds only: what the bars show while the sentence is said
        falls = [wide[i + 1] <= wide[i] + 1e-6 and shown[i + 1] <= shown[i] + 1e-6 for i in range(len(wide) - 1)]
        return {
            "variety": Fact.of(shown, listed(number_words(round(v, 2)) for v in shown)),
            "variety_measure": info["variety_measure"],
            "variety_falls": float(np.mean(falls)),
            "vague_to_detailed": shown[-1] / shown[0] if shown[0] > 0 else None,
            "full_prompt_shown": measures.share_showing(reader, rows[-1], chapter.prompts[-1]),
        }
