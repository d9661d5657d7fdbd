"""caption: a chapter kind defined outside the render package, to show what a new kind takes.

The prompt as a caption under its generated image. One module for the engine side (this file)
and one for the scene (caption_scene.py); `render.kinds.register(Caption())` makes it known. It
measures one fact, the caption's word count, and defines one claim on it, the way the shipped
kinds do (render/kinds/facts.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from render.kinds.base import AnalysisContext, PromptChapter, Runs, SceneRef, Settings, SingleRunKind, only
from render.kinds.facts import Claim


class CaptionChapter(PromptChapter):
    """A generated image with its prompt as a caption."""

    kind: Literal["caption"]


class Caption(SingleRunKind[CaptionChapter]):
    name = "caption"
    chapter = CaptionChapter
    scene = SceneRef(Path(__file__).with_name("caption_scene.py"), "CaptionScene")
    facts = {"words": "how many words the caption has"}
    claims = {"short_caption": Claim("the caption is short", "words", lambda v: v <= 8, "<= 8 words")}

    def analyse(self, chapter: CaptionChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        return {"prompt": chapter.prompt}, {"image": only(runs).image}

    def measure(self, chapter, settings, runs, context, info, arrays):
        return {"words": len(chapter.prompt.split())}
