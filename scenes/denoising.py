"""denoising: the journey from noise to image, step by step, with where the model thinks it is heading.

Beats (slots): 0 title and prompt; 1 the starting noise (step 0, sigma 1); 2 every step: the
current state (left) and the model's x0 prediction (right), step counter and noise level;
3 the finished image and a filmstrip of the journey.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, Rectangle, VGroup

from scenes.common import BODY_SIZE, LABEL_SIZE, ChapterScene, compose_grid, hex_to_rgb


class DenoisingScene(ChapterScene):
    def construct(self) -> None:
        info, previews, x0s = self.info, self.arrays["previews"], self.arrays["x0_previews"]
        sigmas = self.arrays["sigmas"]
        steps = int(info["steps"])
        s = self.slots(4)
        left, right, bottom, top = self.content_box()

        # 0. Title and prompt
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.5)
            prompt = self.text(f"“{info['prompt']}”", BODY_SIZE, self.theme.accent)
            self.fit_width(prompt, right - left)
            prompt.move_to((0, top - prompt.height / 2, 0))
            self.play_until(s[0].at(1.0), FadeIn(prompt, shift=DOWN * 0.2))

        # Layout, top to bottom: prompt, labels, the two images, counters, (later) the filmstrip.
        film_h, counter_h, label_h = 0.8, 0.32, 0.3
        side = min(
            prompt.get_bottom()[1] - bottom - (0.12 + label_h + 0.1 + 0.12 + counter_h + 0.2 + film_h),
            (right - left) / 2 - 0.8,
        )
        image_top = prompt.get_bottom()[1] - 0.12 - label_h - 0.1
        now_img = self.image_mobject(previews[0], side).move_to((-side / 2 - 0.4, image_top - side / 2, 0))
        goal_img = self.image_mobject(x0s[0], side).move_to((side / 2 + 0.4, image_top - side / 2, 0))
        now_label = self.text("now", LABEL_SIZE, self.theme.muted).next_to(now_img, UP, buff=0.1)
        goal_label = self.text("where it is heading (prediction)", LABEL_SIZE, self.theme.muted)
        self.fit_width(goal_label, side + 0.7)
        goal_label.next_to(goal_img, UP, buff=0.1)

        bar_w = side * 0.4
        bar_bg = Rectangle(width=bar_w, height=0.14, stroke_width=0, fill_color=self.theme.panel, fill_opacity=1)
        bar_bg.next_to(goal_img, DOWN, buff=0.12 + counter_h / 2 - 0.07).align_to(goal_img, RIGHT)

        def counter(i: int) -> VGroup:
            step = self.text(f"step {i} / {steps}", LABEL_SIZE).next_to(now_img, DOWN, buff=0.12)
            sigma = self.text(f"noise σ = {float(sigmas[i]):.2f}", LABEL_SIZE)
            sigma.next_to(goal_img, DOWN, buff=0.12).align_to(goal_img, LEFT)
            return VGroup(step, sigma)

        def bar(i: int) -> Rectangle:
            w = max(bar_w * float(sigmas[i]) / max(float(sigmas[0]), 1e-6), 0.001)
            r = Rectangle(width=w, height=0.14, stroke_width=0, fill_color=self.theme.accent, fill_opacity=1)
            return r.align_to(bar_bg, LEFT).align_to(bar_bg, DOWN)

        # 1. Pure noise
        with self.beat(s[1], "noise"):
            count = counter(0)
            level = bar(0)
            self.play_until(s[1].at(0.35), FadeIn(now_img), FadeIn(now_label), FadeIn(count))
            self.play_until(s[1].at(0.7), FadeIn(goal_img), FadeIn(goal_label), FadeIn(bar_bg), FadeIn(level))

        # 2. Every step: the state sharpens, the prediction settles
        with self.beat(s[2], "steps"):

            def show(i: int) -> None:
                self.set_image(now_img, previews[i + 1])
                self.set_image(goal_img, x0s[i])
                count.become(counter(i + 1))
                level.become(bar(i + 1))

            self.step_through(s[2].start, s[2].at(0.92), steps, show)

        # 3. The finished image and the journey as a filmstrip
        with self.beat(s[3], "result"):
            picks = np.unique(np.linspace(0, steps, min(steps + 1, 8)).round().astype(int))
            cell = 48
            strip = compose_grid(
                [previews[i] for i in picks],
                cols=len(picks),
                cell_px=cell,
                gap_px=6,
                background=hex_to_rgb(self.theme.background),
            )
            film = self.image_mobject(strip, film_h)
            self.fit_width(film, right - left)
            film.move_to((0, bottom + film.height / 2, 0))
            self.play_until(s[3].at(0.3), FadeIn(film, shift=UP * 0.2), goal_label.animate.set_opacity(0.4))
