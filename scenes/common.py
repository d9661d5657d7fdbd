"""Shared base for the chapter scenes: data loading, narration-timed beats, layout, images, text.

Every chapter scene is a `ChapterScene` subclass. It reads only a chapter data bundle (see
render/chapter_data.py) and a timing file, both named by environment variables, so it can be
rendered by the engine (render/clips.py) or by hand:

    N2I_CHAPTER=build/.../chapter N2I_TIMING=build/.../timing.json manim -ql scenes/denoising.py DenoisingScene

Without N2I_TIMING the beats are timed from the narration's word count (2.6 words/s).

With N2I_PREVIEW=FOLDER the scene runs in preview mode: Manim's `skip_animations` (no frame is
drawn while playing, every animation jumps to its end) and, at the end of each beat, the frame is
saved as FOLDER/NN-name.png and what is on screen (the box of every visible text, image and shape,
in frame units, and each text's capital height in pixels) is recorded in FOLDER/beats.json. The
beats fall where they fall in the video (same timing), so the frames are the video's. Used by
`noise2image preview` (render/stages/preview.py) and the frame tests:

    N2I_PREVIEW=/tmp/frames N2I_CHAPTER=... N2I_TIMING=... manim -ql --dry_run scenes/denoising.py DenoisingScene

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
        self.play_until(s[0].at(0.4), Fade(title))         # ends at 40% of the slot
    with self.beat(s[1], "journey"):
        self.step_through(s[1].start, s[1].end, n, show)    # show(i) swaps images, held in turn
    ...                                                     # leaving a beat waits out its slot

Every time is quantised to whole frames; `self.now` is the time already rendered. After
`construct`, `tear_down` holds the last frame until `total`, so the clip is exactly
round(total * fps) frames long.

## Layout (16:9 frame, 14.2 x 8 units)

`SAFE` is the box content may use: the bottom 12% of the frame is kept free for subtitles, and
the same margin on the other three sides. `self.header()` puts the chapter title at the top; the
content area is then `self.content_box()` (left, right, bottom, top), about 13.3 x 6 units. Each
scene gives its main figure as much of that area as it can (at its largest at least a third of
the frame), and its text sizes come from one type scale (`TYPE`, below), the smallest of which
is 12 px tall (capitals) at 480p. Text never overlaps images or other text, and nothing leaves
the safe box; the frame tests (tests/test_frames.py) check both from a preview.

## Images

`image_mobject(arr, height)` upscales a uint8 [H, W, 3] array with PIL to the exact on-screen pixel size for the current
quality, NEAREST by default: the model's small images (128 or 64 px) and its latents are shown crisp, pixel by
pixel, never smoothed into blobs (`smooth=True`, LANCZOS, is for photographs),
so Cairo only blits it. To animate a sequence, keep one ImageMobject and swap its pixels
(`set_image`) at step boundaries rather than creating or moving many ImageMobjects; compose
grids into one array with `compose_grid`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Animation,
    ImageMobject,
    MarkupText,
    Mobject,
    ReplacementTransform,
    Scene,
    Text,
    Transform,
    VGroup,
    VMobject,
    Wait,
    config,
)
from manim.constants import RESAMPLING_ALGORITHMS
from manim.utils.bezier import interpolate

from render.chapter_data import ChapterDataError, Timing, estimate_timing, load_chapter_data, load_timing
from render.hold import hold
from scenes.camera import ChapterCamera
from scenes.look import (  # noqa: F401  (the look is imported by scene modules from here)
    BODY_SIZE,
    FONT,
    HEADING_SIZE,
    LABEL_SIZE,
    MARGIN,
    SAFE,
    SAFE_BOTTOM,
    SAFE_LEFT,
    SAFE_RIGHT,
    SAFE_TOP,
    SMALL_SIZE,
    THEMES,
    TITLE_SIZE,
    TYPE,
    Box,
    Theme,
    TypeScale,
    char_width,
    line_height,
    pixels_for,
    register_fonts,
    units_for,
    upscale,
)
from scenes.snapshot import finish_at_once, save_beat, write_beats
from scenes.texts import made  # noqa: F401  (re-exported: widgets.py makes its glyphs with it)


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


PREVIEW_ENV = "N2I_PREVIEW"


def frames_time(frames: int, fps: float) -> float:
    """The run time in which Manim draws exactly `frames` frames (np.arange(0, run_time, 1/fps) has that
    many): half a frame short of them, and for one frame exactly one frame's time (Manim warns about a
    run time under a frame and renders one frame's time anyway)."""
    return max(frames - 0.5, 1.0) / fps


