"""summary: the journey from noise to image replayed, and the four controls as dials.

Beats (slots): 0 title; 1 the journey replayed: the image grows out of its noise, step by step;
2 the four controls appear as labelled dials with the navigation metaphor (seed = where you
start, prompt = where you head, steps = how many moves, guidance = how firmly you steer); 3 the
journey once more, a dot lighting up for each move, and the closing line.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arc, Circle, Dot, FadeIn, Line, Mobject, Rotate, VGroup

from scenes.common import BODY_SIZE, HEADING_SIZE, LABEL_SIZE, SMALL_SIZE, ChapterScene, Slot

METAPHOR = {
    "seed": "where you start",
    "prompt": "where you head",
    "steps": "how many moves",
    "guidance": "how firmly you steer",
}
DIAL_START, DIAL_SWEEP = math.radians(225), math.radians(270)  # clockwise from lower left


def dial_fraction(name: str, value: Any) -> float:
    """Where a control's needle points (0..1): steps and guidance on their usual ranges; the seed and
    the prompt have no order, so they get a fixed position derived from their value."""
    if name == "steps":
        return min(float(value) / 50.0, 1.0)
    if name == "guidance":
        return min(max((float(value) - 1.0) / 14.0, 0.0), 1.0)
    digest = sum(ord(c) for c in str(value))
    return 0.15 + 0.7 * ((digest * 37) % 101) / 100


def shorten(text: str, limit: int = 30) -> str:
    """`text` cut to `limit` characters, with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def value_text(name: str, value: Any) -> str:
    """A control's value as shown under its name: the prompt quoted (and shortened), numbers plain."""
    if name == "prompt":
        return f"“{shorten(value, 24)}”"
    return f"{value:g}" if isinstance(value, float) else str(value)


