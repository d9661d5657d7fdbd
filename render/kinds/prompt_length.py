"""prompt_length: the words of one prompt appear one by one, and the image for each prefix follows.

Chapter data (K words):
    info: prompt, words, prefixes (prefix i = the first i+1 words)
    arrays: images [K, H, W, 3], previews [1, n+1, H, W, 3] (the first word's run: the only one
            shown step by step; the others show their final image), change [K] (RMS distance to the
            previous prefix's image; 0 for the first)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from render.engine.requests import FINAL_ONLY, Shown
from render.kinds.base import AnalysisContext, Kind, Runs, SceneRef, Settings, ShownByRole, change_along, stack
from render.paths import SCENES_DIR
from render.storyboard.schema import ChapterBase, Prompt
from render.web import figures


class PromptLengthChapter(ChapterBase):
    """Each word prefix of one prompt gets an image."""

    prompt_fields = ("prompt",)
    kind: Literal["prompt_length"]
    prompt: Prompt = Field(description="a non-empty prompt (each word prefix gets an image)")

    def prefixes(self) -> list[str]:
        """The first word, the first two words, ..., the whole prompt."""
        words = self.prompt.split()
        return [" ".join(words[: i + 1]) for i in range(len(words))]


class PromptLength(Kind[PromptLengthChapter]):
    name = "prompt_length"
    chapter = PromptLengthChapter
    scene = SceneRef(SCENES_DIR / "prompt_length.py", "PromptLengthScene")
    web = figures.shipped(figures.prompt_length)

    def requests(self, chapter: PromptLengthChapter, settings: Settings):
        return {"prefixes": [settings.request(p) for p in chapter.prefixes()]}

    def shown(self, chapter: PromptLengthChapter, settings: Settings) -> ShownByRole:
        return {"prefixes": [Shown(steps=True)] + [FINAL_ONLY] * (len(chapter.prefixes()) - 1)}

    def analyse(self, chapter: PromptLengthChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        prefixes = runs["prefixes"]
        images = stack(prefixes, "image")
        info = {"prompt": chapter.prompt, "words": chapter.prompt.split(), "prefixes": chapter.prefixes()}
        return info, {"images": images, "previews": prefixes[0].previews[None], "change": change_along(images)}
