"""guidance_comparison: the same prompt and seed at guidance scales from 1.0 up, side by side and swept.

Beats (slots): 0 title; 1 the prompt, a row of images (one per scale, labelled) growing out of the
same noise, and how guidance mixes the two predictions; 2 guidance 1 (off) and the 3-6 range that
matches the words are marked; a slider appears under the row and is dragged up to the middle scales,
a large image following it; 3 the slider is dragged to the top scale while the saturation of each
image is shown as bars and a meter: too much guidance oversaturates.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, GrowFromEdge, Mobject, Rectangle, VGroup

from scenes.common import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, ChapterScene, compose_grid, hex_to_rgb, pixels_for
from scenes.interpolation import Slider

GOOD_RANGE = (3.0, 6.0)  # guidance scales where images usually match the words


class GuidanceComparisonScene(ChapterScene):
    def construct(self) -> None:
        info, images, previews = self.info, self.arrays["images"], self.arrays["previews"]
        scales = [float(g) for g in info["guidance_scales"]]
        saturation = [float(v) for v in self.arrays["saturation"]]
        count, n_previews = previews.shape[0], previews.shape[1]
        s = self.slots(4)
        left, right, bottom, top = self.content_box()
        background = hex_to_rgb(self.theme.background)

        # Layout, top to bottom: prompt; scale labels; the row of images; saturation bars; then the
        # formula, later replaced by a large image with the slider and a saturation meter beside it.
        prompt = self.text(f"“{info['prompt']}”   seed {info['seed']}", BODY_SIZE, self.theme.accent)
        self.fit_width(prompt, right - left)
        prompt.move_to((0, top - prompt.height / 2, 0))
        gap = 0.4
        cell = min(1.7, (right - left - gap * (count - 1)) / count, (top - bottom) * 0.25)
        cell_px, gap_px = pixels_for(cell), pixels_for(gap)
        row_top = prompt.get_bottom()[1] - 0.5
        row_y = row_top - cell / 2

        def row_pixels(step: int):
            return compose_grid(
                [previews[g, step] for g in range(count)],
                cols=count,
                cell_px=cell_px,
                gap_px=gap_px,
                background=background,
            )

        row = self.image_mobject(row_pixels(0), cell).move_to((0, row_y, 0))
        unit = row.width / row.pixel_array.shape[1]
        xs = [row.get_left()[0] + (g * (cell_px + gap_px) + cell_px / 2) * unit for g in range(count)]
        labels = VGroup(*[self.text(f"guidance {g:g}", LABEL_SIZE) for g in scales])
        labels.scale(min(1.0, cell / max(label.width for label in labels)))  # one size for all
        for k, label in enumerate(labels):
            label.move_to((xs[k], row_top + 0.22, 0))

        # Saturation bars under each image (slot 3).
        bars_base = row.get_bottom()[1] - 0.72
        bar_max = 0.45
        top_sat = max(max(saturation), 1e-6)
        sat_bars, sat_numbers = VGroup(), VGroup()
        for k, v in enumerate(saturation):
            bar = Rectangle(
                width=cell * 0.35,
                height=max(bar_max * v / top_sat, 0.02),
                stroke_width=0,
                fill_color=self.theme.palette[1],
                fill_opacity=0.9,
            )
            sat_bars.add(bar.move_to((xs[k], bars_base, 0), aligned_edge=DOWN))
            sat_numbers.add(self.text(f"{v:.2f}", SMALL_SIZE).next_to(bar, RIGHT, buff=0.08).align_to(bar, DOWN))

        # Lower area: the formula (slot 1), then the large image, slider and meter.
        low_top, low_bottom = bars_base - 0.45, bottom + 0.05
        formula = VGroup(
            self.text("each step the model predicts twice: with the prompt and without", BODY_SIZE, self.theme.muted),
            self.text("result = without + guidance × (with − without)", BODY_SIZE),
        ).arrange(DOWN, buff=0.3)
        self.fit_width(formula, right - left)
        formula.move_to((0, (low_top + low_bottom) / 2 + 0.3, 0))

        big_side = max(low_top - low_bottom, 1.0)
        big = self.image_mobject(images[0], big_side)
        big.move_to((left + (right - left) * 0.25, (low_top + low_bottom) / 2, 0))
        track_left, track_right = big.get_right()[0] + 1.0, right - 0.5
        g_lo, g_hi = min(scales), max(scales)

        def u_of(g: float) -> float:
            return (g - g_lo) / max(g_hi - g_lo, 1e-9)

        slider_y = big.get_center()[1] + 0.45
        slider = Slider(
            track_left, track_right, slider_y, [u_of(g) for g in scales], self.theme.muted, self.theme.accent
        )
        tick_labels = VGroup()
        for g in sorted(scales, reverse=True):  # from the top, skipping labels that would touch the last one
            label = self.text(f"{g:g}", SMALL_SIZE, self.theme.muted).move_to((slider.x_of(u_of(g)), slider_y - 0.3, 0))
            if not tick_labels or label.get_right()[0] + 0.08 < tick_labels[-1].get_left()[0]:
                tick_labels.add(label)
        slider_head = self.text("guidance", LABEL_SIZE, self.theme.muted)
        slider_head.move_to((track_left, slider_y + 0.4, 0), aligned_edge=LEFT)
        meter_y = slider_y - 0.95
        meter_track = Rectangle(
            width=track_right - track_left, height=0.16, stroke_width=0, fill_color=self.theme.panel, fill_opacity=1
        )
        meter_track.move_to((track_left, meter_y, 0), aligned_edge=LEFT)
        meter_texts: dict[int, Mobject] = {}

        def meter_text(k: int) -> Mobject:
            if k not in meter_texts:
                t = self.text(f"saturation {saturation[k]:.2f}", LABEL_SIZE)
                meter_texts[k] = t.move_to((track_left, meter_y - 0.32, 0), aligned_edge=LEFT)
            return meter_texts[k]

        def meter_fill(k: int) -> Rectangle:
            r = Rectangle(
                width=max(meter_track.width * saturation[k], 1e-3),
                height=0.16,
                stroke_width=0,
                fill_color=self.theme.palette[1],
                fill_opacity=1,
            )
            return r.move_to(meter_track.get_left(), aligned_edge=LEFT)

        # 0. Title
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.6)

        # 1. One image per guidance scale, all from the same noise; what guidance does
        with self.beat(s[1], "row"):
            self.play_until(s[1].at(0.12), FadeIn(prompt, shift=DOWN * 0.2))
            self.play_until(s[1].at(0.25), FadeIn(row), FadeIn(labels, shift=DOWN * 0.1))
            self.play_until(s[1].at(0.35), FadeIn(formula, shift=UP * 0.1))
            self.step_through(
                s[1].at(0.35), s[1].at(0.95), n_previews - 1, lambda i: self.set_image(row, row_pixels(i + 1))
            )

        # 2. Guidance off at 1; the range that matches the words; the slider up to that range
        with self.beat(s[2], "range"):
            good = [k for k, g in enumerate(scales) if GOOD_RANGE[0] <= g <= GOOD_RANGE[1]]
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
            off = [k for k, g in enumerate(scales) if g <= 1.0]
            for k in off:
                marks.add(
                    Rectangle(width=cell + 0.12, height=cell + 0.12, stroke_width=2, color=self.theme.muted).move_to(
                        (xs[k], row_y, 0)
                    )
                )
            notes = VGroup()
            note_y = row.get_bottom()[1] - 0.3
            if good:
                notes.add(
                    self.text("matches the words", SMALL_SIZE, self.theme.accent).move_to(
                        ((xs[good[0]] + xs[good[-1]]) / 2, note_y, 0)
                    )
                )
            for k in off:
                notes.add(self.text("guidance off", SMALL_SIZE, self.theme.muted).move_to((xs[k], note_y, 0)))
            self.play_until(s[2].at(0.35), FadeIn(marks), FadeIn(notes))
            self.play_until(s[2].at(0.45), formula.animate.set_opacity(0.0))
            self.remove(formula)
            k0 = 0
            slider.set_knob(u_of(scales[k0]))
            fill = meter_fill(k0)
            meter_label = meter_text(k0).copy()
            self.play_until(s[2].at(0.6), FadeIn(big), FadeIn(slider), FadeIn(tick_labels), FadeIn(slider_head))
            target = scales[good[-1]] if good else scales[len(scales) // 2]
            self._drag(
                slider,
                big,
                images,
                scales,
                u_of,
                s[2].at(0.62),
                s[2].at(0.95),
                scales[k0],
                target,
                on_change=None,
                moving=[big, slider],
            )

        # 3. Up to the top: colours too strong; the saturation of each image
        with self.beat(s[3], "saturation"):
            self.play_until(s[3].at(0.08), notes.animate.set_opacity(0.0))
            self.remove(notes)
            self.play_until(s[3].at(0.18), FadeIn(meter_track), FadeIn(fill), FadeIn(meter_label))

            def on_change(k: int) -> None:
                fill.become(meter_fill(k))
                meter_label.become(meter_text(k))

            on_change(self._nearest(scales, target))
            self._drag(
                slider,
                big,
                images,
                scales,
                u_of,
                s[3].at(0.18),
                s[3].at(0.7),
                target,
                g_hi,
                on_change,
                moving=[big, slider, fill, meter_label],
            )
            self.play_until(s[3].at(0.85), *[GrowFromEdge(b, DOWN) for b in sat_bars], FadeIn(sat_numbers))
            hi = int(np.argmax(saturation))
            self.play_until(s[3].at(0.95), sat_numbers[hi].animate.set_color(self.theme.accent))

    @staticmethod
    def _nearest(scales: list[float], g: float) -> int:
        return int(np.argmin([abs(g - x) for x in scales]))

    def _drag(
        self,
        slider: Slider,
        big: Mobject,
        images: np.ndarray,
        scales: list[float],
        u_of,
        start: float,
        end: float,
        g_from: float,
        g_to: float,
        on_change,
        moving: list[Mobject],
    ) -> None:
        """Move the knob from g_from to g_to over [start, end] (eased); the large image shows the
        nearest scale's image and `on_change(k)` updates the rest. `moving` (starting with `big`) is
        moved to the top of the scene: everything after the updater's owner is redrawn each frame."""
        shown = self._nearest(scales, g_from)
        self.set_image(big, images[shown])

        def follow(mob: Mobject, dt: float) -> None:
            nonlocal shown
            tau = min(max((self.now - start) / max(end - start, 1e-6), 0.0), 1.0)
            tau = tau * tau * (3 - 2 * tau)  # smoothstep: a hand speeding up and slowing down
            g = g_from + (g_to - g_from) * tau
            slider.set_knob(u_of(g))
            k = self._nearest(scales, g)
            if k != shown:
                self.set_image(big, images[k])
                if on_change:
                    on_change(k)
                shown = k

        self.hold_until(start)
        self.add(*moving)
        big.add_updater(follow)
        self.hold_until(end + 1 / self.fps)
        big.remove_updater(follow)
        follow(big, 0)
