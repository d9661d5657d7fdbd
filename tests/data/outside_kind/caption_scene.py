"""The scene of the `caption` kind (tests/data/outside_kind/caption.py): the image, then its prompt."""

from __future__ import annotations

from manim import DOWN, FadeIn

from scenes.common import BODY_SIZE, ChapterScene


class CaptionScene(ChapterScene):
    def construct(self) -> None:
        s = self.slots(2)
        with self.beat(s[0], "title"):
            self.title_card(s[0])
        with self.beat(s[1], "image"):
            image = self.image_mobject(self.arrays["image"], 3.0)
            caption = self.text(self.info["prompt"], BODY_SIZE).next_to(image, DOWN)
            self.play_until(s[1].at(0.5), FadeIn(image), FadeIn(caption))