class SummaryScene(ChapterScene):
    """The journey replayed, and the four controls (seed, prompt, steps, guidance) as dials."""

    def construct(self) -> None:
        self.previews = self.arrays["previews"]
        self.steps = self.previews.shape[0] - 1
        s = self.slots(4)
        # The image on the left with a step counter under it; the dials in a 2 x 2 grid.
        self.lay_out_image()
        self.lay_out_dials()

        self.title_beat(s[0], hold=0.6)
        self.journey(s[1])
        self.controls(s[2])
        self.replay(s[3])

    # ---- layout ---------------------------------------------------------------------------------

    def lay_out_image(self) -> None:
        """The image, top left, and its step counter."""
        left, right, bottom, top = self.content_box()
        self.side = side = min(top - bottom - 0.55, (right - left) * 0.36)
        self.image = self.image_mobject(self.previews[0], side)
        self.image.move_to((left + 0.3 + side / 2, top - side / 2, 0))
        self.counters: dict[int, Mobject] = {}
        self.count = self.counter(0).copy()

    def counter(self, i: int) -> Mobject:
        """The counter "step i / n" under the image (made once, then reused)."""
        if i not in self.counters:
            t = self.text(f"step {i} / {self.steps}", LABEL_SIZE, self.theme.muted)
            self.counters[i] = t.next_to(self.image, DOWN, buff=0.15).align_to(self.image, LEFT)
        return self.counters[i]

    def dial(self, fraction: float, radius: float, colour: str) -> tuple[VGroup, Line]:
        """A gauge: a faint full arc, the value's arc in `colour`, and a needle at 0 (rotate it in)."""
        face = Circle(
            radius=radius, stroke_width=1.5, color=self.theme.muted, fill_color=self.theme.panel, fill_opacity=1
        )
        track = Arc(
            radius=radius * 0.78,
            start_angle=DIAL_START,
            angle=-DIAL_SWEEP,
            stroke_width=3,
            color=self.theme.muted,
            stroke_opacity=0.5,
        )
        value = Arc(
            radius=radius * 0.78,
            start_angle=DIAL_START,
            angle=-DIAL_SWEEP * max(fraction, 0.01),
            stroke_width=5,
            color=colour,
        )
        tip = (radius * 0.7 * math.cos(DIAL_START), radius * 0.7 * math.sin(DIAL_START), 0)
        needle = Line((0, 0, 0), tip, stroke_width=4, color=self.theme.text)
        hub = Dot((0, 0, 0), radius=radius * 0.1, color=self.theme.text)
        return VGroup(face, track, value, needle, hub), needle

    def lay_out_dials(self) -> None:
        """A dial per control in a 2 x 2 grid right of the image, its name, value and metaphor beside it."""
        _, right, _, top = self.content_box()
        controls = list(self.info["controls"])
        self.grid_left = grid_left = self.image.get_right()[0] + 0.5
        cell_w = (right - grid_left) / 2
        cell_h = self.side / 2
        radius = min(0.55, cell_h * 0.28)
        self.dials, self.needles, self.angles = [], [], []
        # One shrink factor for all names and metaphors, so the four dials read alike.
        text_w = cell_w - 2 * radius - 0.45
        widest = max(self.text(METAPHOR.get(c["name"], c["name"]), LABEL_SIZE).width for c in controls)
        shrink = min(1.0, text_w / max(widest, 1e-6))
        for k, control in enumerate(controls):
            name, value = control["name"], control["value"]
            col, row = k % 2, k // 2
            frac = dial_fraction(name, value)
            gauge, needle = self.dial(frac, radius, self.theme.series(k))
            gauge.move_to((grid_left + col * cell_w + radius, top - row * cell_h - cell_h / 2, 0))
            words = VGroup(
                self.text(name, BODY_SIZE, bold=True),
                self.fit_width(self.text(value_text(name, value), SMALL_SIZE, self.theme.muted), text_w),
                self.text(METAPHOR.get(name, ""), LABEL_SIZE, self.theme.accent),
            )
            words[0].scale(shrink)
            words[2].scale(shrink)
            words.arrange(DOWN, aligned_edge=LEFT, buff=0.12)
            words.next_to(gauge, RIGHT, buff=0.25)
            self.dials.append(VGroup(gauge, words))
            self.needles.append(needle)
            self.angles.append(-DIAL_SWEEP * frac)

    # ---- beats ----------------------------------------------------------------------------------

    def show_step(self, i: int) -> None:
        """The image and the counter at step `i`."""
        self.set_image(self.image, self.previews[i])
        self.count.become(self.counter(i))

    def journey(self, slot: Slot) -> None:
        """1. The journey replayed: noise, refined step by step."""
        with self.beat(slot, "journey"):
            self.play_until(slot.at(0.12), FadeIn(self.image), FadeIn(self.count))
            self.step_through(slot.at(0.15), slot.at(0.9), self.steps, lambda i: self.show_step(i + 1))

    def controls(self, slot: Slot) -> None:
        """2. The four controls, one dial each, needles turning to their values."""
        with self.beat(slot, "controls"):
            n = max(len(self.dials), 1)
            for k, (group, needle, angle) in enumerate(zip(self.dials, self.needles, self.angles, strict=True)):
                a, b = slot.at(0.05 + 0.85 * k / n), slot.at(0.05 + 0.85 * (k + 0.6) / n)
                self.play_until(a + (b - a) * 0.4, FadeIn(group, shift=UP * 0.1))
                self.play_until(b, Rotate(needle, angle, about_point=group[0][0].get_center()))

    def replay(self, slot: Slot) -> None:
        """3. Once more from noise to image: a dot for each move; the closing line."""
        _, right, _, _ = self.content_box()
        steps, side, image = self.steps, self.side, self.image
        with self.beat(slot, "replay"):
            dots_n = min(steps, 40)
            dots = VGroup(*[Dot(radius=0.05, color=self.theme.muted) for _ in range(dots_n)])
            dots.arrange(RIGHT, buff=min(0.12, (side - 0.1 * dots_n) / max(dots_n - 1, 1)))
            self.fit_width(dots, side * 0.55)
            dots.next_to(image, DOWN, buff=0.22).align_to(image, RIGHT)
            self.show_step(0)
            self.play_until(slot.at(0.08), FadeIn(dots))

            def show(i: int) -> None:
                self.show_step(i + 1)
                lit = int(np.ceil((i + 1) * dots_n / steps))
                for d in dots[:lit]:
                    d.set_color(self.theme.accent)

            self.step_through(slot.at(0.08), slot.at(0.6), steps, show)
            closing = self.text("From noise to image.", HEADING_SIZE, self.theme.accent, bold=True)
            self.fit_width(closing, right - self.grid_left)
            closing.move_to(((self.grid_left + right) / 2, image.get_bottom()[1] - 0.1 - closing.height / 2, 0))
            self.play_until(slot.at(0.75), FadeIn(closing, shift=UP * 0.15))
