"""Drawing pieces that several chapter scenes share.

- `prompt_line`: the chapter's prompt (and seed) in quotes, across the top of the content area;
- `bar`: a flat filled rectangle (value bars, their tracks, meters);
- `ImageRow`: the geometry of a row of square images composited into one picture, which is
  cheaper to show and to swap each step than one ImageMobject per image;
- `labelled_plane`: the framed box that data paths are drawn in, with its caption under it;
- `Slider` and `triangle`: a track with ticks and a knob, and a back-and-forth drag for it;
- `wrapped_text`: text broken into lines to fit a width.

Everything here only builds mobjects; adding them to the scene and timing them is the scenes' job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from manim import DOWN, Circle, Line, Mobject, Rectangle, Text, VGroup

from scenes.common import BODY_SIZE, LABEL_SIZE, ChapterScene, compose_grid, pixels_for


def prompt_line(scene: ChapterScene, prompt: str, seed: int | None = None) -> Text:
    """The prompt in quotes (then its seed, if given) in the accent colour, at the top of the content box."""
    left, right, _, top = scene.content_box()
    words = f"“{prompt}”" if seed is None else f"“{prompt}”   seed {seed}"
    line = scene.text(words, BODY_SIZE, scene.theme.accent)
    scene.fit_width(line, right - left)
    line.move_to((0, top - line.height / 2, 0))
    return line


def bar(width: float, height: float, colour: str, opacity: float = 1.0) -> Rectangle:
    """A filled rectangle without an outline."""
    return Rectangle(width=width, height=height, stroke_width=0, fill_color=colour, fill_opacity=opacity)


@dataclass(frozen=True)
class ImageRow:
    """`count` square cells `cell` units wide, `gap` units apart, composited into one picture.

    Cell and gap are whole pixels on screen (`cell_px`, `gap_px`), so `centres` finds each cell
    exactly in the ImageMobject that shows the picture.
    """

    count: int
    cell: float
    gap: float
    background: tuple[int, int, int]

    @classmethod
    def across(cls, count: int, width: float, gap: float, largest: float, background: tuple[int, int, int]) -> ImageRow:
        """The row of `count` cells that fills `width`, with cells at most `largest` units wide."""
        return cls(count, min(largest, (width - gap * (count - 1)) / count), gap, background)

    @property
    def cell_px(self) -> int:
        """A cell's width in screen pixels."""
        return pixels_for(self.cell)

    @property
    def gap_px(self) -> int:
        """The gap's width in screen pixels."""
        return pixels_for(self.gap)

    def compose(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """The row's picture: `images` left to right, each scaled to a cell."""
        return compose_grid(
            list(images), cols=self.count, cell_px=self.cell_px, gap_px=self.gap_px, background=self.background
        )

    def centres(self, shown: Mobject) -> list[float]:
        """The x of each cell's centre in `shown`, an ImageMobject of `compose`'s picture."""
        unit = shown.width / shown.pixel_array.shape[1]  # frame units per pixel of the picture
        left = shown.get_left()[0]
        return [left + (k * (self.cell_px + self.gap_px) + self.cell_px / 2) * unit for k in range(self.count)]


def labelled_plane(
    scene: ChapterScene,
    width: float,
    height: float,
    centre: tuple[float, float],
    caption: str,
    caption_buff: float,
) -> tuple[Rectangle, Text, tuple[float, float, float, float]]:
    """A thin frame for drawing data paths in, its caption under it, and its (left, right, bottom, top)."""
    plane = Rectangle(width=width, height=height, stroke_width=1.2, color=scene.theme.muted)
    plane.move_to((centre[0], centre[1], 0))
    label = scene.text(caption, LABEL_SIZE, scene.theme.muted)
    scene.fit_width(label, plane.width)
    label.next_to(plane, DOWN, buff=caption_buff)
    box = (plane.get_left()[0], plane.get_right()[0], plane.get_bottom()[1], plane.get_top()[1])
    return plane, label, box


class Slider(VGroup):
    """A horizontal track from x0 to x1 at height y with a tick at each of `stops` (0..1) and a knob."""

    def __init__(
        self, x0: float, x1: float, y: float, stops: list[float], color: str, knob_color: str, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.x0, self.x1, self.y = x0, x1, y
        self.track = Line((x0, y, 0), (x1, y, 0), stroke_width=4, color=color)
        self.ticks = VGroup(
            *[
                Line((self.x_of(u), y - 0.09, 0), (self.x_of(u), y + 0.09, 0), stroke_width=2, color=color)
                for u in stops
            ]
        )
        self.knob = Circle(
            radius=0.14, stroke_width=2.5, stroke_color=knob_color, fill_color=knob_color, fill_opacity=1
        ).move_to((x0, y, 0))
        self.add(self.track, self.ticks, self.knob)

    def x_of(self, u: float) -> float:
        """The x of position `u` (clamped to 0..1) along the track."""
        return self.x0 + (self.x1 - self.x0) * min(max(u, 0.0), 1.0)

    def set_knob(self, u: float) -> Mobject:
        """Move the knob to position `u` (0..1)."""
        return self.knob.move_to((self.x_of(u), self.y, 0))


def triangle(u: float, passes: int) -> float:
    """A back-and-forth drag: 0 -> 1 -> 0 -> ... over u in [0, 1], `passes` one-way sweeps, ending at 1
    when `passes` is odd."""
    x = min(max(u, 0.0), 1.0) * passes
    k = min(int(x), passes - 1)
    f = x - k
    return f if k % 2 == 0 else 1.0 - f


def wrapped_text(
    scene: ChapterScene,
    s: str,
    size: float,
    max_width: float,
    max_height: float | None = None,
    color: str | None = None,
    max_lines: int = 3,
) -> Text:
    """`scene.text(s)` broken at spaces into as few lines as fit `max_width`, shrunk if still too big."""
    mob = scene.text(s, size, color)
    if mob.width > max_width:
        lines_needed = min(max_lines, math.ceil(mob.width / max_width))
        per_line = max(1, math.ceil(len(s) / lines_needed))
        lines, line = [], ""
        for word in s.split():
            if line and len(line) + 1 + len(word) > per_line and len(lines) < lines_needed - 1:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        mob = scene.text("\n".join(lines), size, color)
    scene.fit_width(mob, max_width)
    if max_height is not None and mob.height > max_height:
        mob.scale_to_fit_height(max_height)
    return mob
