"""The look shared by every chapter scene: the font, the type scale, the themes, the frame's safe box.

Sizes are in frame units (the frame is 14.2 x 8 units at 16:9) and Manim font sizes; `pixels_for` and
`units_for` convert to and from screen pixels at the current quality. scenes/common.py re-exports
all of it, so scene modules import it from there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

import manimpango
import numpy as np
from manim import Text, config
from PIL import Image

from render.chapter_data import ChapterDataError
from render.paths import FONT_DIR

FONT = "Inter"

MARGIN = 0.4  # frame units between content and the frame's left, right and top edges
# Content must stay inside this box (frame units); the bottom 12% (0.96 units) is for subtitles.
SAFE_LEFT = -config.frame_width / 2 + MARGIN
SAFE_RIGHT = config.frame_width / 2 - MARGIN
SAFE_TOP = config.frame_height / 2 - MARGIN
SAFE_BOTTOM = -config.frame_height / 2 + 0.12 * config.frame_height
SAFE = (SAFE_LEFT, SAFE_RIGHT, SAFE_BOTTOM, SAFE_TOP)


@dataclass(frozen=True)
class TypeScale:
    """Font sizes (Manim font_size) as steps of one ratio from the smallest.

    Size 20 in the shipped font gives capitals 12.1 px tall at 480p (0.6 px per size unit), the
    smallest text the frame tests allow.
    """

    smallest: float = 20
    ratio: float = 1.18

    def step(self, k: int) -> float:
        """The k-th size above the smallest, rounded to a whole size."""
        return float(round(self.smallest * self.ratio**k))


TYPE = TypeScale()
SMALL_SIZE = TYPE.step(0)  # 20: tick labels, seed labels, numbers beside bars
LABEL_SIZE = TYPE.step(1)  # 24: captions and labels of images and charts
BODY_SIZE = TYPE.step(2)  # 28: sentences, the prompt line
HEADING_SIZE = TYPE.step(3)  # 33: the chapter title in the header, key statements
TITLE_SIZE = TYPE.step(5)  # 46: the title card, the one big number of a chapter

_fonts_registered = False


def register_fonts() -> None:
    """Register the shipped font files with Pango (once per process)."""
    global _fonts_registered
    if _fonts_registered:
        return
    for path in sorted(FONT_DIR.glob("*.[ot]tf")):
        manimpango.register_font(str(path))
    _fonts_registered = True


@dataclass(frozen=True)
class Theme:
    """Colours of one visual theme (hex strings)."""

    name: str
    background: str
    text: str
    muted: str
    accent: str
    panel: str
    # Colours for groups / series (seeds, prompt groups, ...), distinguishable on the background.
    palette: tuple[str, ...] = field(default=())

    @classmethod
    def named(cls, name: str) -> Theme:
        """The theme called `name` ("dark" or "light")."""
        if name not in THEMES:
            raise ChapterDataError(f"unknown theme {name!r}; expected one of {sorted(THEMES)}")
        return THEMES[name]

    def series(self, k: int) -> str:
        """The palette colour of the k-th group or series (the palette repeats)."""
        return self.palette[k % len(self.palette)]


THEMES = {
    "dark": Theme(
        name="dark",
        background="#101218",
        text="#ECECF1",
        muted="#9CA3AF",
        accent="#FFB454",
        panel="#1D212B",
        palette=("#5AB4FF", "#FF7A85", "#7EE08A", "#FFC857", "#C792EA", "#4FD1C5", "#F78C6C", "#A3BE8C"),
    ),
    "light": Theme(
        name="light",
        background="#FAFAF7",
        text="#1B1D22",
        muted="#5E6470",
        accent="#D9480F",
        panel="#ECECE6",
        palette=("#1F6FD1", "#C92A3A", "#2B8A3E", "#B7791F", "#7B3FBF", "#0F8A84", "#C2410C", "#4D7C0F"),
    ),
}


class Box(NamedTuple):
    """A rectangle of the frame in frame units (unpacks as left, right, bottom, top)."""

    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def centre(self) -> tuple[float, float, float]:
        return ((self.left + self.right) / 2, (self.bottom + self.top) / 2, 0.0)

    def below(self, y: float, gap: float = 0.0) -> Box:
        """The part of the box under height y (less a gap)."""
        return Box(self.left, self.right, self.bottom, min(self.top, y - gap))

    def right_of(self, x: float, gap: float = 0.0) -> Box:
        """The part of the box right of x (less a gap)."""
        return Box(max(self.left, x + gap), self.right, self.bottom, self.top)


def upscale(arr: np.ndarray, width_px: int, height_px: int, smooth: bool = False) -> np.ndarray:
    """Resize a uint8 [H, W, 3|4] image to (height_px, width_px) with LANCZOS (smooth) or NEAREST."""
    img = Image.fromarray(np.ascontiguousarray(arr))
    resample = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
    return np.asarray(img.resize((max(1, width_px), max(1, height_px)), resample))


@functools.cache
def font_metrics() -> tuple[float, float, float]:
    """(line height, mean character width, capital height) of the shipped font per font_size unit,
    in frame units: measured once (text scales linearly with its font size), so layouts can know a
    text's size without making it."""
    register_fonts()
    sample = "the quick brown fox jumps over the lazy dog"
    measured = Text(f"H{sample}g", font=FONT, font_size=100)
    capital = Text("H", font=FONT, font_size=100)
    return measured.height / 100, (measured.width / (len(sample) + 2)) / 100, capital.height / 100


def line_height(size: float) -> float:
    """The height (frame units) of a line of text of font size `size`, ascender to descender: what a
    label takes up."""
    return font_metrics()[0] * size


def char_width(size: float) -> float:
    """The mean width (frame units) of a character of lowercase prose at font size `size`: enough to
    plan where a text breaks."""
    return font_metrics()[1] * size


def cap_height(size: float) -> float:
    """The height (frame units) of a capital letter at font size `size`."""
    return font_metrics()[2] * size


def units_for(pixels: float) -> float:
    """Frame units that `pixels` screen pixels cover at the current quality (the inverse of pixels_for)."""
    return pixels * config.frame_height / config.pixel_height


def pixels_for(height: float) -> int:
    """On-screen pixel rows that `height` frame units cover at the current quality."""
    return max(1, round(height / config.frame_height * config.pixel_height))
