"""prompt_length: the words of one prompt appear one by one, and the image for each prefix follows.

Chapter data (K words):
    info: prompt, words, prefixes (prefix i = the first i+1 words), readings (per prefix: what the
          reader sees, or null)
    arrays: images [K, H, W, 3], previews [1, n+1, H, W, 3] (the first word's run: the only one
            shown step by step; the others show their final image), change [K] (RMS distance to the
            previous prefix's image; 0 for the first)
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
from pydantic import Field

from render.engine.requests import FINAL_ONLY, Shown
from render.kinds.base import AnalysisContext, Kind, Runs, SceneRef, Settings, ShownByRole, change_along, stack
from render.kinds.facts import Claim, Fact
from render.paths import SCENES_DIR
from render.storyboard.schema import ChapterBase, Prompt
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded

FILLERS = frozenset("a an the in on at of with to and".split())  # words that add no attribute


def _word(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def appears_from(readings: list[dict], attribute: str, value) -> int | None:
    """The first prefix from which every image shows `value` for `attribute` (None: the last does not)."""
    i = len(readings)
    while i > 0 and readings[i - 1].get(attribute) == value:
        i -= 1
    return i if i < len(readings) else None


class PromptLengthChapter(ChapterBase):
    """Each word prefix of one prompt gets an image."""

    prompt_fields = ("prompt",)
    kind: Literal["prompt_length"]
    prompt: Prompt = Field(description="a non-empty prompt (each word prefix gets an image)")

    def prefixes(self) -> list[str]:
        """The first word, the first two words, ..., the whole prompt."""
        words = self.prompt.split()
        return [" ".join(words[: i + 1]) for i in range(len(words))]


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/prompt_length.js: chapter data -> its JSON and sprite sheets."""
    return {
        **pick(info, "prompt", "words", "prefixes"),
        "change": rounded(arrays["change"], 3),
        "images": sprites.add("images", arrays["images"]),
    }


class PromptLength(Kind[PromptLengthChapter]):
    name = "prompt_length"
    order = 8  # its place in the guide
    example = {"prompt": "a red circle"}
    chapter = PromptLengthChapter
    scene = SceneRef(SCENES_DIR / "prompt_length.py", "PromptLengthScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "prompt_length.js")
    facts = {
        "word_count": "how many words the prompt has",
        "biggest_change_word": "the word whose arrival changes the image most",
        "shape_from": "the word from which the image shows the prompt's shape, to the end ('never' if it does not)",
        "colour_from": "the same for its colour",
        "background_from": "the same for its background",
        "shape_first": "the first word at which the image shows the prompt's shape ('never' if none does)",
        "colour_first": "the same for its colour",
        "background_first": "the same for its background",
        "shape_wavers": "the shape shows early, then a later word takes it away before it stays (true or false)",
        "shape_with_its_word": "the shape appears exactly when its word is read (true or false)",
        "colour_with_its_word": "the colour appears exactly when its word is read (true or false)",
        "background_with_its_word": "the background appears exactly when its colour word is read (true or false)",
        "filler_ratio": "the mean change at words like 'the' and 'on' relative to the mean change at the others",
    }
    claims = {
        "shape_appears_with_its_word": Claim(
            says="the shape appears with its word",
            fact="shape_with_its_word",
            test=lambda v: v is True,
            rule="true",
        ),
        "colour_appears_with_its_word": Claim(
            says="the colour appears with its word",
            fact="colour_with_its_word",
            test=lambda v: v is True,
            rule="true",
        ),
        "background_appears_with_its_word": Claim(
            says="the background settles once its colour is read",
            fact="background_with_its_word",
            test=lambda v: v is True,
            rule="true",
        ),
        "shape_comes_and_goes": Claim(
            says="the shape appears, then a later word takes it away again before it stays",
            fact="shape_wavers",
            test=lambda v: v is True,
            rule="true",
        ),
        "fillers_change_little": Claim(
            says="words like 'the' and 'on' change little",
            fact="filler_ratio",
            test=lambda v: v < 0.5,
            rule="< 0.5 (less than half the change of the other words)",
        ),
    }

    def requests(self, chapter: PromptLengthChapter, settings: Settings):
        return {"prefixes": [settings.request(p) for p in chapter.prefixes()]}

    def shown(self, chapter: PromptLengthChapter, settings: Settings) -> ShownByRole:
        return {"prefixes": [Shown(steps=True)] + [FINAL_ONLY] * (len(chapter.prefixes()) - 1)}

    def analyse(self, chapter: PromptLengthChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        prefixes = runs["prefixes"]
        images = stack(prefixes, "image")
        reader = context.reader
        info = {
            "prompt": chapter.prompt,
            "words": chapter.prompt.split(),
            "prefixes": chapter.prefixes(),
            "readings": [reader.read(im) for im in images] if reader else None,
        }
        return info, {"images": images, "previews": prefixes[0].previews[None], "change": change_along(images)}

    def measure(self, chapter, settings, runs, context, info, arrays):
        words, change = info["words"], [float(c) for c in arrays["change"]]
        clean = [_word(w) for w in words]
        filler = [change[i] for i in range(1, len(words)) if clean[i] in FILLERS]
        content = [change[i] for i in range(1, len(words)) if clean[i] not in FILLERS]
        facts = {
            "word_count": len(words),
            "biggest_change_word": Fact.of(words[int(np.argmax(change))]),
            "filler_ratio": float(np.mean(filler) / max(np.mean(content), 1e-6)) if filler and content else None,
        }
        reader = context.reader
        asked = reader.asked(chapter.prompt) if reader else {}
        facts["shape_wavers"] = None
        for attribute, name in (("shape", "shape"), ("color", "colour"), ("background", "background")):
            if reader is None or attribute not in asked:
                facts[f"{name}_from"] = facts[f"{name}_first"] = facts[f"{name}_with_its_word"] = None
                continue
            start = appears_from(info["readings"], attribute, asked[attribute])
            first = next((i for i, r in enumerate(info["readings"]) if r.get(attribute) == asked[attribute]), None)
            facts[f"{name}_from"] = Fact.of(words[start] if start is not None else "never")
            facts[f"{name}_first"] = Fact.of(words[first] if first is not None else "never")
            if attribute == "shape":
                facts["shape_wavers"] = first is not None and start is not None and first < start
            own = [i for i, w in enumerate(clean) if w in (asked[attribute], asked[attribute] + "s")]
            # its word: the first naming it, but for the background the last (the object's colour comes first)
            word = (own[-1] if attribute == "background" else own[0]) if own else None
            facts[f"{name}_with_its_word"] = start is not None and start == word
        return facts
