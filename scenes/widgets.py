"""Drawing pieces that several chapter scenes share.

- `prompt_line`: the chapter's prompt (and seed) in quotes, across the top of the content area;
- `bar`: a flat filled rectangle (value bars, their tracks, meters);
- `ImageRow`: the geometry of a row of square images composited into one picture, which is
  cheaper to show and to swap each step than one ImageMobject per image;
- `labelled_plane`: the framed box that data paths are drawn in, with its caption under it;
- `Slider` and `triangle`: a track with ticks and a knob, and a back-and-forth drag for it;
- `wrap_lines` and `wrapped_text`: text broken into lines to fit a width;
- `short_number`: a number in at most three significant digits, for labels;
- `number_lines` and `centred_lines`: a label with a long number ("seed 18446744073709551615") in
  lines that fit under a small image;
- `spread_apart`: notes placed under things, moved to a line below where they would meet.

Everything here only builds mobjects; adding them to the scene and timing them is the scenes' job.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, Line, Mobject, Rectangle, Text, VGroup

from scenes.common import (
    BODY_SIZE,
    FONT,
    LABEL_SIZE,
    Box,
    ChapterScene,
    char_width,
    line_height,
    made,
    pixels_for,
    upscale,
)


def prompt_line(scene: ChapterScene, prompt: str, seed: int | None = None) -> Mobject:
    """The prompt in quotes (then its seed, if given) in the accent colour, centred at the top of the
    content box: on one line where it fits, else in centred lines (the seed and its number kept
    together). Text is not shrunk below the type scale: a long prompt and a 20-digit seed stay readable."""
    left, right, _, top = scene.content_box()
    words = f"“{prompt}”".split()
    if seed is not None:
        words.append(f"  seed {seed}")  # three spaces after the prompt on one line; kept whole
    texts = wrap_lines(words, BODY_SIZE, right - left)
    lines = VGroup(*[scene.text(line, BODY_SIZE, scene.theme.accent) for line in texts])
    lines.arrange(DOWN, buff=0.12)
    scene.fit_width(lines, right - left)
    lines.move_to((0, top - lines.height / 2, 0))
    return lines


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


def labelled_plane(scene: ChapterScene, area: Box, caption: str, caption_buff: float = 0.15, height: float | None = None
                   ) -> tuple[Rectangle, Text, Box]:  # fmt: skip
    """A thin frame for drawing data paths in, at the top of `area` and as wide, its caption under
    it; the frame fills the area's height less the caption's (or is `height` tall). Returns the
    frame, the caption and the frame's box."""
    label = wrapped_text(scene, caption, LABEL_SIZE, area.width, color=scene.theme.muted, max_lines=2)
    if height is None:
        height = area.height - label.height - caption_buff
    plane = Rectangle(width=area.width, height=height, stroke_width=1.2, color=scene.theme.muted)
    plane.move_to((area.centre[0], area.top - height / 2, 0))
    label.next_to(plane, DOWN, buff=caption_buff)
    box = Box(plane.get_left()[0], plane.get_right()[0], plane.get_bottom()[1], plane.get_top()[1])
    return plane, label, box


def label_beside(label: Mobject, point: np.ndarray, away: np.ndarray, inside: Box, buff: float = 0.12) -> Mobject:
    """Put `label` next to `point`, on the side that points most along `away` among those that keep
    it inside `inside` (the side `away` itself if none does)."""
    sides = sorted((UP, DOWN, LEFT, RIGHT), key=lambda side: -float(np.dot(side[:2], away[:2])))
    for side in sides:
        label.next_to(point, side, buff=buff)
        if (label.get_left()[0] >= inside.left and label.get_right()[0] <= inside.right
                and label.get_bottom()[1] >= inside.bottom and label.get_top()[1] <= inside.top):  # fmt: skip
            return label
    return label.next_to(point, sides[0], buff=buff)


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


def wrap_lines(words: Sequence[str], size: float, max_width: float, max_lines: int = 3) -> list[str]:
    """`words` joined by spaces into as few lines as fit `max_width` at font size `size` (at most
    `max_lines`: then lines of even length, which may be too wide). A word may hold spaces (it is
    kept whole); a line does not start with spaces.

    Widths are estimated from the font's mean character width, so a layout can plan its lines
    without making the text.
    """
    per_char = char_width(size) * 1.03  # a little wider than lowercase prose: capitals, quotes
    if len(" ".join(words)) * per_char <= max_width:
        return [" ".join(words)] if words else [""]
    limit = max_width / per_char  # characters a line may hold
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += f" {word}"
        else:
            lines.append(word.lstrip())
    if len(lines) > max_lines:  # too long for max_lines: even lines
        per_line = math.ceil(len(" ".join(words)) / max_lines)
        lines = []
        for word in words:
            if lines and (len(lines[-1]) + 1 + len(word) <= per_line or len(lines) == max_lines):
                lines[-1] += f" {word}"
            else:
                lines.append(word.lstrip())
    return lines


