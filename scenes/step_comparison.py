"""step_comparison: one prompt and seed sampled with few to many steps, all raced over the same time.

Beats (slots): 0 title; 1 the prompt and a row of starting noises, one per step count; 2 the race:
every run goes from noise to image over the same seconds, so few-step runs jump and many-step
runs glide (a step bar under each image fills in whole steps); 3 the finished images side by
side with how far each is from the many-step result (diminishing returns).

The row is one composited image whose pixels change only when some run takes a step.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, FadeIn, GrowFromEdge, Line, Rectangle, VGroup

from scenes.common import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, ChapterScene, compose_grid, hex_to_rgb, pixels_for


def rms(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance of two uint8 images on a 0..1 scale."""
    d = a.astype(np.float32) / 255 - b.astype(np.float32) / 255
    return float(np.sqrt(np.mean(d * d)))


class StepComparisonScene(ChapterScene):
    def construct(self) -> None:
        info, arrays = self.info, self.arrays
        counts = [int(k) for k in info["step_counts"]]
        runs = len(counts)
        previews = [arrays[f"previews_{i}"] for i in range(runs)]
        images = arrays["images"]
        s = self.slots(4)
        left, right, bottom, top = self.content_box()
        background = hex_to_rgb(self.theme.background)

        # Layout: prompt line; step-count labels; the row of images; step bars; difference bars.
        prompt = self.text(f"“{info['prompt']}”   seed {info['seed']}", BODY_SIZE, self.theme.accent)
        self.fit_width(prompt, right - left)
        prompt.move_to((0, top - prompt.height / 2, 0))
        gap = 0.25
        cell = min(2.2, (right - left - gap * (runs - 1)) / runs, (top - bottom) * 0.36)
        cell_px, gap_px = pixels_for(cell), pixels_for(gap)
        row_top = prompt.get_bottom()[1] - 0.55
        row_y = row_top - cell / 2

        def compose(indices: tuple[int, ...]) -> np.ndarray:
            frames = [previews[i][k] for i, k in enumerate(indices)]
            return compose_grid(frames, cols=runs, cell_px=cell_px, gap_px=gap_px, background=background)

        shown = tuple(0 for _ in range(runs))
        row = self.image_mobject(compose(shown), cell).move_to((0, row_y, 0))
        unit = row.width / row.pixel_array.shape[1]  # frame units per pixel of the composite
        xs = [row.get_left()[0] + (i * (cell_px + gap_px) + cell_px / 2) * unit for i in range(runs)]

        labels = VGroup()
        for i, k in enumerate(counts):
            label = self.text(f"{k} step" + ("" if k == 1 else "s"), LABEL_SIZE)
            self.fit_width(label, cell + gap * 0.8)
            labels.add(label.move_to((xs[i], row_top + 0.1 + label.height / 2, 0)))

        # A step bar under each image: a track with a tick per step, filled in whole steps.
        bar_h, bar_y = 0.12, row.get_bottom()[1] - 0.22
        tracks, ticks = VGroup(), VGroup()
        for i, k in enumerate(counts):
            track = Rectangle(width=cell, height=bar_h, stroke_width=0, fill_color=self.theme.panel, fill_opacity=1)
            tracks.add(track.move_to((xs[i], bar_y, 0)))
            if k <= 64:
                for j in range(1, k):
                    x = xs[i] - cell / 2 + cell * j / k
                    ticks.add(
                        Line(
                            (x, bar_y - bar_h / 2, 0),
                            (x, bar_y + bar_h / 2, 0),
                            stroke_width=1,
                            color=self.theme.background,
                        )
                    )

        def fill(i: int, done: int) -> Rectangle:
            w = max(cell * done / counts[i], 1e-3)
            r = Rectangle(
                width=w, height=bar_h, stroke_width=0, fill_color=self.theme.accent, fill_opacity=1 if done else 0
            )
            return r.move_to(tracks[i].get_left(), aligned_edge=LEFT)

        fills = VGroup(*[fill(i, 0) for i in range(runs)])

        # 0. Title
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.6)

        # 1. The same prompt and seed, one starting noise per step count
        with self.beat(s[1], "setup"):
            self.play_until(s[1].at(0.3), FadeIn(prompt, shift=DOWN * 0.2))
            self.play_until(s[1].at(0.65), FadeIn(row), FadeIn(labels, shift=DOWN * 0.1))
            self.play_until(s[1].at(0.9), FadeIn(tracks), FadeIn(fills), FadeIn(ticks))

        # 2. The race: every run spans the same time, so few steps mean big jumps
        with self.beat(s[2], "race"):
            race_start, race_end = s[2].at(0.05), s[2].at(0.85)
            self.hold_until(race_start)

            # Every moment some run completes a step; between them the picture holds.
            # Steps that land on the same video frame are shown together (the last of them wins).
            events = sorted({j / k for k in counts for j in range(1, k + 1)})
            frame_of = [round((race_start + u * (race_end - race_start)) * self.fps) for u in events]
            events = [u for i, u in enumerate(events) if i + 1 == len(events) or frame_of[i + 1] != frame_of[i]]
            for u in events:
                self.hold_until(race_start + u * (race_end - race_start))
                done = tuple(min(k, int(np.floor(u * k + 1e-9))) for k in counts)
                if done != shown:
                    self.set_image(row, compose(done))
                    for i in range(runs):
                        if done[i] != shown[i]:
                            fills[i].become(fill(i, done[i]))
                    shown = done

        # 3. Finished images: how far each is from the many-step result
        with self.beat(s[3], "returns"):
            ref = int(np.argmax(counts))
            diffs = [rms(images[i], images[ref]) for i in range(runs)]
            top_diff = max(max(diffs), 1e-6)
            chart_top = tracks.get_bottom()[1] - 0.55
            caption = self.text(f"difference from the {counts[ref]}-step image", LABEL_SIZE, self.theme.muted)
            caption.move_to((0, chart_top - caption.height / 2, 0))
            base_y = bottom + 0.35
            max_h = max(chart_top - caption.height - 0.25 - (base_y + 0.05) - 0.3, 0.2)
            bars, numbers = VGroup(), VGroup()
            for i, d in enumerate(diffs):
                h = max(max_h * d / top_diff, 0.02)
                bar = Rectangle(
                    width=cell * 0.5, height=h, stroke_width=0, fill_color=self.theme.palette[0], fill_opacity=0.9
                )
                bars.add(bar.move_to((xs[i], base_y, 0), aligned_edge=DOWN))
                number = self.text(f"{d:.2f}", SMALL_SIZE, self.theme.text)
                numbers.add(number.next_to(bar, UP, buff=0.08))
            baseline = Line((left + 0.2, base_y, 0), (right - 0.2, base_y, 0), stroke_width=1.2, color=self.theme.muted)
            self.play_until(s[3].at(0.2), FadeIn(caption, shift=UP * 0.1), FadeIn(baseline))
            self.play_until(s[3].at(0.55), *[GrowFromEdge(b, DOWN) for b in bars])
            self.play_until(s[3].at(0.7), FadeIn(numbers))
