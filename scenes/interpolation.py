"""interpolation: images along the path between two prompt embeddings, then the noisy-to-clear sweep.

Beats (slots): 0 title; 1 the two prompts and their images at the ends of a strip; 2 the images in
between fill the strip, and the biggest jump between neighbours is marked; 3 a slider under the
strip is dragged back and forth across the mix while the denoising step advances, and a large
image follows the knob: position x step, from noise to clear.

`Slider` (a track with ticks and a knob) is shared with guidance_comparison.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, FadeIn, Line, Mobject, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, compose_grid, hex_to_rgb, pixels_for
from scenes.prompt_detail import wrapped_text


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
        return self.x0 + (self.x1 - self.x0) * min(max(u, 0.0), 1.0)

    def set_knob(self, u: float) -> Mobject:
        return self.knob.move_to((self.x_of(u), self.y, 0))


def triangle(u: float, passes: int) -> float:
    """A back-and-forth drag: 0 -> 1 -> 0 -> ... over u in [0, 1], `passes` one-way sweeps, ending at 1
    when `passes` is odd."""
    x = min(max(u, 0.0), 1.0) * passes
    k = min(int(x), passes - 1)
    f = x - k
    return f if k % 2 == 0 else 1.0 - f


class InterpolationScene(ChapterScene):
    def construct(self) -> None:
        info, images, previews = self.info, self.arrays["images"], self.arrays["previews"]
        ts = [float(t) for t in self.arrays["ts"]]
        change = [float(c) for c in self.arrays["change"]]
        points, n_previews = previews.shape[0], previews.shape[1]
        steps = n_previews - 1
        s = self.slots(4)
        left, right, bottom, top = self.content_box()
        background = hex_to_rgb(self.theme.background)
        from_colour, to_colour = self.theme.palette[0], self.theme.palette[1]

        # Layout, top to bottom: the two prompts; the strip of images; the slider; the large image.
        width = right - left
        half = width * 0.46
        from_text = wrapped_text(self, f"“{info['from_prompt']}”", LABEL_SIZE, half, 0.7, from_colour, 2)
        to_text = wrapped_text(self, f"“{info['to_prompt']}”", LABEL_SIZE, half, 0.7, to_colour, 2)
        gap = 0.12
        cell = min(1.55, (width - gap * (points - 1)) / points, (top - bottom) * 0.24)
        cell_px, gap_px = pixels_for(cell), pixels_for(gap)
        labels_h = max(from_text.height, to_text.height)
        strip_y = top - labels_h - 0.2 - cell / 2

        def strip_pixels(shown: list[int]):
            blank = np.zeros_like(images[0])
            blank[:] = background
            return compose_grid(
                [images[p] if p in shown else blank for p in range(points)],
                cols=points,
                cell_px=cell_px,
                gap_px=gap_px,
                background=background,
            )

        ends = [0, points - 1]
        strip = self.image_mobject(strip_pixels(ends), cell).move_to((0, strip_y, 0))
        unit = strip.width / strip.pixel_array.shape[1]
        xs = [strip.get_left()[0] + (p * (cell_px + gap_px) + cell_px / 2) * unit for p in range(points)]
        from_text.next_to(strip, UP, buff=0.2).align_to(strip, LEFT)
        to_text.next_to(strip, UP, buff=0.2).align_to(strip, RIGHT)
        from_frame = self.framed(strip, from_colour).stretch_to_fit_width(cell).move_to((xs[0], strip_y, 0))
        to_frame = self.framed(strip, to_colour).stretch_to_fit_width(cell).move_to((xs[-1], strip_y, 0))

        # The slider's stops sit under the strip's images, so the knob points at the image it shows.
        slider_y = strip.get_bottom()[1] - 0.32
        u_of = [(t - ts[0]) / max(ts[-1] - ts[0], 1e-9) for t in ts]
        slider = Slider(xs[0], xs[-1], slider_y, u_of, self.theme.muted, self.theme.accent)
        t_labels = VGroup(
            *[
                self.text(
                    f"{t:.2f}".rstrip("0").rstrip(".") if t not in (0.0, 1.0) else f"{t:.0f}",
                    SMALL_SIZE,
                    self.theme.muted,
                ).move_to((xs[p], slider_y - 0.3, 0))
                for p, t in enumerate(ts)
            ]
        )
        if points > 9:
            t_labels = VGroup(t_labels[0], t_labels[-1])
        mix_label = self.text("mix", SMALL_SIZE, self.theme.muted).next_to(slider.track, LEFT, buff=0.25)
        if mix_label.get_left()[0] < left:  # no room beside a full-width strip: the end labels suffice
            mix_label = VGroup()

        big_top = t_labels.get_bottom()[1] - 0.25
        big_side = max(big_top - bottom - 0.05, 1.0)
        big = self.image_mobject(previews[0, 0], big_side).move_to((0, big_top - big_side / 2, 0))

        step_texts: dict[int, Mobject] = {}

        def step_caption(j: int) -> Mobject:
            if j not in step_texts:
                t = self.text(f"step {j} / {steps}", LABEL_SIZE)
                step_texts[j] = t.next_to(big, RIGHT, buff=0.35).align_to(big, UP)
            return step_texts[j]

        # 0. Title
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.6)

        # 1. The two prompts, and their images, at the ends
        with self.beat(s[1], "ends"):
            self.play_until(s[1].at(0.3), FadeIn(from_text, shift=RIGHT * 0.15), FadeIn(to_text, shift=LEFT * 0.15))
            self.play_until(s[1].at(0.7), FadeIn(strip), FadeIn(from_frame), FadeIn(to_frame))

        # 2. The images in between, left to right; the biggest jump marked
        with self.beat(s[2], "between"):
            middle = list(range(1, points - 1))
            for k in range(len(middle)):
                self.hold_until(s[2].at(0.05 + 0.45 * k / max(len(middle), 1)))
                self.set_image(strip, strip_pixels(ends + middle[: k + 1]))
            self.hold_until(s[2].at(0.55))
            if points > 1:
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
                self.play_until(s[2].at(0.75), FadeIn(marker), FadeIn(note, shift=UP * 0.1))

        # 3. Drag the mix back and forth while the steps advance: each image grows out of its noise
        with self.beat(s[3], "sweep"):
            if points > 1:
                self.play_until(s[3].at(0.08), marker.animate.set_opacity(0.0), note.animate.set_opacity(0.0))
                self.remove(marker, note)
            caption = step_caption(0).copy()
            self.play_until(
                s[3].at(0.18), FadeIn(slider), FadeIn(t_labels), FadeIn(mix_label), FadeIn(big), FadeIn(caption)
            )
            sweep_start, sweep_end = s[3].at(0.2), s[3].at(0.92)
            shown = (0, 0)

            def follow(mob: Mobject, dt: float) -> None:
                nonlocal shown
                tau = (self.now - sweep_start) / max(sweep_end - sweep_start, 1e-6)
                tau = min(max(tau, 0.0), 1.0)
                u = triangle(tau, 3)
                j = min(steps, int(round(tau * steps)))
                p = int(np.argmin([abs(u - v) for v in u_of]))
                slider.set_knob(u)
                if (p, j) != shown:
                    self.set_image(big, previews[p, j])
                    if j != shown[1]:
                        caption.become(step_caption(j))
                    shown = (p, j)

            # Everything after `big` in the scene is redrawn each frame, so put the moving parts last.
            self.add(big, slider, caption)
            big.add_updater(follow)
            self.hold_until(sweep_end + 1 / self.fps)
            big.remove_updater(follow)
