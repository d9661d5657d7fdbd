"""interpolation: images along the path between two prompt embeddings, then the noisy-to-clear sweep.

Beats (slots): 0 title; 1 the two prompts and their images at the ends of a strip; 2 the images in
between fill the strip, and the biggest jump between neighbours is marked; 3 a slider under the
strip is dragged back and forth across the mix while the denoising step advances, and a large
image follows the knob: position x step, from noise to clear.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, Line, Mobject, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Slot, hex_to_rgb
from scenes.widgets import ImageRow, Slider, triangle, wrapped_text


class InterpolationScene(ChapterScene):
    """A strip of images between two prompts, then a slider sweeping the mix while the steps advance."""

    def construct(self) -> None:
        self.images, self.previews = self.arrays["images"], self.arrays["previews"]
        self.points = self.previews.shape[0]
        self.steps = self.previews.shape[1] - 1
        s = self.slots(4)
        # Top to bottom: the two prompts; the strip of images; the slider; the large image.
        self.lay_out_strip()
        self.lay_out_slider()
        self.lay_out_big_image()

        self.title_beat(s[0], hold=0.6)
        self.ends(s[1])
        self.in_between(s[2])
        self.sweep(s[3])

    # ---- layout ---------------------------------------------------------------------------------

    def strip_pixels(self, shown: list[int]) -> np.ndarray:
        """The strip's picture with the images numbered in `shown`, blanks for the others."""
        blank = np.zeros_like(self.images[0])
        blank[:] = self.cells.background
        return self.cells.compose([self.images[p] if p in shown else blank for p in range(self.points)])

    def lay_out_strip(self) -> None:
        """The strip of images (only its ends shown at first), a prompt over each end, framed in its colour."""
        left, right, bottom, top = self.content_box()
        from_colour, to_colour = self.theme.palette[0], self.theme.palette[1]
        width = right - left
        half = width * 0.46
        self.from_text = wrapped_text(self, f"“{self.info['from_prompt']}”", LABEL_SIZE, half, 0.7, from_colour, 2)
        self.to_text = wrapped_text(self, f"“{self.info['to_prompt']}”", LABEL_SIZE, half, 0.7, to_colour, 2)
        background = hex_to_rgb(self.theme.background)
        self.cells = ImageRow.across(self.points, width, 0.12, min(1.55, (top - bottom) * 0.24), background)
        self.cell = cell = self.cells.cell
        labels_h = max(self.from_text.height, self.to_text.height)
        self.strip_y = strip_y = top - labels_h - 0.2 - cell / 2

        self.ends_shown = [0, self.points - 1]
        self.strip = strip = self.image_mobject(self.strip_pixels(self.ends_shown), cell).move_to((0, strip_y, 0))
        self.xs = self.cells.centres(strip)
        self.from_text.next_to(strip, UP, buff=0.2).align_to(strip, LEFT)
        self.to_text.next_to(strip, UP, buff=0.2).align_to(strip, RIGHT)
        self.from_frame = self.framed(strip, from_colour).stretch_to_fit_width(cell).move_to((self.xs[0], strip_y, 0))
        self.to_frame = self.framed(strip, to_colour).stretch_to_fit_width(cell).move_to((self.xs[-1], strip_y, 0))

    def lay_out_slider(self) -> None:
        """The slider under the strip: its stops sit under the images, so the knob points at the image it shows."""
        left = self.content_box()[0]
        xs, ts = self.xs, [float(t) for t in self.arrays["ts"]]
        slider_y = self.strip.get_bottom()[1] - 0.32
        self.u_of = [(t - ts[0]) / max(ts[-1] - ts[0], 1e-9) for t in ts]
        self.slider = Slider(xs[0], xs[-1], slider_y, self.u_of, self.theme.muted, self.theme.accent)
        self.t_labels = VGroup(
            *[
                self.text(
                    f"{t:.2f}".rstrip("0").rstrip(".") if t not in (0.0, 1.0) else f"{t:.0f}",
                    SMALL_SIZE,
                    self.theme.muted,
                ).move_to((xs[p], slider_y - 0.3, 0))
                for p, t in enumerate(ts)
            ]
        )
        if self.points > 9:
            self.t_labels = VGroup(self.t_labels[0], self.t_labels[-1])
        self.mix_label = self.text("mix", SMALL_SIZE, self.theme.muted).next_to(self.slider.track, LEFT, buff=0.25)
        if self.mix_label.get_left()[0] < left:  # no room beside a full-width strip: the end labels suffice
            self.mix_label = VGroup()

    def lay_out_big_image(self) -> None:
        """The large image under the slider, which follows the knob during the sweep."""
        bottom = self.content_box()[2]
        big_top = self.t_labels.get_bottom()[1] - 0.25
        big_side = max(big_top - bottom - 0.05, 1.0)
        self.big = self.image_mobject(self.previews[0, 0], big_side).move_to((0, big_top - big_side / 2, 0))
        self.step_texts: dict[int, Mobject] = {}

    def step_caption(self, j: int) -> Mobject:
        """The caption "step j / n" beside the large image (made once, then reused)."""
        if j not in self.step_texts:
            t = self.text(f"step {j} / {self.steps}", LABEL_SIZE)
            self.step_texts[j] = t.next_to(self.big, RIGHT, buff=0.35).align_to(self.big, UP)
        return self.step_texts[j]

    # ---- beats ----------------------------------------------------------------------------------

    def ends(self, slot: Slot) -> None:
        """1. The two prompts, and their images, at the ends."""
        with self.beat(slot, "ends"):
            self.play_until(
                slot.at(0.3), FadeIn(self.from_text, shift=RIGHT * 0.15), FadeIn(self.to_text, shift=LEFT * 0.15)
            )
            self.play_until(slot.at(0.7), FadeIn(self.strip), FadeIn(self.from_frame), FadeIn(self.to_frame))

    def in_between(self, slot: Slot) -> None:
        """2. The images in between, left to right; the biggest jump marked."""
        xs, cell, strip_y = self.xs, self.cell, self.strip_y
        self.jump_marks: list[Mobject] = []
        with self.beat(slot, "between"):
            middle = list(range(1, self.points - 1))
            for k in range(len(middle)):
                self.hold_until(slot.at(0.05 + 0.45 * k / max(len(middle), 1)))
                self.set_image(self.strip, self.strip_pixels(self.ends_shown + middle[: k + 1]))
            self.hold_until(slot.at(0.55))
            if self.points > 1:
                change = [float(c) for c in self.arrays["change"]]
                jump = int(np.argmax(change[1:])) + 1  # between images jump-1 and jump
                x = (xs[jump - 1] + xs[jump]) / 2
                marker = VGroup(
                    Line(
                        (x, strip_y - cell / 2 - 0.12, 0),
                        (x, strip_y + cell / 2 + 0.12, 0),
                        stroke_width=4,
                        color=self.theme.accent,
                    ),
                )
                note = self.text("biggest change", SMALL_SIZE, self.theme.accent)
                note.next_to(marker, DOWN, buff=0.08)
                self.play_until(slot.at(0.75), FadeIn(marker), FadeIn(note, shift=UP * 0.1))
                self.jump_marks = [marker, note]

    def sweep(self, slot: Slot) -> None:
        """3. Drag the mix back and forth while the steps advance: each image grows out of its noise."""
        big, slider, steps = self.big, self.slider, self.steps
        with self.beat(slot, "sweep"):
            if self.jump_marks:
                self.play_until(slot.at(0.08), *[m.animate.set_opacity(0.0) for m in self.jump_marks])
                self.remove(*self.jump_marks)
            caption = self.step_caption(0).copy()
            self.play_until(
                slot.at(0.18),
                FadeIn(slider),
                FadeIn(self.t_labels),
                FadeIn(self.mix_label),
                FadeIn(big),
                FadeIn(caption),
            )
            sweep_start, sweep_end = slot.at(0.2), slot.at(0.92)
            shown = (0, 0)

            def follow(mob: Mobject, dt: float) -> None:
                nonlocal shown
                tau = (self.now - sweep_start) / max(sweep_end - sweep_start, 1e-6)
                tau = min(max(tau, 0.0), 1.0)
                u = triangle(tau, 3)
                j = min(steps, int(round(tau * steps)))
                p = int(np.argmin([abs(u - v) for v in self.u_of]))
                slider.set_knob(u)
                if (p, j) != shown:
                    self.set_image(big, self.previews[p, j])
                    if j != shown[1]:
                        caption.become(self.step_caption(j))
                    shown = (p, j)

            # Everything after `big` in the scene is redrawn each frame, so put the moving parts last.
            self.add(big, slider, caption)
            big.add_updater(follow)
            self.hold_until(sweep_end + 1 / self.fps)
            big.remove_updater(follow)
