"""caption: a chapter kind defined outside the render package, to show what a new kind takes.

The prompt as a caption under its generated image. One module for the engine side (this file)
and one for the scene (caption_scene.py); `render.kinds.register(Caption())` makes it known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from render.kinds.base import AnalysisContext, PromptChapter, Runs, SceneRef, Settings, SingleRunKind, only


class CaptionChapter(PromptChapter):
    """A generated image with its prompt as a caption."""

    kind: Literal["caption"]


class Caption(SingleRunKind[CaptionChapter]):
    name = "caption"
    chapter = CaptionChapter
    scene = SceneRef(Path(__file__).with_name("caption_scene.py"), "CaptionScene")

    def analyse(self, chapter: CaptionChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        return {"prompt": chapter.prompt}, {"image": only(runs).image}
