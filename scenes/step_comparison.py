"""step_comparison: one prompt and seed sampled with few to many steps, all raced over the same time.

Beats (slots): 0 title; 1 the prompt and a row of starting noises, one per step count; 2 the race:
every run goes from noise to image over the same seconds, so few-step runs jump and many-step
runs glide (a step bar under each image fills in whole steps); 3 the finished images side by
side with how far each is from the many-step result (diminishing returns).

The row is one composited image whose pixels change only when some run takes a step.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, GrowFromEdge, Line, Rectangle, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Fade, Slot, char_width
from scenes.widgets import DIGIT_WIDTH, ImageRow, bar, centred_lines, hex_to_rgb, lines_height, prompt_line

BAR_H = 0.12  # height of the step bars


class StepComparisonScene(ChapterScene):
    """One prompt and seed with several step counts, raced side by side over the same time."""

    def construct(self) -> None:
        self.counts = [int(k) for k in self.info["step_counts"]]
        self.runs = len(self.counts)
        self.previews = [self.arrays[f"previews_{i}"] for i in range(self.runs)]
        s = self.slots(4)
        # Top to bottom: prompt line; step-count labels; the row of images; step bars; difference bars.
        self.lay_out_row()
        self.lay_out_step_bars()

        self.title_beat(s[0], subtitle=self.prompt)
        self.same_start(s[1])
        self.race(s[2])
        self.returns(s[3])

    def compose(self, done: tuple[int, ...]) -> np.ndarray:
        """The row's picture with run i after done[i] steps."""
        return self.cells.compose([self.previews[i][k] for i, k in enumerate(done)])

    def lay_out_row(self) -> None:
        """The prompt, the row of images (one per step count) and a step-count label over each: "8 steps"
        on one line where it fits over its image, else the number over the word."""
        left, right, bottom, top = self.content_box()
        self.prompt = prompt_line(self, self.info["prompt"], self.info["seed"])
        background = hex_to_rgb(self.theme.background)
        # a label may reach over half a gap beyond its image: the row leaves that much at the sides
        self.cells = ImageRow.across(self.runs, right - left - 0.25, 0.25, min(2.2, (top - bottom) * 0.36), background)
        self.cell = cell = self.cells.cell
        words = [(str(k), "step" if k == 1 else "steps") for k in self.counts]
        room = cell + self.cells.gap * 0.8  # a label may reach a little over the gaps beside its image
        one_line = all(len(f"{n} {w}") * char_width(LABEL_SIZE) * DIGIT_WIDTH <= room for n, w in words)
        lines = [[f"{n} {w}"] if one_line else [n, w] for n, w in words]
        label_h = lines_height(len(lines[0]), LABEL_SIZE)
        row_top = self.prompt.get_bottom()[1] - 0.4 - label_h
        self.row = self.image_mobject(self.compose((0,) * self.runs), cell).move_to((0, row_top - cell / 2, 0))
        self.xs = self.cells.centres(self.row)
        self.labels = VGroup()
        for i, label_lines in enumerate(lines):
            label = centred_lines(self, label_lines, LABEL_SIZE)
            self.labels.add(label.move_to((self.xs[i], row_top + 0.1 + label.height / 2, 0)))

    def lay_out_step_bars(self) -> None:
        """A step bar under each image: a track with a tick per step, filled in whole steps."""
        cell, xs = self.cell, self.xs
        bar_y = self.row.get_bottom()[1] - 0.22
        self.tracks, self.ticks = VGroup(), VGroup()
        for i, k in enumerate(self.counts):
            self.tracks.add(bar(cell, BAR_H, self.theme.panel).move_to((xs[i], bar_y, 0)))
            if k <= 64:
                for j in range(1, k):
                    x = xs[i] - cell / 2 + cell * j / k
                    tick = Line(
                        (x, bar_y - BAR_H / 2, 0),
                        (x, bar_y + BAR_H / 2, 0),
                        stroke_width=1,
                        color=self.theme.background,
                    )
                    self.ticks.add(tick)
        self.fills = VGroup(*[self.step_fill(i, 0) for i in range(self.runs)])

    def step_fill(self, i: int, done: int) -> Rectangle:
        """The fill of run i's step bar after `done` steps."""
        w = max(self.cell * done / self.counts[i], 1e-3)
        r = bar(w, BAR_H, self.theme.accent, 1 if done else 0)
        return r.move_to(self.tracks[i].get_left(), aligned_edge=LEFT)

    def same_start(self, slot: Slot) -> None:
        """1. The same prompt and seed, one starting noise per step count."""
        with self.beat(slot, "setup"):
            self.play_until(slot.at(0.5), Fade(self.row), Fade(self.labels, shift=DOWN * 0.1))
            self.play_until(slot.at(0.9), Fade(self.tracks), Fade(self.fills), Fade(self.ticks))

    def race(self, slot: Slot) -> None:
        """2. The race: every run spans the same time, so few steps mean big jumps."""
        counts = self.counts
        with self.beat(slot, "race"):
            race_start, race_end = slot.at(0.05), slot.at(0.85)
            self.hold_until(race_start)

            # Every moment some run completes a step; between them the picture holds.
            # Steps that land on the same video frame are shown together (the last of them wins).
            events = sorted({j / k for k in counts for j in range(1, k + 1)})
            frame_of = [round((race_start + u * (race_end - race_start)) * self.fps) for u in events]
            events = [u for i, u in enumerate(events) if i + 1 == len(events) or frame_of[i + 1] != frame_of[i]]
            shown = (0,) * self.runs
            for u in events:
                self.hold_until(race_start + u * (race_end - race_start))
                done = tuple(min(k, int(np.floor(u * k + 1e-9))) for k in counts)
                if done != shown:
                    self.set_image(self.row, self.compose(done))
                    for i in range(self.runs):
                        if done[i] != shown[i]:
                            self.fills[i].become(self.step_fill(i, done[i]))
                    shown = done

    def returns(self, slot: Slot) -> None:
        """3. Finished images: how far each is from the many-step result."""
        left, right, bottom, _ = self.content_box()
        with self.beat(slot, "returns"):
            ref = int(np.argmax(self.counts))
            diffs = [float(d) for d in self.info["distances"]]  # measured in the analysis
            top_diff = max(max(diffs), 1e-6)
            chart_top = self.tracks.get_bottom()[1] - 0.55
            settle = self.info.get("facts", {}).get("settle_steps", {}).get("value")
            text = f"difference from the {self.counts[ref]}-step image"
            if settle is not None:
                text += f"; settled from {settle} step{'' if settle == 1 else 's'}"
            caption = self.text(text, LABEL_SIZE, self.theme.muted)
            self.fit_width(caption, right - left - 0.4)
            caption.move_to((0, chart_top - caption.height / 2, 0))
            base_y = bottom + 0.35
            max_h = max(chart_top - caption.height - 0.25 - (base_y + 0.05) - 0.3, 0.2)
            bars, numbers = VGroup(), VGroup()
            for i, d in enumerate(diffs):
                settled = settle is not None and self.counts[i] >= settle
                colour = self.theme.palette[2] if settled else self.theme.palette[0]
                diff_bar = bar(self.cell * 0.5, max(max_h * d / top_diff, 0.02), colour, 0.9)
                bars.add(diff_bar.move_to((self.xs[i], base_y, 0), aligned_edge=DOWN))
                numbers.add(self.text(f"{d:.2f}", SMALL_SIZE, self.theme.text).next_to(diff_bar, UP, buff=0.08))
            baseline = Line((left + 0.2, base_y, 0), (right - 0.2, base_y, 0), stroke_width=1.2, color=self.theme.muted)
            self.play_until(slot.at(0.2), Fade(caption, shift=UP * 0.1), Fade(baseline))
            self.play_until(slot.at(0.55), *[GrowFromEdge(b, DOWN) for b in bars])
            self.play_until(slot.at(0.7), Fade(numbers))
