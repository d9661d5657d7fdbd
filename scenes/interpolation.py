"""interpolation: images along the path between two prompt embeddings, then the noisy-to-clear sweep.

Beats (slots): 0 title; 1 the two prompts and their images at the ends of a strip as wide as the
frame; 2 the images in between fill the strip left to right, and the biggest jump between
neighbours is marked; 3 the strip moves up and shrinks, a slider appears under it, and the slider
is dragged back and forth across the mix while the denoising step advances; a large image follows
the knob: position x step, from noise to clear.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Line, Mobject, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Fade, Slot, line_height
from scenes.widgets import Counter, ImageRow, Slider, hex_to_rgb, triangle, wrapped_text

GAP = 0.14  # between the strip's images


class InterpolationScene(ChapterScene):
    """A strip of images between two prompts, then a slider sweeping the mix while the steps advance."""

    def construct(self) -> None:
        self.images, self.previews = self.arrays["images"], self.arrays["previews"]
        self.points = self.previews.shape[0]
        self.steps = self.previews.shape[1] - 1
        s = self.slots(4)
        self.lay_out_strip()
        self.lay_out_sweep()
        self.lay_out_first_big()

        self.title_beat(s[0])
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
        """The strip as wide as the frame, at the top; a prompt over each end, its image framed in its colour."""
        box = self.content_box()
        from_colour, to_colour = self.theme.palette[0], self.theme.palette[1]
        half = box.width * 0.49
        self.from_text = wrapped_text(self, f"“{self.info['from_prompt']}”", LABEL_SIZE, half, None, from_colour, 2)
        self.to_text = wrapped_text(self, f"“{self.info['to_prompt']}”", LABEL_SIZE, half, None, to_colour, 2)
        self.prompts_h = max(self.from_text.height, self.to_text.height) + 0.2
        background = hex_to_rgb(self.theme.background)
        # The frames around the end images stand out 0.05 beyond the strip: keep them inside the frame.
        self.cells = ImageRow.across(self.points, box.width - 0.2, GAP, box.height * 0.45, background)
        self.ends_shown = [0, self.points - 1]
        self.strip = self.image_mobject(self.strip_pixels(self.ends_shown), self.cells.cell)
        self.strip.move_to((0, box.top - self.prompts_h - self.cells.cell / 2, 0))
        self.frames = VGroup(*[self.framed(self.strip, c, buff=0.05) for c in (from_colour, to_colour)])
        self.place_on_strip()

    def place_on_strip(self) -> None:
        """The prompts over the strip's ends and the frames around its end images, wherever the strip is."""
        self.xs = self.cells.centres(self.strip)
        cell = self.strip.height
        box = self.content_box()  # the prompts at the frame's sides: a narrow strip would make them meet
        self.from_text.next_to(self.strip, UP, buff=0.2).set_x(box.left + self.from_text.width / 2)
        self.to_text.next_to(self.strip, UP, buff=0.2).set_x(box.right - self.to_text.width / 2)
        for frame, x in zip(self.frames, (self.xs[0], self.xs[-1]), strict=True):
            frame.stretch_to_fit_width(cell + 0.1).stretch_to_fit_height(cell + 0.1).move_to((x, self.strip.get_y(), 0))

    def lay_out_sweep(self) -> None:
        """Where things go for the sweep: the strip small at the top, a slider under it, a large image under that."""
        box = self.content_box()
        # as for the large strip: the frames around the end images stand out beyond it
        row = ImageRow.across(self.points, box.width - 0.2, GAP, box.height * 0.2, self.cells.background)
        self.small_cell = row.cell
        self.strip_to = (0, box.top - self.prompts_h - row.cell / 2)
        slider_y = self.strip_to[1] - row.cell / 2 - 0.35
        ts = [float(t) for t in self.arrays["ts"]]
        self.u_of = [(t - ts[0]) / max(ts[-1] - ts[0], 1e-9) for t in ts]
        strip_w = self.points * row.cell + (self.points - 1) * GAP
        x0, x1 = -strip_w / 2 + row.cell / 2, strip_w / 2 - row.cell / 2  # the end images' centres
        self.slider = Slider(x0, x1, slider_y, self.u_of, self.theme.muted, self.theme.accent)
        self.mix_ends = VGroup(
            self.text("mix 0", SMALL_SIZE, self.theme.muted).next_to(self.slider.track, LEFT, buff=0.3),
            self.text("1", SMALL_SIZE, self.theme.muted).next_to(self.slider.track, RIGHT, buff=0.3),
        )
        if self.mix_ends[0].get_left()[0] < box.left:  # a strip as wide as the frame: labels under the ends
            self.mix_ends[0].next_to(self.slider.track.get_start(), DOWN, buff=0.2)
            self.mix_ends[1].next_to(self.slider.track.get_end(), DOWN, buff=0.2)
        big_top = min(self.slider.get_bottom()[1], self.mix_ends.get_bottom()[1]) - 0.3
        big_side = max(big_top - box.bottom, 1.0)
        self.big = self.image_mobject(self.previews[0, 0], big_side).move_to((0, big_top - big_side / 2, 0))
        self.step_count = Counter(self, f"step {{}} / {self.steps}", "0" * len(str(self.steps)), LABEL_SIZE)
        self.step_count.show("0").next_to(self.big, RIGHT, buff=0.35).align_to(self.big, UP)

    def lay_out_first_big(self) -> None:
        """While the strip builds, the large image (the newest picture of the strip) sits under it and
        the biggest-change note; the sweep then moves it up and makes it larger (`big_to`)."""
        box = self.content_box()
        self.big_to = self.big.copy()
        top = self.strip.get_bottom()[1] - 0.25 - line_height(LABEL_SIZE) - 0.3
        side = max(top - box.bottom, 1.0)
        self.big.set_height(side).move_to((0, top - side / 2, 0))
        self.set_image(self.big, self.images[0])

    # ---- beats ----------------------------------------------------------------------------------

    def ends(self, slot: Slot) -> None:
        """1. The two prompts, and their images, at the ends."""
        with self.beat(slot, "ends"):
            self.play_until(
                slot.at(0.3), Fade(self.from_text, shift=RIGHT * 0.15), Fade(self.to_text, shift=LEFT * 0.15)
            )
            self.play_until(slot.at(0.55), Fade(self.strip), Fade(self.frames), Fade(self.big))
            self.hold_until(slot.at(0.75))
            self.set_image(self.big, self.images[-1])  # the other end

    def in_between(self, slot: Slot) -> None:
        """2. The images in between, left to right; the biggest jump marked."""
        self.jump_marks: list[Mobject] = []
        with self.beat(slot, "between"):
            middle = list(range(1, self.points - 1))

            def add(k: int) -> None:  # the strip gains image k, which is also shown large
                self.set_image(self.strip, self.strip_pixels(self.ends_shown + middle[: k + 1]))
                self.set_image(self.big, self.images[middle[k]] if middle else self.images[-1])

            self.step_through(slot.at(0.05), slot.at(0.5), max(len(middle), 1), add)
            if self.points > 2:
                change = [float(c) for c in self.arrays["change"]]
                jump = int(np.argmax(change[1:])) + 1  # between images jump-1 and jump
                x, cell, y = (self.xs[jump - 1] + self.xs[jump]) / 2, self.strip.height, self.strip.get_y()
                marker = Line(
                    (x, y - cell / 2 - 0.12, 0), (x, y + cell / 2 + 0.12, 0), stroke_width=5, color=self.theme.accent
                )
                note = self.text("biggest change", LABEL_SIZE, self.theme.accent).next_to(marker, DOWN, buff=0.12)
                box = self.content_box()  # under the marker, as far as the frame's sides allow
                note.set_x(min(max(x, box.left + note.width / 2), box.right - note.width / 2))
                self.play_until(slot.at(0.7), Fade(marker), Fade(note, shift=UP * 0.1))
                self.jump_marks = [marker, note]

    def sweep(self, slot: Slot) -> None:
        """3. The strip moves up; drag the mix back and forth while the steps advance."""
        big, slider, steps = self.big, self.slider, self.steps
        with self.beat(slot, "sweep"):

            def up() -> None:
                self.strip.set_height(self.small_cell).move_to((*self.strip_to, 0))
                self.place_on_strip()
                big.set_height(self.big_to.height).move_to(self.big_to)  # same pixels: a Transform can blend them

            moving = [self.strip, self.from_text, self.to_text, self.frames, big]
            self.play_until(slot.at(0.1), *self.fade_out(*self.jump_marks), *self.moves_to_layout(moving, up))
            self.set_image(self.strip, self.strip_pixels(list(range(self.points))))  # sharp at its new size
            self.set_image(big, self.previews[0, 0])
            self.play_until(slot.at(0.18), Fade(slider), Fade(self.mix_ends), Fade(self.step_count))
            sweep_start, sweep_end = slot.at(0.2), slot.at(0.92)
            shown = (0, 0)

            def follow(mob: Mobject, dt: float) -> None:
                nonlocal shown
                tau = min(max((self.now - sweep_start) / max(sweep_end - sweep_start, 1e-6), 0.0), 1.0)
                u = triangle(tau, 3)
                j = min(steps, int(round(tau * steps)))
                p = int(np.argmin([abs(u - v) for v in self.u_of]))
                slider.set_knob(u)
                if (p, j) != shown:
                    self.set_image(big, self.previews[p, j])
                    if j != shown[1]:
                        self.step_count.show(str(j))
                    shown = (p, j)

            # Everything after `big` in the scene is redrawn each frame, so put the moving parts last.
            self.add(big, slider, self.step_count)
            big.add_updater(follow)
            self.hold_until(sweep_end + 1 / self.fps)
            big.remove_updater(follow)
