"""Shared base for the chapter scenes: data loading, narration-timed beats, layout, images, text.

Every chapter scene is a `ChapterScene` subclass. It reads only a chapter data bundle (see
render/chapter_data.py) and a timing file, both named by environment variables, so it can be
rendered by the engine (render/clips.py) or by hand:

    N2I_CHAPTER=build/.../chapter N2I_TIMING=build/.../timing.json manim -ql scenes/denoising.py DenoisingScene

Without N2I_TIMING the beats are timed from the narration's word count (2.6 words/s).

A scene's `construct` reads as its list of beats: layout methods build what several beats share
(kept as attributes), then one method per beat plays its slot. Drawing pieces that more than one
scene uses (prompt line, bars, image rows, slider, ...) are in scenes/widgets.py; scene modules
import only from this module and that one (besides manim, numpy and PIL).

## Time: slots fitted to the narration

A scene has a fixed number of visual phases; the storyboard's narration has any number of beats.
`self.slots(n)` maps the beats onto n `Slot`s that partition [0, total] (several beats per slot
when there are more beats, a beat split evenly when there are fewer). Inside a slot, animations
are placed on absolute times, so rounding never accumulates and the clip ends on `total`:

    s = self.slots(3)
    with self.beat(s[0], "title"):                          # next_section + start on time
        self.play_until(s[0].at(0.4), FadeIn(title))       # ends at 40% of the slot
    with self.beat(s[1], "journey"):
        self.step_through(s[1].start, s[1].end, n, show)    # show(i) swaps images, held in turn
    ...                                                     # leaving a beat waits out its slot

Every time is quantised to whole frames; `self.now` is the time already rendered. After
`construct`, `tear_down` holds the last frame until `total`, so the clip is exactly
round(total * fps) frames long.

## Layout (16:9 frame, 14.2 x 8 units)

`SAFE` is the box content may use: the bottom 12% of the frame is kept free for subtitles, and
there is a margin on the other sides. `self.header()` puts the chapter title at the top; the
content area is then `self.content_box()` (left, right, bottom, top). Text never overlaps images:
put labels beside or above them with `next_to`.

## Images

`image_mobject(arr, height)` upscales a uint8 [H, W, 3] array with PIL (LANCZOS, or NEAREST for
data like latents: `smooth=False`) to the exact on-screen pixel size for the current quality,
so Cairo only blits it. To animate a sequence, keep one ImageMobject and swap its pixels
(`set_image`) at step boundaries rather than creating or moving many ImageMobjects; compose
grids into one array with `compose_grid`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import manimpango
import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    FadeIn,
    ImageMobject,
    MarkupText,
    Mobject,
    Scene,
    Text,
    VGroup,
    config,
)
from manim.constants import RESAMPLING_ALGORITHMS
from PIL import Image

from render.chapter_data import ChapterDataError, Timing, estimate_timing, load_chapter_data, load_timing
from render.paths import FONT_DIR

FONT = "Inter"

# Content must stay inside this box (frame units); the bottom 12% (0.96 units) is for subtitles.
SAFE_LEFT = -config.frame_width / 2 + 0.45
SAFE_RIGHT = config.frame_width / 2 - 0.45
SAFE_TOP = config.frame_height / 2 - 0.3
SAFE_BOTTOM = -config.frame_height / 2 + 0.12 * config.frame_height
SAFE = (SAFE_LEFT, SAFE_RIGHT, SAFE_BOTTOM, SAFE_TOP)

# Font sizes (Manim font_size units) that stay readable at 480p.
TITLE_SIZE = 40
HEADING_SIZE = 30
BODY_SIZE = 24
LABEL_SIZE = 20
SMALL_SIZE = 17

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


@dataclass(frozen=True)
class Slot:
    """A stretch of the clip [start, end) in seconds, with the narration beat texts it carries."""

    index: int
    start: float
    end: float
    texts: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        """Length of the slot in seconds."""
        return self.end - self.start

    def at(self, fraction: float) -> float:
        """The absolute time `fraction` (0..1) of the way through the slot."""
        return self.start + min(max(fraction, 0.0), 1.0) * self.duration


def plan_slots(timing: Timing, n: int) -> list[Slot]:
    """Map the timing's beats onto `n` slots that partition [0, total] (see module docstring)."""
    if n < 1:
        raise ValueError("a scene needs at least one slot")
    beats = timing.beats
    total = float(timing.total)
    if not beats:
        return [Slot(j, total * j / n, total * (j + 1) / n) for j in range(n)]
    b = len(beats)
    # Each beat owns [its start, the next beat's start); the first from 0, the last to total.
    bounds = [0.0] + [float(beats[i].start) for i in range(1, b)] + [total]
    slots = []
    if b >= n:
        for j in range(n):
            lo, hi = j * b // n, (j + 1) * b // n
            texts = tuple(beats[i].text for i in range(lo, hi))
            slots.append(Slot(j, bounds[lo], bounds[hi], texts))
    else:
        owner = [j * b // n for j in range(n)]  # beat of each slot
        for j in range(n):
            i = owner[j]
            mine = [k for k in range(n) if owner[k] == i]
            part = mine.index(j)
            span = bounds[i + 1] - bounds[i]
            start = bounds[i] + span * part / len(mine)
            end = bounds[i] + span * (part + 1) / len(mine)
            slots.append(Slot(j, start, end, (beats[i].text,) if part == 0 else ()))
    return slots


def upscale(arr: np.ndarray, width_px: int, height_px: int, smooth: bool = True) -> np.ndarray:
    """Resize a uint8 [H, W, 3|4] image to (height_px, width_px) with LANCZOS (smooth) or NEAREST."""
    img = Image.fromarray(np.ascontiguousarray(arr))
    resample = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
    return np.asarray(img.resize((max(1, width_px), max(1, height_px)), resample))


def pixels_for(height: float) -> int:
    """On-screen pixel rows that `height` frame units cover at the current quality."""
    return max(1, round(height / config.frame_height * config.pixel_height))


def compose_grid(
    images: list[np.ndarray],
    cols: int,
    cell_px: int,
    gap_px: int = 4,
    background: tuple[int, int, int] = (0, 0, 0),
    smooth: bool = True,
    row_gap_px: int | None = None,
) -> np.ndarray:
    """One uint8 RGB image of `images` in a grid, each scaled to a cell_px square cell.

    Cheaper to show (and to swap each step) than one ImageMobject per cell. `row_gap_px`
    (default `gap_px`) leaves room for labels under each row.
    """
    rows = math.ceil(len(images) / cols)
    rgap = gap_px if row_gap_px is None else row_gap_px
    out = np.empty((rows * cell_px + (rows - 1) * rgap, cols * cell_px + (cols - 1) * gap_px, 3), np.uint8)
    out[:] = background
    for k, im in enumerate(images):
        r, c = divmod(k, cols)
        y, x = r * (cell_px + rgap), c * (cell_px + gap_px)
        out[y : y + cell_px, x : x + cell_px] = upscale(im[..., :3], cell_px, cell_px, smooth)
    return out


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#RRGGBB' as an (r, g, b) tuple of 0..255 ints."""
    c = color.lstrip("#")
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16))