def wrapped_text(
    scene: ChapterScene,
    s: str,
    size: float,
    max_width: float,
    max_height: float | None = None,
    color: str | None = None,
    max_lines: int = 3,
) -> Text:
    """`scene.text(s)` broken at spaces into as few lines as fit `max_width` (at most `max_lines`).

    Lines are planned by `wrap_lines` (the text is made once). Only a text that still does not fit is
    shrunk, which the frame tests then catch: give it more room rather than letting it shrink.
    """
    if len(s) * char_width(size) * 1.03 > max_width:  # (as wrap_lines estimates it)
        s = "\n".join(wrap_lines(s.split(), size, max_width, max_lines))
    mob = scene.text(s, size, color)
    scene.fit_width(mob, max_width)
    if max_height is not None and mob.height > max_height:
        mob.scale_to_fit_height(max_height)
    return mob


DIGIT_WIDTH = 1.2  # a digit is this much wider than the font's mean character (Inter's figures are wide)
LINE_GAP = 0.05  # between the lines of `centred_lines`


def number_lines(prefix: str, number: object, size: float, width: float, suffix: str = "") -> list[str]:
    """A label like "seed 1234" as one line if it fits `width` at font size `size`; else the prefix on a line of its
    own, then the number's characters in lines that fit (a 20-digit seed under a small image), then the
    suffix (", again") after them where it fits, else on a line of its own."""
    per_char = char_width(size) * DIGIT_WIDTH
    one = f"{prefix} {number}{suffix}"
    if len(one) * per_char <= width:
        return [one]
    digits, per_line = str(number), max(1, int(width / per_char))
    lines = [prefix, *[digits[i : i + per_line] for i in range(0, len(digits), per_line)]]
    if suffix and (len(lines[-1]) + len(suffix)) * per_char <= width:
        lines[-1] += suffix
    elif suffix:
        lines.append(suffix.lstrip(", "))
    return lines


def lines_height(lines: int, size: float) -> float:
    """The height of `lines` lines of text of font size `size` stacked by `centred_lines`."""
    return lines * line_height(size) + (lines - 1) * LINE_GAP


def centred_lines(scene: ChapterScene, lines: Sequence[str], size: float, colour: str | None = None) -> VGroup:
    """Lines of text, each centred under the one before (a label under or over an image)."""
    return VGroup(*[scene.text(line, size, colour) for line in lines]).arrange(DOWN, buff=LINE_GAP)


def short_number(x: float, digits: int = 3) -> str:
    """`x` in at most `digits` significant digits, without an exponent: 4.0 -> "4", 7.25 -> "7.25",
    14.160124 -> "14.2", 29.999999999999996 -> "30" (a label of a value as people write it)."""
    if abs(x) >= 10**digits:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def spread_apart(notes: Sequence[tuple[Mobject, float]], top: float, left: float, right: float,
                 gap: float = 0.3) -> None:  # fmt: skip
    """Put each note under `top`, centred at its x as far as `left` and `right` allow; a note that would
    meet one already placed goes to the next line down (`notes` in order of x)."""
    lines: list[list[Mobject]] = []
    height = max((note.height for note, _ in notes), default=0.0)
    step = height + 0.1
    for note, x in notes:
        half = note.width / 2
        x = min(max(x, left + half), right - half)
        for k in itertools.count():
            if k == len(lines):
                lines.append([])
            if all(abs(x - other.get_x()) >= half + other.width / 2 + gap for other in lines[k]):
                break
        note.move_to((x, top - k * step - height / 2, 0))
        lines[k].append(note)


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#RRGGBB' as an (r, g, b) tuple of 0..255 ints."""
    c = color.lstrip("#")
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16))