def _copied(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def _kept(value: Any) -> Any:
    """A value as it is now, safe from changes in place (an Arrow's `scale` takes its tip off its list
    of submobjects and puts it back)."""
    return list(value) if isinstance(value, list) else _copied(value)


# What Transform interpolates on each part (a family member with points) besides its points:
# `VMobject.interpolate_color`'s attributes, and `ImageMobject.interpolate_color`'s.
VECTOR_STYLE = (
    "fill_rgbas",
    "stroke_rgbas",
    "background_stroke_rgbas",
    "stroke_width",
    "background_stroke_width",
    "sheen_direction",
    "sheen_factor",
)
IMAGE_STYLE = ("fill_opacity", "stroke_opacity", "pixel_array")


def _style_names(part: Mobject) -> tuple[str, ...]:
    if isinstance(part, VMobject):
        return VECTOR_STYLE
    if isinstance(part, ImageMobject):
        return IMAGE_STYLE
    raise ValueError(f"no copy-free tween for {type(part).__name__}; use Manim's own animation")


def _style(part: Mobject) -> dict[str, Any]:
    return {a: _copied(getattr(part, a)) for a in _style_names(part)}


def _stroke_reach(style: dict[str, Any]) -> float:
    """How far past its points a part's drawing can reach, in frame units: Cairo's line width is
    0.01 unit per stroke width, and a mitred corner (Cairo's limit: 10) goes out five widths; then three
    pixels for antialiasing."""
    widths = [np.max(style.get(a, 0), initial=0) for a in ("stroke_width", "background_stroke_width")]
    return 0.05 * float(max(widths)) + 3 * config.frame_width / config.pixel_width


def _box(points: np.ndarray, margin: float) -> np.ndarray:
    return np.array([*(points[:, :2].min(axis=0) - margin), *(points[:, :2].max(axis=0) + margin)])


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3])


class _Tween(Animation):
    """Every part of a mobject interpolated between two recorded states, points and style, exactly as
    `Transform` interpolates it between a starting copy and a target copy, but without Transform's deep
    copies of the whole mobject (for text, copying is most of such an animation's time). Subclasses
    record the two states in `begin` with `_record` and set `parts`: (part, start, end) each."""

    def _record(self, change: Callable[[], None], keep: bool) -> tuple[list, list, list]:
        """(parts, states before `change`, states after it); unless `keep`, every member of the family
        gets back all it had before (the change is only measured, as on a copy)."""
        family = self.mobject.get_family()
        saved = None if keep else [{k: _kept(v) for k, v in vars(m).items()} for m in family]
        parts = self.mobject.family_members_with_points()
        before = [(part.points.copy(), _style(part)) for part in parts]
        change()
        after = [(part.points.copy(), _style(part)) for part in parts]
        for (points, start), (new_points, end) in zip(before, after, strict=True):
            if points.shape != new_points.shape or any(np.shape(start[a]) != np.shape(end[a]) for a in start):
                raise ValueError(f"{type(self).__name__}: the change reshapes a part; use Manim's own animation")
        if saved is not None:
            for member, attributes in zip(family, saved, strict=True):
                vars(member).update(attributes)
        return parts, before, after

    def create_starting_mobject(self) -> Mobject:
        return self.mobject  # (its states are kept in `parts`: no copy needed)

    def reach(self) -> np.ndarray | None:
        """The box (left, bottom, right, top) no frame of this tween draws outside of: the parts' points
        at both ends (a straight path stays between them) and the most their strokes can add; None when
        the rate function leaves [0, 1] (then the path does too)."""
        if not self.parts:
            return None
        alphas = np.array([self.rate_func(a) for a in np.linspace(0, 1, 101)])
        if alphas.min() < 0 or alphas.max() > 1:
            return None
        ends = [(points, style) for _, start, end in self.parts for points, style in (start, end)]
        boxes = [_box(points, _stroke_reach(style)) for points, style in ends if len(points)]
        return np.array([*np.min(boxes, axis=0)[:2], *np.max(boxes, axis=0)[2:]]) if boxes else None

    def interpolate_mobject(self, alpha: float) -> None:
        alpha = self.rate_func(alpha)  # (Animation applies it per submobject, which this one replaces)
        for part, (start_points, start), (end_points, end) in self.parts:
            part.points = interpolate(start_points, end_points, alpha)  # Transform's straight path
            for a, value in start.items():
                if alpha == 1.0:
                    setattr(part, a, _copied(end[a]))
                elif a == "pixel_array":
                    setattr(part, a, interpolate(value, end[a], alpha).astype(part.pixel_array_dtype))
                else:
                    setattr(part, a, interpolate(value, end[a], alpha))


