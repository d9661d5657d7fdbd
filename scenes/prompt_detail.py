"""prompt_detail: prompts from vague to detailed, each sampled with the same seeds, one row per prompt.

Beats (slots): 0 title; 1 the rows appear (prompt on the left, one image per seed) and all of them
grow out of their noise together; 2 the variety of each row (the choices it leaves open, read from
its images; or their mean pairwise distance for a model without a reader) as a bar, the vague top
row highlighted; 3 the detailed bottom row highlighted: its images
agree.

Each row is one composited image, so a denoising step swaps one pixel array per row.
"""

from __future__ import annotations

import numpy as np
from manim import LEFT, RIGHT, ApplyMethod, FadeIn, Group, GrowFromEdge, Transform, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Slot
from scenes.widgets import ImageRow, bar, hex_to_rgb, wrapped_text

# Widths (frame units) of the block's columns and gaps: prompt text (at most), variety bar, its number.
MAX_TEXT_W, BAR_W, NUMBER_W, COL_GAP = 4.4, 1.7, 0.6, 0.35
GAP, ROW_GAP = 0.12, 0.2  # between the images of a row, between rows
HEAD_H = 0.4  # the seed labels over the rows
FRAME_ROOM = 0.3  # under the last row, for the frame that highlights it


class PromptDetailScene(ChapterScene):
    """Prompts from vague to detailed, one row of seeds each, and how much each row varies."""

    def construct(self) -> None:
        self.previews = self.arrays["previews"]
        self.prompts = list(self.info["prompts"])
        self.n_prompts, self.n_seeds = self.previews.shape[0], self.previews.shape[1]
        s = self.slots(4)
        # Prompt column | image rows | variety column, centred as a block; seed labels on top.
        self.lay_out_rows()
        self.lay_out_variety()

        self.title_beat(s[0])
        self.grow_rows(s[1])
        self.variety(s[2])
        self.agree(s[3])

    def row_pixels(self, p: int, step: int) -> np.ndarray:
        """Row p's picture: its prompt's image for every seed at `step`."""
        return self.cells.compose([self.previews[p, k, step] for k in range(self.n_seeds)])

    def lay_out_rows(self) -> None:
        """The prompts right-aligned on the left, a row of images beside each, seed labels on top."""
        left, right, bottom, top = self.content_box()
        n_prompts, n_seeds = self.n_prompts, self.n_seeds
        cell = min(
            1.7,
            (top - HEAD_H - bottom - FRAME_ROOM - ROW_GAP * (n_prompts - 1)) / n_prompts,
            (right - left - MAX_TEXT_W - BAR_W - NUMBER_W - 2 * COL_GAP - GAP * (n_seeds - 1)) / n_seeds,
        )
        self.cell = cell
        self.cells = ImageRow(n_seeds, cell, GAP, hex_to_rgb(self.theme.background))
        self.texts = [wrapped_text(self, f"“{prompt}”", LABEL_SIZE, MAX_TEXT_W, cell) for prompt in self.prompts]
        text_w = max(t.width for t in self.texts)
        self.row_w = n_seeds * cell + (n_seeds - 1) * GAP
        block_w = text_w + COL_GAP + self.row_w + COL_GAP + BAR_W + NUMBER_W
        text_right = (left + right) / 2 - block_w / 2 + text_w
        self.img_cx = text_right + COL_GAP + self.row_w / 2
        block_h = HEAD_H + n_prompts * cell + (n_prompts - 1) * ROW_GAP
        first_y = (top + bottom) / 2 + block_h / 2 - HEAD_H - cell / 2
        self.ys = ys = [first_y - p * (cell + ROW_GAP) for p in range(n_prompts)]
        for p, t in enumerate(self.texts):
            t.move_to((text_right, ys[p], 0), aligned_edge=RIGHT)

        self.rows = [
            self.image_mobject(self.row_pixels(p, 0), cell).move_to((self.img_cx, ys[p], 0)) for p in range(n_prompts)
        ]
        col_xs = self.cells.centres(self.rows[0])
        self.seed_labels = VGroup(
            *[
                self.fit_width(self.text(f"seed {seed}", SMALL_SIZE, self.theme.muted), cell * 0.92).move_to(
                    (col_xs[k], ys[0] + cell / 2 + HEAD_H / 2, 0)
                )
                for k, seed in enumerate(self.info["seeds"])
            ]
        )

    def lay_out_variety(self) -> None:
        """Variety bars: one per row, scaled to the largest, with its number."""
        variety = [float(v) for v in self.arrays["variety"]]
        bar_left = self.img_cx + self.row_w / 2 + COL_GAP
        top_variety = max(max(variety), 1e-6)
        open_choices = self.info.get("variety_measure") == "choices left open"
        self.variety_head = self.text("choices open" if open_choices else "variety", LABEL_SIZE, self.theme.muted)
        self.variety_head.move_to((bar_left, self.seed_labels.get_center()[1], 0), aligned_edge=LEFT)
        self.bars, self.numbers = VGroup(), VGroup()
        for p, v in enumerate(variety):
            w = max(BAR_W * v / top_variety, 0.02)
            variety_bar = bar(w, min(0.3, self.cell * 0.4), self.theme.accent, 0.9)
            self.bars.add(variety_bar.move_to((bar_left, self.ys[p], 0), aligned_edge=LEFT))
            self.numbers.add(self.text(f"{v:.2f}", SMALL_SIZE).next_to(variety_bar, RIGHT, buff=0.1))

    def highlight(self, p: int) -> VGroup:
        """A frame around row p and its prompt."""
        return self.framed(Group(self.texts[p], self.rows[p]), color=self.theme.accent, buff=0.1)

    def grow_rows(self, slot: Slot) -> None:
        """1. One row per prompt, one column per seed; all grow out of their noise together."""
        n_prompts = self.n_prompts
        with self.beat(slot, "grid"):
            self.play_until(slot.at(0.1), FadeIn(self.seed_labels))
            for p in range(n_prompts):
                self.play_until(
                    slot.at(0.1 + 0.35 * (p + 1) / n_prompts),
                    FadeIn(self.texts[p], shift=RIGHT * 0.15),
                    FadeIn(self.rows[p]),
                )

            def show(i: int) -> None:
                for p in range(n_prompts):
                    self.set_image(self.rows[p], self.row_pixels(p, i + 1))

            self.step_through(slot.at(0.5), slot.at(0.95), self.previews.shape[2] - 1, show)

    def variety(self, slot: Slot) -> None:
        """2. How different each row's images are: the vague prompt varies most."""
        with self.beat(slot, "variety"):
            self.play_until(slot.at(0.15), FadeIn(self.variety_head))
            self.play_until(slot.at(0.45), *[GrowFromEdge(b, LEFT) for b in self.bars])
            self.play_until(slot.at(0.55), FadeIn(self.numbers))
            self.highlight_frame = self.highlight(0)
            self.play_until(slot.at(0.7), FadeIn(self.highlight_frame))

    def agree(self, slot: Slot) -> None:
        """3. The detailed prompt: the seeds agree."""
        with self.beat(slot, "agree"):
            self.play_until(slot.at(0.3), Transform(self.highlight_frame, self.highlight(self.n_prompts - 1)))
            others = [ApplyMethod(b.set_opacity, 0.35) for b in self.bars[:-1]]
            self.play_until(slot.at(0.5), *others, ApplyMethod(self.numbers[-1].set_color, self.theme.accent))