def compose_grid(
    images: list[np.ndarray],
    cols: int,
    cell_px: int,
    gap_px: int = 4,
    background: tuple[int, int, int] = (0, 0, 0),
    smooth: bool = False,
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


def fit_points(
    points: np.ndarray, box: tuple[float, float, float, float], pad: float = 0.08, equal: bool = True
) -> np.ndarray:
    """Map 2D data points [..., 2] into box (left, right, bottom, top), equal scale on both axes
    (or, `equal=False`, stretched to fill the box: for maps whose axes mean nothing, like t-SNE's).

    Returns scene coordinates [..., 3] (z = 0), centred in the box with `pad` (fraction) margin.
    """
    pts = np.asarray(points, np.float64)
    flat = pts.reshape(-1, 2)
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    left, right, bottom, top = box
    scale = np.array([(right - left) * (1 - 2 * pad) / span[0], (top - bottom) * (1 - 2 * pad) / span[1]])
    if equal:
        scale[:] = scale.min()
    centre_data = (lo + hi) / 2
    centre_box = np.array([(left + right) / 2, (bottom + top) / 2])
    xy = (pts - centre_data) * scale + centre_box
    return np.concatenate([xy, np.zeros(xy.shape[:-1] + (1,))], axis=-1)


@dataclass(frozen=True)
class GridFit:
    """The largest grid of `n` equal cells that fits a box: `cols` x `rows` cells `cell_w` x `cell_h`
    units, `gap` apart, each with `extra` units below it (for a label)."""

    cols: int
    rows: int
    cell_w: float
    cell_h: float
    gap: float
    extra: float

    @property
    def width(self) -> float:
        return self.cols * self.cell_w + (self.cols - 1) * self.gap

    @property
    def height(self) -> float:
        return self.rows * (self.cell_h + self.extra) + (self.rows - 1) * self.gap


def best_grid(
    n: int,
    width: float,
    height: float,
    aspect: float = 1.0,
    gap: float = 0.12,
    extra: float | Callable[[float], float] = 0.0,
    largest: float | None = None,
) -> GridFit:
    """The column count that gives `n` cells of width/height `aspect` the largest size inside
    width x height (cells at most `largest` wide).

    `extra` may depend on the width of a column (its share of `width`): the room a label takes under
    its cell when it may be as wide as the column (wrapped into more lines in a narrower one).
    """
    room = extra if callable(extra) else (lambda _: extra)
    best = None
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        column = (width - (cols - 1) * gap) / cols
        below = room(column)
        cell_w = min(column, ((height - (rows - 1) * gap) / rows - below) * aspect)
        if largest is not None:
            cell_w = min(cell_w, largest)
        if best is None or cell_w > best.cell_w + 1e-9:
            best = GridFit(cols, rows, cell_w, cell_w / aspect, gap, below)
    return best


class Counter(VGroup):
    """A text with a number in it that changes often ("step 12 / 28"), redrawn from cached glyphs.

    Made once with Pango; `show(value)` reshapes one glyph mobject per place of the number into the
    digit it shows (copying a cached glyph's outline), so no Text is made per step and the mobjects
    on screen stay the same ones: Manim draws, during a play, the mobjects it found moving when the
    play began, so swapping in new ones would leave the old digits drawn. The number takes the
    places of the glyphs of `placeholder` ("00", "0.00"), right-aligned.
    """

    GLYPHS = "0123456789.-"

    def __init__(self, scene: ChapterScene, template: str, placeholder: str, size: float, colour: str | None = None):
        super().__init__()
        before, after = template.split("{}")
        full = scene.text(before + placeholder + after, size, colour)
        start, width = len(before.replace(" ", "")), len(placeholder)  # glyphs skip spaces
        self.text_size, self.original_text = size, template  # read as text by the frame checks (common.on_screen)
        self.glyphs = digit_glyphs(size, colour or scene.theme.text)
        self.fixed = VGroup(*full.submobjects[:start], *full.submobjects[start + width :])
        placeholder_glyphs = full.submobjects[start : start + width]
        self.number = VGroup(*placeholder_glyphs)  # one drawn mobject per place, reshaped by show
        # Invisible copies of the placeholder mark where the places are, wherever the counter is moved.
        self.places = VGroup(*[g.copy() for g in placeholder_glyphs]).set_fill(opacity=0).set_stroke(opacity=0)
        self.add(self.fixed, self.places, self.number)

    def show(self, value: str) -> Counter:
        """Show `value` (digits, '.' and '-' only) in the number's place."""
        value = value[-len(self.number) :].rjust(len(self.number))
        baseline = self.places[0].get_bottom()[1]  # "0" sits on the baseline
        for anchor, place, ch in zip(self.places, self.number, value, strict=True):
            if ch == " ":
                place.set_points(np.zeros((0, 3)))  # drawn as nothing, but the same mobject
                continue
            glyph, lift = self.glyphs[ch]
            place.set_points(glyph.points + ((anchor.get_center()[0], baseline + lift, 0) - glyph.get_center()))
        return self


@functools.cache
def digit_glyphs(size: float, colour: str) -> dict[str, tuple[Mobject, float]]:
    """Counter's glyphs ('0'..'9', '.', '-') at a size and colour, each with its centre's height above
    the baseline; made once per process."""
    glyphs = made(Text, Counter.GLYPHS, font=FONT, font_size=size, color=colour)
    baseline = glyphs.submobjects[0].get_bottom()[1]  # "0" sits on the baseline
    return {ch: (g, g.get_center()[1] - baseline) for ch, g in zip(Counter.GLYPHS, glyphs.submobjects, strict=True)}