class Restyle(_Tween):
    """`ApplyMethod(mobject.method, *args)` for a method that only restyles (`set_color`, `set_opacity`,
    `set_fill`, `set_stroke`), without its two deep copies of the mobject: every part's style is read
    before and after the method, then interpolated as Transform interpolates it, so every frame gets
    the same values."""

    def __init__(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(method.__self__, **kwargs)
        self.method, self.args = method, args

    def begin(self) -> None:
        parts, starts, ends = self._record(lambda: self.method(*self.args), keep=True)
        for (points, _), (new_points, _) in zip(starts, ends, strict=True):
            if not np.array_equal(points, new_points):
                raise ValueError(f"Restyle: {self.method.__name__} moves {self.mobject}; use ApplyMethod")
        self.parts = list(zip(parts, starts, ends, strict=True))
        super().begin()


class Fade(_Tween):
    """Manim's `FadeIn` (`out=False`) or `FadeOut` (`out=True`) of one mobject, with its `shift` and
    `scale`, drawing the same values every frame, without copying the mobject: the faded state is
    made on the mobject itself as FadeIn makes it on its copy (`fade(1)`, then shift and scale), read,
    and undone."""

    def __init__(
        self, mobject: Mobject, *, out: bool = False, shift: np.ndarray | None = None, scale: float = 1, **kwargs: Any
    ) -> None:
        super().__init__(mobject, **({"remover": True} if out else {"introducer": True}), **kwargs)
        self.out, self.shift_vector, self.scale_factor = out, np.zeros(3) if shift is None else shift, scale

    def begin(self) -> None:
        def faded() -> None:
            self.mobject.fade(1)
            self.mobject.shift(self.shift_vector * (1 if self.out else -1))
            self.mobject.scale(self.scale_factor)

        parts, shown, hidden = self._record(faded, keep=False)
        starts, ends = (shown, hidden) if self.out else (hidden, shown)
        self.parts = list(zip(parts, starts, ends, strict=True))
        super().begin()

    def clean_up_from_scene(self, scene: Scene) -> None:
        super().clean_up_from_scene(scene)
        if self.out:
            self.interpolate(0)  # as FadeOut: the mobject, off the screen, keeps its look


class ChapterScene(Scene):
    """Base of all chapter scenes: loads the bundle in `setup`, times beats, shares the look.

    Attributes after setup: `info` (chapter.json), `arrays` (arrays.npz), `params`
    (the chapter's storyboard parameters), `timing`, `total`, `fps`, `theme`; `preview_dir`
    (N2I_PREVIEW, or None when rendering video).
    """

    def __init__(self, **kwargs: Any) -> None:
        folder = os.environ.get(PREVIEW_ENV)
        self.preview_dir = Path(folder) if folder else None
        # Preview mode: Manim plays every animation as its last frame and draws nothing in between.
        kwargs.setdefault("skip_animations", self.preview_dir is not None)
        kwargs.setdefault("camera_class", ChapterCamera)
        super().__init__(**kwargs)
        self._beats: list[dict[str, Any]] = []

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
        # The beats' phases end where the narration's usual tail would; a credit fills what is left.
        self.content_end = self.total
        if self.info.get("credit") and self.timing.beats:
            last = self.timing.beats[-1]
            self.content_end = min(self.total, last.start + last.duration + 1.0)
        self.fps = float(config.frame_rate)
        self.theme = Theme.named(self.info.get("theme", "dark"))
        self.camera.background_color = self.theme.background
        self._header: Mobject | None = None
        self._card: tuple[Mobject, Mobject | None, Mobject | None] | None = None  # a title card on screen
        hold("scene-setup")  # tests stop a render here, mid-clip (render/hold.py)

    def get_moving_mobjects(self, *animations: Animation) -> list[Mobject]:
        """What is drawn again on every frame of an animation: Manim's list (everything from the first
        moving mobject on, in drawing order) less what neither moves nor touches anything drawn again.

        Those are drawn once, into the frame kept under the animation, instead of on every frame: a
        text that stays as it is while a dot fades in across the screen. Each pixel is drawn by the same
        draws in the same order as before, so every frame keeps its bytes; when the reach of an animation
        is not known (Manim's own animations, updaters, foreground mobjects, z-indexes) Manim's list is kept.
        """
        everything = super().get_moving_mobjects(*animations)
        tweens = [a for a in animations if not isinstance(a, Wait)]
        if not tweens or not all(isinstance(a, _Tween) for a in tweens) or self.foreground_mobjects:
            return everything
        if any(m.updaters or m.z_index for m in self.get_mobject_family_members()):
            return everything
        redrawn = [a.reach() for a in tweens]
        if any(box is None for box in redrawn):
            return everything
        moving = {id(m) for a in tweens for m in a.mobject.get_family()}
        kept = []
        for mob in everything:
            if id(mob) in moving:
                kept.append(mob)
            elif len(mob.points):
                box = _box(mob.points, _stroke_reach(vars(mob)))  # (its stroke widths, if it has any)
                if any(_overlap(box, other) for other in redrawn):  # drawn over something drawn again
                    kept.append(mob)
                    redrawn.append(box)
        return kept

    # ---- time ---------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Seconds of video rendered so far."""
        return float(self.renderer.time)

    def _frames_until(self, t: float) -> int:
        return round(min(t, self.total) * self.fps) - round(self.now * self.fps)

    def slots(self, n: int) -> list[Slot]:
        """The narration mapped onto `n` visual phases (see `plan_slots`), ending where the credit starts."""
        return plan_slots(self.timing.model_copy(update={"total": self.content_end}), n)

    def play_until(self, t: float, *animations: Any, **kwargs: Any) -> None:
        """Play `animations` so that they end at absolute time `t`.

        When no frame is left before `t` (a narration too short for all of a scene's animations),
        they jump to their end at once rather than taking a frame each: the clock stays on the
        narration's time, so every beat still ends where its slot does and the clip on `total`.
        """
        frames = self._frames_until(t)
        if frames <= 0 or self.preview_dir is not None:  # preview: no frames drawn, the clock goes to t
            for animation in animations:
                finish_at_once(self, animation)
            self.hold_until(t)
            return
        self.play(*animations, run_time=frames_time(frames, self.fps), **kwargs)

    def play_for(self, seconds: float, *animations: Any, **kwargs: Any) -> None:
        """Play `animations` over `seconds` from now (rounded to whole frames)."""
        self.play_until(self.now + seconds, *animations, **kwargs)

    def hold_until(self, t: float) -> None:
        """Hold the current picture (updaters keep running) until absolute time `t`."""
        frames = self._frames_until(t)
        if frames <= 0:
            return
        moving = any(m.updaters for m in self.get_mobject_family_members())
        if self.preview_dir is not None:
            if moving:  # the updaters see the end time once
                self.wait(frames / self.fps, frozen_frame=False)
            else:  # nothing changes: only the clock moves (a frozen wait would draw a frame)
                self.renderer.time += frames / self.fps
            return
        if moving:
            self.wait(frames_time(frames, self.fps), frozen_frame=False)
        else:  # nothing moves: Manim writes one frame `frames` times instead of redrawing each
            self.wait((frames + 0.5) / self.fps, frozen_frame=True)

    @contextmanager
    def beat(self, slot: Slot, name: str = "") -> Iterator[Slot]:
        """A cut point (`next_section`) at the slot's start; on exit, hold until its end."""
        name = f"{slot.index:02d}-{name or 'beat'}"
        self.hold_until(slot.start)
        self.next_section(name)
        if self._card is not None:
            self._settle_title(slot)
        yield slot
        self.hold_until(slot.end)
        if self.preview_dir is not None:
            header = self._header.get_family() if self._header is not None else []
            self._beats.append(save_beat(self, self.preview_dir, name, header))

    def step_through(self, start: float, end: float, count: int, show: Callable[[int], None]) -> None:
        """Call show(i) for i in 0..count-1, each picture held for an equal share of [start, end].

        Use it to swap images at denoising-step boundaries; steps shorter than a frame are merged.
        Each show(i) must draw the whole state of step i: a preview shows only the last one.
        """
        if self.preview_dir is not None:
            show(count - 1)
            self.hold_until(end)
            return
        for i in range(count):
            t_i = start + (end - start) * i / count
            if i and self._frames_until(t_i) <= 0 and i != count - 1:
                continue  # this step would not get a frame of its own
            show(i)
            self.hold_until(max(start + (end - start) * (i + 1) / count, self.now + 1 / self.fps))

    def tear_down(self) -> None:
        """Hold the last picture so the clip lasts exactly `total` (a preview writes its beats.json);
        the storyboard's last chapter ends with the credit of what made its pictures."""
        if self.info.get("credit") and self.timing.beats:
            self.credit(self.info["credit"])
        self.hold_until(self.total)
        if self.preview_dir is not None:
            write_beats(self.preview_dir, self.info.get("title", ""), self.theme.name, self._beats)
        super().tear_down()

    def credit(self, text: str) -> None:
        """After the last beat: the screen clears and says what made the pictures, until the clip ends."""
        start = self.content_end
        if start >= self.total - 0.5:
            return
        self.hold_until(start)
        box = self.content_box()
        limit, rows = box.width * 0.75 / char_width(BODY_SIZE), [""]
        for word in text.split():  # filled word by word to three quarters of the width
            if rows[-1] and len(rows[-1]) + 1 + len(word) > limit:
                rows.append(word)
            else:
                rows[-1] = f"{rows[-1]} {word}".strip()
        lines = VGroup(*[self.text(row, BODY_SIZE, self.theme.muted) for row in rows]).arrange(DOWN, buff=0.18)
        lines.move_to(box.centre)
        self.play_until(min(start + 0.8, self.total), *self.fade_out(*self.mobjects), Fade(lines))
        if self.preview_dir is not None:
            self._beats.append(save_beat(self, self.preview_dir, f"{len(self._beats):02d}-credit", []))

    # ---- text and layout -----------------------------------------------------------------------

    def text(self, s: str, size: float = BODY_SIZE, color: str | None = None, bold: bool = False) -> Text:
        """Text in the shipped font and the theme's text colour."""
        weight = "SEMIBOLD" if bold else "NORMAL"
        # The font is the shipped one (registered in setup): no need to look it up among the system's.
        colour = color or self.theme.text
        return made(Text, s, font=FONT, font_size=size, color=colour, weight=weight, warn_missing_font=False)

    def markup(self, s: str, size: float = BODY_SIZE, color: str | None = None, bold: bool = False) -> MarkupText:
        """Pango markup text (e.g. 10<sup>80</sup>) in the shipped font."""
        weight = "SEMIBOLD" if bold else "NORMAL"
        colour = color or self.theme.text
        return made(MarkupText, s, font=FONT, font_size=size, color=colour, weight=weight, warn_missing_font=False)

    def term(self, strong: str, soft: str, size: float = BODY_SIZE, colour: str | None = None) -> MarkupText:
        """One line: `strong` in semibold text colour, then `soft` in `colour` (the accent), on one baseline."""
        soft_colour = colour or self.theme.accent
        return self.markup(
            f'<span weight="semibold">{escape(strong)}</span>  <span foreground="{soft_colour}">{escape(soft)}</span>',
            size,
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

    def content_box(self) -> Box:
        """The area under the header and above the subtitles (about 13.3 x 6 units)."""
        return Box(SAFE_LEFT, SAFE_RIGHT, SAFE_BOTTOM, self.header().get_bottom()[1] - 0.25)

    def title_card(self, slot: Slot, subtitle: Mobject | None = None) -> None:
        """The chapter title large in the centre, `subtitle` (made in its final place) under it.

        They stay until the next beat starts, which first moves them into place: the title into the
        header, the subtitle where it was made. So the title beat ends on the title card.
        """
        # The header's title, larger: a copy costs far less than a second Text of the same words.
        big = self.header()[0].copy().scale(TITLE_SIZE / HEADING_SIZE)
        self.fit_width(big, SAFE_RIGHT - SAFE_LEFT)
        card = VGroup(big)
        on_card = None
        if subtitle is not None:
            on_card = self.fit_width(subtitle.copy(), SAFE_RIGHT - SAFE_LEFT)
            card.add(on_card)
        card.arrange(DOWN, buff=0.4).move_to((0, (SAFE_TOP + SAFE_BOTTOM) / 2, 0))
        self.play_until(slot.at(0.3), Fade(card, shift=UP * 0.2))
        self._card = (big, on_card, subtitle)

    def _settle_title(self, slot: Slot) -> None:
        """Move the title card's title into the header and its subtitle into place (the start of `slot`)."""
        big, on_card, subtitle = self._card
        self._card = None
        head = self.header()
        moves = [ReplacementTransform(big, head[0]), Fade(head[1])]
        if on_card is not None:
            moves.append(ReplacementTransform(on_card, subtitle))
        self.play_until(slot.start + min(0.8, 0.2 * slot.duration), *moves)

    def title_beat(self, slot: Slot, subtitle: Mobject | None = None) -> None:
        """A beat of its own for the title card (`title_card`), with `subtitle` (e.g. the prompt line)."""
        with self.beat(slot, "title"):
            self.title_card(slot, subtitle)

    # ---- images -------------------------------------------------------------------------------

    def image_mobject(self, arr: np.ndarray, height: float, smooth: bool = False) -> ImageMobject:
        """An ImageMobject `height` units tall, pre-scaled to its on-screen pixels (see module doc)."""
        h_px = pixels_for(height)
        w_px = max(1, round(h_px * arr.shape[1] / arr.shape[0]))
        mob = ImageMobject(upscale(arr, w_px, h_px, smooth))
        mob.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        mob.height = height
        return mob

    def set_image(self, mob: ImageMobject, arr: np.ndarray, smooth: bool = False) -> None:
        """Replace the pixels of an ImageMobject made by `image_mobject`, at its current on-screen size
        (so an image that was moved and scaled is sharp again)."""
        h_px = pixels_for(mob.height)
        w_px = max(1, round(h_px * arr.shape[1] / arr.shape[0]))
        if (h_px, w_px) == mob.pixel_array.shape[:2] and arr.shape[:2] == (h_px, w_px):
            rgb = arr
        else:
            rgb = upscale(arr, w_px, h_px, smooth)
        rgba = np.empty((h_px, w_px, 4), np.uint8)
        rgba[..., :3] = rgb[..., :3]
        rgba[..., 3] = 255
        mob.pixel_array = rgba
        if mob.orig_alpha_pixel_array.shape != rgba.shape[:2]:  # resized: fades read the alpha from here
            mob.orig_alpha_pixel_array = rgba[..., 3].copy()

    def fade_out(self, *mobjects: Mobject) -> list[Fade]:
        """Fades out that take `mobjects` off the screen, with every part of them that was added on its
        own (a FadeIn of one line of a group adds that line by itself: fading out the group alone
        would leave it there)."""
        family = {id(m) for mob in mobjects for m in mob.get_family()}
        return [Fade(m, out=True) for m in self.mobjects if id(m) in family]

    def moves_to_layout(self, mobjects: Iterable[Mobject], arrange: Callable[[], None]) -> list[Transform]:
        """Animations that take `mobjects` from where they are to where `arrange()` puts them.

        `arrange` lays them out (moving and resizing them); its effect is undone, so it can be played
        as a motion (an image then keeps its old pixels: `set_image` after it redraws them sharp).
        """
        mobjects = list(mobjects)
        if self.preview_dir is not None:  # no motion to show: go there (saving states copies every glyph)
            arrange()
            return []
        for mob in mobjects:
            mob.save_state()
        arrange()
        targets = [mob.copy() for mob in mobjects]
        for mob in mobjects:
            mob.restore()
        return [Transform(mob, target) for mob, target in zip(mobjects, targets, strict=True)]

    def framed(self, mob: Mobject, color: str | None = None, buff: float = 0.0) -> VGroup:
        """A thin border around `mob` (images get a 1-unit-independent outline)."""
        from manim import SurroundingRectangle

        return SurroundingRectangle(mob, color=color or self.theme.muted, buff=buff, stroke_width=1.5)


def _rule(start: np.ndarray, right: float, y: float, color: str) -> Mobject:
    from manim import Line

    return Line((start[0], y, 0), (right, y, 0), stroke_width=1.2, color=color, stroke_opacity=0.6)
