"""interpolation: images along the path between two prompt embeddings, and the noisy-to-clear sweep.

Each point mixes the two prompts' token-level embeddings: (1 - t) * from + t * to.

Chapter data (P points, n steps):
    info: from_prompt, to_prompt, ts (list of t), steps, readings (per point: what the reader sees, or null)
    arrays: images [P, H, W, 3], previews [P, n+1, H, W, 3] (the sweep grid: position x step),
            ts [P], change [P]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

import render.kinds.measures as measures
from render.engine.requests import EmbeddingRecipe
from render.kinds.base import AnalysisContext, Kind, Runs, SceneRef, Settings, change_along, stack
from render.kinds.facts import Claim, Fact, in_words
from render.paths import SCENES_DIR
from render.storyboard.schema import ChapterBase, Prompt
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded


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


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/interpolation.js: chapter data -> its JSON and sprite sheets."""
    return {
        **pick(info, "from_prompt", "to_prompt", "steps"),
        "ts": rounded(info["ts"], 3),
        "change": rounded(arrays["change"], 3),
        "states": sprites.add("states", arrays["previews"]),  # [point, step]
    }


class Interpolation(Kind[InterpolationChapter]):
    name = "interpolation"
    order = 9  # its place in the guide
    example = {"from_prompt": "a red circle", "to_prompt": "a green star", "points": 3}
    chapter = InterpolationChapter
    scene = SceneRef(SCENES_DIR / "interpolation.py", "InterpolationScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "interpolation.js")
    facts = {
        "from_shows": "what the first image shows ('a small red circle on blue'; with a reader)",
        "to_shows": "what the last image shows",
        "from_shape": "the shape the first image shows",
        "to_shape": "the shape the last image shows",
        "ends_shown": "the share of the two ends that show everything their prompt names (0, 0.5 or 1)",
        "switch_mix": "the mix (0..1) from which the images show the second prompt's shape ('sixty percent')",
        "shape_switches": "how often the shape changes along the path",
        "crossfade_distance": "the RMS distance (0..1) of the middle image from a cross-fade of the two ends",
    }
    claims = {
        "ends_show_their_prompts": Claim(
            says="each end shows its prompt",
            fact="ends_shown",
            test=lambda v: v == 1.0,
            rule="= 1 (both ends)",
        ),
        "shape_switches_once": Claim(
            says="at some point the shape switches from the first prompt's to the second's",
            fact="shape_switches",
            test=lambda v: v == 1,
            rule="= 1",
        ),
        "not_a_crossfade": Claim(
            says="the images in between are not cross-fades",
            fact="crossfade_distance",
            test=lambda v: v > 0.05,
            rule="> 0.05",
        ),
    }

    def requests(self, chapter: InterpolationChapter, settings: Settings):
        mix = [EmbeddingRecipe(from_prompt=chapter.from_prompt, to_prompt=chapter.to_prompt, t=t) for t in chapter.ts()]
        return {"path": [settings.request(None, embedding=recipe) for recipe in mix]}

    def analyse(self, chapter: InterpolationChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        path = runs["path"]
        ts = chapter.ts()
        images = stack(path, "image")
        reader = context.reader
        info = {
            "from_prompt": chapter.from_prompt,
            "to_prompt": chapter.to_prompt,
            "ts": ts,
            "steps": path[0].steps,
            "readings": [reader.read(im) for im in images] if reader else None,
        }
        arrays = {
            "images": images,
            "previews": stack(path, "previews"),
            "ts": np.array(ts, np.float32),
            "change": change_along(images),
        }
        return info, arrays

    def measure(self, chapter, settings, runs, context, info, arrays):
        images, ts = arrays["images"], info["ts"]
        middle = images[len(images) // 2].astype(np.float32)
        fade = images[0].astype(np.float32) * (1 - ts[len(ts) // 2]) + images[-1].astype(np.float32) * ts[len(ts) // 2]
        facts = {"crossfade_distance": measures.rms(middle.round().astype(np.uint8), fade.round().astype(np.uint8))}
        reader, readings = context.reader, info["readings"]
        if reader is None:
            return facts | dict.fromkeys(("from_shows", "to_shows", "from_shape", "to_shape", "ends_shown",
                                          "switch_mix", "shape_switches"))  # fmt: skip
        ends = [measures.shows_prompt(reader, images[0], chapter.from_prompt),
                measures.shows_prompt(reader, images[-1], chapter.to_prompt)]  # fmt: skip
        shapes = [r["shape"] for r in readings]
        switch = next((i for i in range(len(shapes)) if all(s == shapes[-1] for s in shapes[i:])), None)
        facts |= {
            "from_shows": measures.described(readings[0]),
            "to_shows": measures.described(readings[-1]),
            "from_shape": readings[0]["shape"],
            "to_shape": readings[-1]["shape"],
            "ends_shown": float(np.mean(ends)),
            "switch_mix": None
            if switch is None
            else Fact.of(ts[switch], f"{in_words(round(ts[switch] * 100))} percent"),
            "shape_switches": sum(a != b for a, b in zip(shapes[:-1], shapes[1:], strict=True)),
        }
        return facts
