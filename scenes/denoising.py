"""denoising: the journey from noise to image, step by step, with where the model thinks it is heading.

Beats (slots): 0 title and prompt; 1 the starting noise (step 0, sigma 1); 2 every step: the
current state (left) and the model's x0 prediction (right), step counter and noise level;
3 the finished image and a filmstrip of the journey.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, Rectangle, VGroup

from scenes.common import LABEL_SIZE, ChapterScene, Slot, compose_grid, hex_to_rgb
from scenes.widgets import bar, prompt_line

FILM_H, COUNTER_H, LABEL_H = 0.8, 0.32, 0.3  # heights (frame units) of the filmstrip, counters, image labels


class DenoisingScene(ChapterScene):
    """One prompt denoised: the state and the model's prediction side by side, then the filmstrip."""

    def construct(self) -> None:
        self.previews, self.x0s = self.arrays["previews"], self.arrays["x0_previews"]
        self.sigmas = self.arrays["sigmas"]
        self.steps = int(self.info["steps"])
        s = self.slots(4)
        self.prompt = prompt_line(self, self.info["prompt"])
        self.title_beat(s[0], hold=0.5, subtitle=self.prompt)
        self.lay_out()
        self.pure_noise(s[1])
        self.every_step(s[2])
        self.result(s[3])

    def lay_out(self) -> None:
        """Top to bottom: prompt, labels, the two images, counters, (later) the filmstrip."""
        left, right, bottom, _ = self.content_box()
        prompt_bottom = self.prompt.get_bottom()[1]
        side = min(
            prompt_bottom - bottom - (0.12 + LABEL_H + 0.1 + 0.12 + COUNTER_H + 0.2 + FILM_H),
            (right - left) / 2 - 0.8,
        )
        image_top = prompt_bottom - 0.12 - LABEL_H - 0.1
        self.now_img = self.image_mobject(self.previews[0], side).move_to((-side / 2 - 0.4, image_top - side / 2, 0))
        self.goal_img = self.image_mobject(self.x0s[0], side).move_to((side / 2 + 0.4, image_top - side / 2, 0))
        self.now_label = self.text("now", LABEL_SIZE, self.theme.muted).next_to(self.now_img, UP, buff=0.1)
        self.goal_label = self.text("where it is heading (prediction)", LABEL_SIZE, self.theme.muted)
        self.fit_width(self.goal_label, side + 0.7)
        self.goal_label.next_to(self.goal_img, UP, buff=0.1)

        self.bar_w = side * 0.4
        self.bar_bg = bar(self.bar_w, 0.14, self.theme.panel)
        self.bar_bg.next_to(self.goal_img, DOWN, buff=0.12 + COUNTER_H / 2 - 0.07).align_to(self.goal_img, RIGHT)

    def step_counter(self, i: int) -> VGroup:
        """The step number under the state and the noise level under the prediction, at step `i`."""
        step = self.text(f"step {i} / {self.steps}", LABEL_SIZE).next_to(self.now_img, DOWN, buff=0.12)
        sigma = self.text(f"noise σ = {float(self.sigmas[i]):.2f}", LABEL_SIZE)
        sigma.next_to(self.goal_img, DOWN, buff=0.12).align_to(self.goal_img, LEFT)
        return VGroup(step, sigma)

    def noise_bar(self, i: int) -> Rectangle:
        """The noise level at step `i` as a share of the starting level, drawn over `bar_bg`."""
        w = max(self.bar_w * float(self.sigmas[i]) / max(float(self.sigmas[0]), 1e-6), 0.001)
        return bar(w, 0.14, self.theme.accent).align_to(self.bar_bg, LEFT).align_to(self.bar_bg, DOWN)

    def pure_noise(self, slot: Slot) -> None:
        """1. Pure noise."""
        with self.beat(slot, "noise"):
            self.count = self.step_counter(0)
            self.level = self.noise_bar(0)
            self.play_until(slot.at(0.35), FadeIn(self.now_img), FadeIn(self.now_label), FadeIn(self.count))
            self.play_until(
                slot.at(0.7),
                FadeIn(self.goal_img),
                FadeIn(self.goal_label),
                FadeIn(self.bar_bg),
                FadeIn(self.level),
            )

    def every_step(self, slot: Slot) -> None:
        """2. Every step: the state sharpens, the prediction settles."""
        with self.beat(slot, "steps"):

            def show(i: int) -> None:
                self.set_image(self.now_img, self.previews[i + 1])
                self.set_image(self.goal_img, self.x0s[i])
                self.count.become(self.step_counter(i + 1))
                self.level.become(self.noise_bar(i + 1))

            self.step_through(slot.start, slot.at(0.92), self.steps, show)

    def result(self, slot: Slot) -> None:
        """3. The finished image and the journey as a filmstrip."""
        with self.beat(slot, "result"):
            left, right, bottom, _ = self.content_box()
            picks = np.unique(np.linspace(0, self.steps, min(self.steps + 1, 8)).round().astype(int))
            strip = compose_grid(
                [self.previews[i] for i in picks],
                cols=len(picks),
                cell_px=48,
                gap_px=6,
                background=hex_to_rgb(self.theme.background),
            )
            film = self.image_mobject(strip, FILM_H)
            self.fit_width(film, right - left)
            film.move_to((0, bottom + film.height / 2, 0))
            self.play_until(slot.at(0.3), FadeIn(film, shift=UP * 0.2), self.goal_label.animate.set_opacity(0.4))
