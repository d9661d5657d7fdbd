"""denoising: the journey from noise to image, step by step, with where the model thinks it is heading.

Beats (slots): 0 title and prompt; 1 the starting noise (step 0, sigma 1); 2 every step: the
current state (left: the decoded prediction mixed with the noise left, so the start is static) and
the model's decoded x0 prediction (right), step counter and noise level;
3 the journey as two filmstrips, built column by column: the state and the prediction at a few
steps, so the blurry early guesses and the late sharp ones sit side by side.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Mobject, Rectangle, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Fade, Slot
from scenes.widgets import Counter, ImageRow, bar, hex_to_rgb, prompt_line, wrapped_text

GAP = 0.9  # between the two large images
FILM_COLUMNS = 7


class DenoisingScene(ChapterScene):
    """One prompt denoised: the state and the model's prediction side by side, then both as filmstrips."""

    def construct(self) -> None:
        self.previews, self.x0s = self.arrays["previews"], self.arrays["x0_previews"]
        self.sigmas = self.arrays["sigmas"]
        self.steps = int(self.info["steps"])
        s = self.slots(4)
        self.prompt = prompt_line(self, self.info["prompt"])
        self.lay_out()
        self.lay_out_film()

        self.title_beat(s[0], subtitle=self.prompt)
        self.pure_noise(s[1])
        self.every_step(s[2])
        self.journey(s[3])

    def lay_out(self) -> None:
        """Under the prompt: the two images as large as the area allows, each in the middle of its half
        of the frame, a label over each (on one line where its half holds it, else wrapped: never
        shrunk), a counter under each."""
        box = self.content_box().below(self.prompt.get_bottom()[1], gap=0.25)
        half = box.width / 2 - 0.3  # a label may take its half of the frame, less a margin
        self.now_label = self.one_line_or_wrapped("now: picture + noise left", half)
        self.goal_label = self.one_line_or_wrapped("where it is heading (decoded prediction)", half)
        self.step_count = Counter(self, f"step {{}} / {self.steps}", "0" * len(str(self.steps)), LABEL_SIZE)
        self.sigma_count = Counter(self, "noise σ = {}", "0.00", LABEL_SIZE)
        label_h, count_h = max(self.now_label.height, self.goal_label.height), self.step_count.height
        side = min(box.height - label_h - count_h - 0.3, (box.width - GAP) / 2)
        top = box.top - label_h - 0.15
        x = max((side + GAP) / 2, box.width / 4)  # the images' centres, left and right of the middle
        self.now_img = self.image_mobject(self.previews[0], side, smooth=False).move_to((-x, top - side / 2, 0))
        self.goal_img = self.image_mobject(self.x0s[0], side).move_to((x, top - side / 2, 0))
        self.now_label.next_to(self.now_img, UP, buff=0.15)
        self.goal_label.next_to(self.goal_img, UP, buff=0.15)
        self.step_count.show("0").next_to(self.now_img, DOWN, buff=0.15)
        self.sigma_count.show("1.00").next_to(self.goal_img, DOWN, buff=0.15).align_to(self.goal_img, LEFT)
        self.bar_w = side - self.sigma_count.width - 0.3
        self.bar_bg = bar(self.bar_w, 0.16, self.theme.panel)
        self.bar_bg.next_to(self.goal_img, DOWN, buff=0.15 + (count_h - 0.16) / 2).align_to(self.goal_img, RIGHT)
        self.level = self.noise_bar(0)

    def one_line_or_wrapped(self, words: str, width: float) -> Mobject:
        """A label in muted text: one line if it is at most `width` wide, else wrapped to that width."""
        label = self.text(words, LABEL_SIZE, self.theme.muted)
        return label if label.width <= width else wrapped_text(self, words, LABEL_SIZE, width, color=self.theme.muted)

    def noise_bar(self, i: int) -> Rectangle:
        """The noise level at step `i` as a share of the starting level, drawn over `bar_bg`."""
        w = max(self.bar_w * float(self.sigmas[i]) / max(float(self.sigmas[0]), 1e-6), 0.001)
        return bar(w, 0.16, self.theme.accent).align_to(self.bar_bg, LEFT).align_to(self.bar_bg, DOWN)

    def lay_out_film(self) -> None:
        """Two filmstrips (state, prediction) at a few steps, a row label left of each, step numbers on top."""
        box = self.content_box().below(self.prompt.get_bottom()[1], gap=0.3)
        self.picks = [int(k) for k in np.unique(np.linspace(0, self.steps, min(self.steps + 1, FILM_COLUMNS)).round())]
        self.row_names = VGroup(
            self.text("now", LABEL_SIZE, self.theme.muted), self.text("heading", LABEL_SIZE, self.theme.muted)
        )
        names_w = max(m.width for m in self.row_names) + 0.3
        self.step_names = VGroup(*[self.text(f"step {k}", SMALL_SIZE, self.theme.muted) for k in self.picks])
        head_h, row_gap = self.step_names.height + 0.12, 0.2
        largest = (box.height - head_h - row_gap) / 2
        self.film = ImageRow.across(
            len(self.picks), box.width - names_w, 0.14, largest, hex_to_rgb(self.theme.background)
        )
        cell = self.film.cell
        block_h = head_h + 2 * cell + row_gap
        left = box.centre[0] - (names_w + self.film.count * cell + (self.film.count - 1) * self.film.gap) / 2
        top = box.centre[1] + block_h / 2
        ahead = [self.x0s[min(k, self.steps - 1)] if k < self.steps else self.previews[k] for k in self.picks]
        self.strips = []
        for r, images in enumerate(([self.previews[k] for k in self.picks], ahead)):
            strip = self.image_mobject(self.film.compose(images), cell)
            strip.move_to((left + names_w, top - head_h - r * (cell + row_gap) - cell / 2, 0), aligned_edge=LEFT)
            self.row_names[r].next_to(strip, LEFT, buff=0.3)
            self.strips.append((strip, images))
        for x, name in zip(self.film.centres(self.strips[0][0]), self.step_names, strict=True):
            name.move_to((x, top - name.height / 2, 0))

    # ---- beats ----------------------------------------------------------------------------------

    def pure_noise(self, slot: Slot) -> None:
        """1. Pure noise."""
        with self.beat(slot, "noise"):
            self.play_until(slot.at(0.35), Fade(self.now_img), Fade(self.now_label), Fade(self.step_count))
            self.play_until(
                slot.at(0.7),
                Fade(self.goal_img),
                Fade(self.goal_label),
                Fade(self.sigma_count),
                Fade(self.bar_bg),
                Fade(self.level),
            )

    def every_step(self, slot: Slot) -> None:
        """2. Every step: the state sharpens, the prediction settles."""
        with self.beat(slot, "steps"):

            def show(i: int) -> None:
                self.set_image(self.now_img, self.previews[i + 1], smooth=False)
                self.set_image(self.goal_img, self.x0s[i])
                self.step_count.show(str(i + 1))
                self.sigma_count.show(f"{float(self.sigmas[i + 1]):.2f}")
                self.level.become(self.noise_bar(i + 1))

            self.step_through(slot.start, slot.at(0.9), self.steps, show)

    def journey(self, slot: Slot) -> None:
        """3. The journey as two filmstrips, column by column: early guesses blurry, late ones sharp."""
        background = hex_to_rgb(self.theme.background)
        blank = np.empty_like(self.previews[0])
        blank[:] = background
        big = [
            self.now_img,
            self.goal_img,
            self.now_label,
            self.goal_label,
            self.step_count,
            self.sigma_count,
            self.bar_bg,
            self.level,
        ]
        with self.beat(slot, "journey"):
            self.play_until(slot.at(0.12), *self.fade_out(*big))
            for strip, images in self.strips:
                self.set_image(strip, self.film.compose([blank] * len(images)))
            self.play_until(slot.at(0.18), *[Fade(s) for s, _ in self.strips], Fade(self.row_names))

            def show(k: int) -> None:
                for strip, images in self.strips:
                    self.set_image(strip, self.film.compose(images[: k + 1] + [blank] * (len(images) - k - 1)))
                self.add(*self.step_names[: k + 1])

            self.step_through(slot.at(0.18), slot.at(0.75), len(self.picks), show)