class ChapterScene(Scene):
    """Base of all chapter scenes: loads the bundle in `setup`, times beats, shares the look.

    Attributes after setup: `info` (chapter.json), `arrays` (arrays.npz), `params`
    (the chapter's storyboard parameters), `timing`, `total`, `fps`, `theme`.
    """

    def setup(self) -> None:
        """Load the bundle and the timing named by N2I_CHAPTER and N2I_TIMING; set the theme."""
        register_fonts()
        folder = os.environ.get("N2I_CHAPTER")
        if not folder:
            raise ChapterDataError(
                "N2I_CHAPTER is not set: point it at a chapter data folder "
                "(e.g. N2I_CHAPTER=build/<storyboard>/chapters/<id> manim -ql scenes/....py Scene)"
            )
        self.info, self.arrays = load_chapter_data(Path(folder))
        self.params: dict[str, Any] = self.info.get("params", {})
        timing_path = os.environ.get("N2I_TIMING")
        if timing_path:
            self.timing = load_timing(Path(timing_path))
        else:
            narration = self.info.get("narration") or [self.info.get("title", "")]
            self.timing = estimate_timing(list(narration))
        self.total = float(self.timing.total)
        self.fps = float(config.frame_rate)
        self.theme = Theme.named(self.info.get("theme", "dark"))
        self.camera.background_color = self.theme.background
        self._header: Mobject | None = None

    # ---- time ---------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Seconds of video rendered so far."""
        return float(self.renderer.time)

    def _frames_until(self, t: float) -> int:
        return round(min(t, self.total) * self.fps) - round(self.now * self.fps)

    def slots(self, n: int) -> list[Slot]:
        """The narration mapped onto `n` visual phases (see `plan_slots`)."""
        return plan_slots(self.timing, n)

    def play_until(self, t: float, *animations: Any, **kwargs: Any) -> None:
        """Play `animations` so that they end at absolute time `t` (at least one frame)."""
        frames = max(1, self._frames_until(t))
        # np.arange(0, run_time, 1/fps) then yields exactly `frames` frames.
        self.play(*animations, run_time=(frames - 0.5) / self.fps, **kwargs)

    def play_for(self, seconds: float, *animations: Any, **kwargs: Any) -> None:
        """Play `animations` over `seconds` from now (rounded to whole frames)."""
        self.play_until(self.now + seconds, *animations, **kwargs)

    def hold_until(self, t: float) -> None:
        """Hold the current picture (updaters keep running) until absolute time `t`."""
        frames = self._frames_until(t)
        if frames <= 0:
            return
        if any(m.updaters for m in self.get_mobject_family_members()):
            self.wait((frames - 0.5) / self.fps, frozen_frame=False)
        else:  # nothing moves: Manim writes one frame `frames` times instead of redrawing each
            self.wait((frames + 0.5) / self.fps, frozen_frame=True)

    @contextmanager
    def beat(self, slot: Slot, name: str = "") -> Iterator[Slot]:
        """A cut point (`next_section`) at the slot's start; on exit, hold until its end."""
        self.hold_until(slot.start)
        self.next_section(f"{slot.index:02d}-{name or 'beat'}")
        yield slot
        self.hold_until(slot.end)

    def step_through(self, start: float, end: float, count: int, show: Callable[[int], None]) -> None:
        """Call show(i) for i in 0..count-1, each picture held for an equal share of [start, end].

        Use it to swap images at denoising-step boundaries; steps shorter than a frame are merged.
        """
        for i in range(count):
            t_i = start + (end - start) * i / count
            if i and self._frames_until(t_i) <= 0 and i != count - 1:
                continue  # this step would not get a frame of its own
            show(i)
            self.hold_until(max(start + (end - start) * (i + 1) / count, self.now + 1 / self.fps))

    def tear_down(self) -> None:
        """Hold the last picture so the clip lasts exactly `total`."""
        self.hold_until(self.total)
        super().tear_down()

    # ---- text and layout -----------------------------------------------------------------------

    def text(self, s: str, size: float = BODY_SIZE, color: str | None = None, bold: bool = False) -> Text:
        """Text in the shipped font and the theme's text colour."""
        return Text(
            s, font=FONT, font_size=size, color=color or self.theme.text, weight="SEMIBOLD" if bold else "NORMAL"
        )

    def markup(self, s: str, size: float = BODY_SIZE, color: str | None = None, bold: bool = False) -> MarkupText:
        """Pango markup text (e.g. 10<sup>80</sup>) in the shipped font."""
        return MarkupText(
            s, font=FONT, font_size=size, color=color or self.theme.text, weight="SEMIBOLD" if bold else "NORMAL"
        )

    def fit_width(self, mob: Mobject, width: float) -> Mobject:
        """Shrink `mob` to at most `width` (never enlarges)."""
        if mob.width > width:
            mob.scale_to_fit_width(width)
        return mob

    def header(self) -> Mobject:
        """The chapter title, top left, inside the safe box (made once)."""
        if self._header is None:
            title = self.text(self.info.get("title", ""), HEADING_SIZE, bold=True)
            self.fit_width(title, SAFE_RIGHT - SAFE_LEFT)
            title.to_corner(UP + LEFT, buff=0).shift(RIGHT * (SAFE_LEFT + config.frame_width / 2))
            title.shift(DOWN * (config.frame_height / 2 - SAFE_TOP))
            rule = (
                VGroup()
                if not title.width
                else _rule(title.get_left(), SAFE_RIGHT, title.get_bottom()[1] - 0.12, self.theme.muted)
            )
            self._header = VGroup(title, rule)
        return self._header

    def content_box(self) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) of the area under the header and above the subtitles."""
        top = self.header().get_bottom()[1] - 0.2
        return (SAFE_LEFT, SAFE_RIGHT, SAFE_BOTTOM, top)

    def title_card(self, slot: Slot, hold: float = 0.55) -> None:
        """Chapter title large in the centre, then moved up into the header (uses `slot`)."""
        big = self.text(self.info.get("title", ""), TITLE_SIZE, bold=True)
        self.fit_width(big, SAFE_RIGHT - SAFE_LEFT)
        big.move_to((0, (SAFE_TOP + SAFE_BOTTOM) / 2, 0))
        head = self.header()
        self.play_until(slot.at(hold * 0.5), FadeIn(big, shift=UP * 0.2))
        self.hold_until(slot.at(hold))
        end = slot.at(1.0) if hold >= 0.9 else slot.at(hold + 0.25)
        self.play_until(end, big.animate.become(head[0]), FadeIn(head[1]))
        self.remove(big)
        self.add(head)

    def title_beat(self, slot: Slot, hold: float = 0.55, subtitle: Mobject | None = None) -> None:
        """A beat of its own for the title card (`title_card`); then `subtitle` (e.g. the prompt
        under the header) fades in, down into place, by the end of the beat."""
        with self.beat(slot, "title"):
            self.title_card(slot, hold)
            if subtitle is not None:
                self.play_until(slot.at(1.0), FadeIn(subtitle, shift=DOWN * 0.2))

    # ---- images -------------------------------------------------------------------------------

    def image_mobject(self, arr: np.ndarray, height: float, smooth: bool = True) -> ImageMobject:
        """An ImageMobject `height` units tall, pre-scaled to its on-screen pixels (see module doc)."""
        h_px = pixels_for(height)
        w_px = max(1, round(h_px * arr.shape[1] / arr.shape[0]))
        mob = ImageMobject(upscale(arr, w_px, h_px, smooth))
        mob.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        mob.height = height
        return mob

    def set_image(self, mob: ImageMobject, arr: np.ndarray, smooth: bool = True) -> None:
        """Replace the pixels of an ImageMobject made by `image_mobject` (same on-screen size)."""
        h_px, w_px = mob.pixel_array.shape[:2]
        rgb = upscale(arr, w_px, h_px, smooth)
        rgba = np.empty((h_px, w_px, 4), np.uint8)
        rgba[..., :3] = rgb[..., :3]
        rgba[..., 3] = 255
        mob.pixel_array = rgba

    def framed(self, mob: Mobject, color: str | None = None, buff: float = 0.0) -> VGroup:
        """A thin border around `mob` (images get a 1-unit-independent outline)."""
        from manim import SurroundingRectangle

        return SurroundingRectangle(mob, color=color or self.theme.muted, buff=buff, stroke_width=1.5)


def _rule(start: np.ndarray, right: float, y: float, color: str) -> Mobject:
    from manim import Line

    return Line((start[0], y, 0), (right, y, 0), stroke_width=1.2, color=color, stroke_opacity=0.6)


def fit_points(points: np.ndarray, box: tuple[float, float, float, float], pad: float = 0.08) -> np.ndarray:
    """Map 2D data points [..., 2] into box (left, right, bottom, top), equal scale on both axes.

    Returns scene coordinates [..., 3] (z = 0), centred in the box with `pad` (fraction) margin.
    """
    pts = np.asarray(points, np.float64)
    flat = pts.reshape(-1, 2)
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    left, right, bottom, top = box
    scale = min((right - left) * (1 - 2 * pad) / span[0], (top - bottom) * (1 - 2 * pad) / span[1])
    centre_data = (lo + hi) / 2
    centre_box = np.array([(left + right) / 2, (bottom + top) / 2])
    xy = (pts - centre_data) * scale + centre_box
    return np.concatenate([xy, np.zeros(xy.shape[:-1] + (1,))], axis=-1)
