"""guidance_comparison: the same prompt and seed at guidance scales from 1.0 up, side by side and swept.

Beats (slots): 0 title; 1 the prompt, a row of images (one per scale, labelled) growing out of the
same noise, and how guidance mixes the two predictions; 2 guidance 1 (off) and the 3-6 range that
matches the words are marked; a slider appears under the row and is dragged up to the middle scales,
a large image following it; 3 the slider is dragged to the top scale while the saturation of each
image is shown as bars and a meter: too much guidance oversaturates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, GrowFromEdge, Mobject, Rectangle, VGroup

from scenes.common import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, ChapterScene, Slot, hex_to_rgb
from scenes.widgets import ImageRow, Slider, bar, prompt_line

GOOD_RANGE = (3.0, 6.0)  # guidance scales where images usually match the words


class GuidanceComparisonScene(ChapterScene):
    """One prompt and seed at several guidance scales: a row of images, then a slider across them."""

    def construct(self) -> None:
        self.images, self.previews = self.arrays["images"], self.arrays["previews"]
        self.scales = [float(g) for g in self.info["guidance_scales"]]
        self.saturation = [float(v) for v in self.arrays["saturation"]]
        s = self.slots(4)
        # Top to bottom: prompt; scale labels; the row of images; saturation bars; then the formula,
        # later replaced by a large image with the slider and a saturation meter beside it.
        self.lay_out_row()
        self.lay_out_saturation_bars()
        self.lay_out_formula()
        self.lay_out_slider()
        self.lay_out_meter()

        self.title_beat(s[0], hold=0.6)
        self.row_of_scales(s[1])
        self.good_range(s[2])
        self.too_much(s[3])

    # ---- layout ---------------------------------------------------------------------------------

    def row_pixels(self, step: int) -> np.ndarray:
        """The row's picture: every scale's image at denoising step `step`."""
        return self.cells.compose([self.previews[g, step] for g in range(self.previews.shape[0])])

    def lay_out_row(self) -> None:
        """The prompt, then a row of images (one per scale) with a label above each."""
        left, right, bottom, top = self.content_box()
        self.prompt = prompt_line(self, self.info["prompt"], self.info["seed"])
        count = self.previews.shape[0]
        background = hex_to_rgb(self.theme.background)
        self.cells = ImageRow.across(count, right - left, 0.4, min(1.7, (top - bottom) * 0.25), background)
        self.cell = cell = self.cells.cell
        row_top = self.prompt.get_bottom()[1] - 0.5
        self.row_y = row_top - cell / 2
        self.row = self.image_mobject(self.row_pixels(0), cell).move_to((0, self.row_y, 0))
        self.xs = self.cells.centres(self.row)
        self.labels = VGroup(*[self.text(f"guidance {g:g}", LABEL_SIZE) for g in self.scales])
        self.labels.scale(min(1.0, cell / max(label.width for label in self.labels)))  # one size for all
        for k, label in enumerate(self.labels):
            label.move_to((self.xs[k], row_top + 0.22, 0))

    def lay_out_saturation_bars(self) -> None:
        """A bar under each image for its saturation, with the number beside it (shown in slot 3)."""
        self.bars_base = self.row.get_bottom()[1] - 0.72
        bar_max = 0.45
        top_sat = max(max(self.saturation), 1e-6)
        self.sat_bars, self.sat_numbers = VGroup(), VGroup()
        for k, v in enumerate(self.saturation):
            sat_bar = bar(self.cell * 0.35, max(bar_max * v / top_sat, 0.02), self.theme.palette[1], 0.9)
            self.sat_bars.add(sat_bar.move_to((self.xs[k], self.bars_base, 0), aligned_edge=DOWN))
            number = self.text(f"{v:.2f}", SMALL_SIZE).next_to(sat_bar, RIGHT, buff=0.08).align_to(sat_bar, DOWN)
            self.sat_numbers.add(number)

    def lay_out_formula(self) -> None:
        """How guidance mixes the two predictions, in the lower area (slot 1)."""
        left, right, bottom, _ = self.content_box()
        self.low_top, self.low_bottom = self.bars_base - 0.45, bottom + 0.05
        self.formula = VGroup(
            self.text("each step the model predicts twice: with the prompt and without", BODY_SIZE, self.theme.muted),
            self.text("result = without + guidance × (with − without)", BODY_SIZE),
        ).arrange(DOWN, buff=0.3)
        self.fit_width(self.formula, right - left)
        self.formula.move_to((0, (self.low_top + self.low_bottom) / 2 + 0.3, 0))

    def u_of(self, g: float) -> float:
        """The slider position (0..1) of guidance scale `g`."""
        g_lo, g_hi = min(self.scales), max(self.scales)
        return (g - g_lo) / max(g_hi - g_lo, 1e-9)

    def lay_out_slider(self) -> None:
        """In the lower area: the large image on the left, the guidance slider right of it."""
        left, right, _, _ = self.content_box()
        low_top, low_bottom = self.low_top, self.low_bottom
        self.big = self.image_mobject(self.images[0], max(low_top - low_bottom, 1.0))
        self.big.move_to((left + (right - left) * 0.25, (low_top + low_bottom) / 2, 0))
        self.track_left, self.track_right = self.big.get_right()[0] + 1.0, right - 0.5
        self.slider_y = slider_y = self.big.get_center()[1] + 0.45
        stops = [self.u_of(g) for g in self.scales]
        self.slider = Slider(self.track_left, self.track_right, slider_y, stops, self.theme.muted, self.theme.accent)
        self.tick_labels = VGroup()
        for g in sorted(self.scales, reverse=True):  # from the top, skipping labels that would touch the last one
            label = self.text(f"{g:g}", SMALL_SIZE, self.theme.muted)
            label.move_to((self.slider.x_of(self.u_of(g)), slider_y - 0.3, 0))
            if not self.tick_labels or label.get_right()[0] + 0.08 < self.tick_labels[-1].get_left()[0]:
                self.tick_labels.add(label)
        self.slider_head = self.text("guidance", LABEL_SIZE, self.theme.muted)
        self.slider_head.move_to((self.track_left, slider_y + 0.4, 0), aligned_edge=LEFT)

    def lay_out_meter(self) -> None:
        """The saturation meter's track under the slider."""
        self.meter_y = self.slider_y - 0.95
        self.meter_track = bar(self.track_right - self.track_left, 0.16, self.theme.panel)
        self.meter_track.move_to((self.track_left, self.meter_y, 0), aligned_edge=LEFT)
        self.meter_texts: dict[int, Mobject] = {}

    def meter_text(self, k: int) -> Mobject:
        """The meter's reading for scale number `k` (made once, then reused)."""
        if k not in self.meter_texts:
            t = self.text(f"saturation {self.saturation[k]:.2f}", LABEL_SIZE)
            self.meter_texts[k] = t.move_to((self.track_left, self.meter_y - 0.32, 0), aligned_edge=LEFT)
        return self.meter_texts[k]

    def meter_fill(self, k: int) -> Rectangle:
        """The meter's fill for scale number `k`."""
        r = bar(max(self.meter_track.width * self.saturation[k], 1e-3), 0.16, self.theme.palette[1])
        return r.move_to(self.meter_track.get_left(), aligned_edge=LEFT)

    # ---- beats ----------------------------------------------------------------------------------

    def row_of_scales(self, slot: Slot) -> None:
        """1. One image per guidance scale, all from the same noise; what guidance does."""
        with self.beat(slot, "row"):
            self.play_until(slot.at(0.12), FadeIn(self.prompt, shift=DOWN * 0.2))
            self.play_until(slot.at(0.25), FadeIn(self.row), FadeIn(self.labels, shift=DOWN * 0.1))
            self.play_until(slot.at(0.35), FadeIn(self.formula, shift=UP * 0.1))
            self.step_through(
                slot.at(0.35),
                slot.at(0.95),
                self.previews.shape[1] - 1,
                lambda i: self.set_image(self.row, self.row_pixels(i + 1)),
            )

    def range_marks(self, good: list[int], off: list[int]) -> tuple[VGroup, VGroup]:
        """A frame around the `good` images and one around each `off` image, and a note under each."""
        xs, cell, row_y = self.xs, self.cell, self.row_y
        marks = VGroup()
        if good:
            span = Rectangle(
                width=xs[good[-1]] - xs[good[0]] + cell + 0.12,
                height=cell + 0.12,
                stroke_width=2.5,
                color=self.theme.accent,
            )
            span.move_to(((xs[good[0]] + xs[good[-1]]) / 2, row_y, 0))
            marks.add(span)
        for k in off:
            frame = Rectangle(width=cell + 0.12, height=cell + 0.12, stroke_width=2, color=self.theme.muted)
            marks.add(frame.move_to((xs[k], row_y, 0)))
        notes = VGroup()
        note_y = self.row.get_bottom()[1] - 0.3
        if good:
            note = self.text("matches the words", SMALL_SIZE, self.theme.accent)
            notes.add(note.move_to(((xs[good[0]] + xs[good[-1]]) / 2, note_y, 0)))
        for k in off:
            notes.add(self.text("guidance off", SMALL_SIZE, self.theme.muted).move_to((xs[k], note_y, 0)))
        return marks, notes

    def good_range(self, slot: Slot) -> None:
        """2. Guidance off at 1; the range that matches the words; the slider up to that range."""
        scales = self.scales
        with self.beat(slot, "range"):
            good = [k for k, g in enumerate(scales) if GOOD_RANGE[0] <= g <= GOOD_RANGE[1]]
            off = [k for k, g in enumerate(scales) if g <= 1.0]
            marks, self.notes = self.range_marks(good, off)
            self.play_until(slot.at(0.35), FadeIn(marks), FadeIn(self.notes))
            self.play_until(slot.at(0.45), self.formula.animate.set_opacity(0.0))
            self.remove(self.formula)
            self.slider.set_knob(self.u_of(scales[0]))
            self.fill = self.meter_fill(0)
            self.meter_label = self.meter_text(0).copy()
            self.play_until(
                slot.at(0.6),
                FadeIn(self.big),
                FadeIn(self.slider),
                FadeIn(self.tick_labels),
                FadeIn(self.slider_head),
            )
            self.target = scales[good[-1]] if good else scales[len(scales) // 2]
            self.drag(slot.at(0.62), slot.at(0.95), scales[0], self.target, moving=[self.big, self.slider])

    def too_much(self, slot: Slot) -> None:
        """3. Up to the top: colours too strong; the saturation of each image."""
        with self.beat(slot, "saturation"):
            self.play_until(slot.at(0.08), self.notes.animate.set_opacity(0.0))
            self.remove(self.notes)
            self.play_until(slot.at(0.18), FadeIn(self.meter_track), FadeIn(self.fill), FadeIn(self.meter_label))

            def on_change(k: int) -> None:
                self.fill.become(self.meter_fill(k))
                self.meter_label.become(self.meter_text(k))

            on_change(self._nearest(self.scales, self.target))
            moving = [self.big, self.slider, self.fill, self.meter_label]
            self.drag(slot.at(0.18), slot.at(0.7), self.target, max(self.scales), moving, on_change)
            self.play_until(slot.at(0.85), *[GrowFromEdge(b, DOWN) for b in self.sat_bars], FadeIn(self.sat_numbers))
            hi = int(np.argmax(self.saturation))
            self.play_until(slot.at(0.95), self.sat_numbers[hi].animate.set_color(self.theme.accent))

    # ---- the drag -------------------------------------------------------------------------------

    @staticmethod
    def _nearest(scales: list[float], g: float) -> int:
        return int(np.argmin([abs(g - x) for x in scales]))

    def drag(
        self,
        start: float,
        end: float,
        g_from: float,
        g_to: float,
        moving: list[Mobject],
        on_change: Callable[[int], None] | None = None,
    ) -> None:
        """Move the knob from g_from to g_to over [start, end] (eased); the large image shows the
        nearest scale's image and `on_change(k)` updates the rest. `moving` (starting with the large
        image) is moved to the top of the scene: everything after the updater's owner is redrawn each frame."""
        big, scales = self.big, self.scales
        shown = self._nearest(scales, g_from)
        self.set_image(big, self.images[shown])

        def follow(mob: Mobject, dt: float) -> None:
            nonlocal shown
            tau = min(max((self.now - start) / max(end - start, 1e-6), 0.0), 1.0)
            tau = tau * tau * (3 - 2 * tau)  # smoothstep: a hand speeding up and slowing down
            g = g_from + (g_to - g_from) * tau
            self.slider.set_knob(self.u_of(g))
            k = self._nearest(scales, g)
            if k != shown:
                self.set_image(big, self.images[k])
                if on_change:
                    on_change(k)
                shown = k

        self.hold_until(start)
        self.add(*moving)
        big.add_updater(follow)
        self.hold_until(end + 1 / self.fps)
        big.remove_updater(follow)
        follow(big, 0)
