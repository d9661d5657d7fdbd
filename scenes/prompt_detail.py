"""prompt_detail: prompts from vague to detailed, each sampled with the same seeds, one row per prompt.

Beats (slots): 0 title; 1 the rows appear (prompt on the left, one image per seed) and all of them
grow out of their noise together; 2 the variety of each row (the choices it leaves open, read from
its images; or their mean pairwise distance for a model without a reader) as a bar, the vague top
row highlighted; 3 the detailed bottom row highlighted: its images
agree.

Each row is one composited image, so a denoising step swaps one pixel array per row. The rows are
as large as the prompts' text leaves them (`plan_rows`): a long prompt wraps, in the smaller text
if need be; a long seed wraps over its column, and where even that does not fit (many 20-digit
seeds) the columns are lettered and a key under the rows gives their seeds.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
from manim import LEFT, RIGHT, Group, GrowFromEdge, Transform, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Fade, Restyle, Slot
from scenes.widgets import DIGIT_WIDTH, ImageRow, bar, centred_lines, hex_to_rgb, lines_height, number_lines, wrap_lines

# Widths (frame units) of the block's columns and gaps: prompt text (at most), variety bar, its number.
MAX_TEXT_W, BAR_W, NUMBER_W, COL_GAP = 4.4, 1.7, 0.75, 0.35
TEXT_WIDTHS = (2.5, 3.0, 3.5, MAX_TEXT_W, 5.0, 5.5, 6.0)  # the prompts' column widths `plan_rows` tries
HEAD_LINES = 3  # the most lines a seed label over a column may take
KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # letters of the columns when their seeds are too long to label them


class RowPlan(NamedTuple):
    """How `plan_rows` lays the rows out: the images' size, the prompts' text size and lines, each
    column's label lines and their height, and the key under the rows (no lines: none)."""

    cell: float
    size: float
    lines: list[list[str]]
    heads: list[list[str]]
    head_h: float
    key: list[str]
    row_gap: float


GAP, ROW_GAP = 0.12, 0.2  # between the images of a row, between rows
TIGHT_ROW_GAP = 0.08  # between rows when many prompts of several lines need the room
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

    def seed_heads(self, width: float, keyed: bool) -> list[list[str]]:
        """Each column's label in lines at most `width` wide: "seed 2" (its number wrapped where it is
        wider), or with `keyed` a letter that the key under the rows spells out."""
        if keyed:
            return [[KEYS[k]] for k in range(self.n_seeds)]
        return [number_lines("seed", seed, SMALL_SIZE, width) for seed in self.info["seeds"]]

    def key_lines(self, width: float) -> list[str]:
        """The key of lettered columns ("seeds  A: 18446744073709551609   B: ..."), in lines `width` wide."""
        entries = [f"{'  ' if k else 'seeds  '}{KEYS[k]}: {seed}" for k, seed in enumerate(self.info["seeds"])]
        # each entry kept whole (wrap_lines keeps a word's spaces); digits are wider than prose
        return wrap_lines(entries, SMALL_SIZE, width / DIGIT_WIDTH, max_lines=99)

    def plan_rows(self) -> RowPlan:
        """The largest images the rows can have, with the prompts' text size and lines and the seed labels.

        A prompt is wrapped to its column, never shrunk, and its row is as tall as its text if that is
        taller than the images; the column may be narrower or wider than usual (fewer lines, or more
        room for the images), and a long prompt falls back to the smallest text. A seed label over a
        narrow image wraps its number (`number_lines`, at most HEAD_LINES lines); where even that does
        not fit, the columns are lettered and a key under the rows gives their seeds.
        """
        left, right, bottom, top = self.content_box()
        n_prompts, n_seeds = self.n_prompts, self.n_seeds
        for keyed, row_gap in itertools.product((False, True), (ROW_GAP, TIGHT_ROW_GAP)):
            key = self.key_lines(right - left) if keyed else []
            key_h = lines_height(len(key), SMALL_SIZE) + 0.1 if keyed else 0.0
            options = []
            for size in (LABEL_SIZE, SMALL_SIZE):
                for text_w in TEXT_WIDTHS:
                    lines = [wrap_lines(f"“{prompt}”".split(), size, text_w, max_lines=99) for prompt in self.prompts]
                    text_h = lines_height(max(len(w) for w in lines), size)
                    widths = right - left - 0.2 - text_w - BAR_W - NUMBER_W - 2 * COL_GAP - GAP * (n_seeds - 1)
                    cell = widths / n_seeds
                    for _ in range(3):  # the seed labels wrap at the images' width, which their height decides
                        heads = self.seed_heads(cell + GAP - 0.1, keyed)
                        head_h = lines_height(max(len(h) for h in heads), SMALL_SIZE) + 0.15
                        room = top - bottom - head_h - FRAME_ROOM - key_h - row_gap * (n_prompts - 1)
                        cell = min(cell, room / n_prompts)
                    fits = cell > 0 and n_prompts * text_h <= room and max(len(h) for h in heads) <= HEAD_LINES
                    if fits:  # larger images first; then the larger text; then the usual column
                        plan = RowPlan(cell, size, lines, heads, head_h, key, row_gap)
                        options.append((round(cell, 3), size, -abs(text_w - MAX_TEXT_W), plan))
            if options:
                break
        if not options:  # the prompts cannot be read beside the rows even in the smallest text
            lines = [wrap_lines(f"“{prompt}”".split(), SMALL_SIZE, MAX_TEXT_W) for prompt in self.prompts]
            return RowPlan(0.3, SMALL_SIZE, lines, self.seed_heads(0.3, True), HEAD_H, key, TIGHT_ROW_GAP)
        best = max(options, key=lambda o: o[:3])
        if best[1] == SMALL_SIZE:  # the usual text size where its images are nearly as large
            label = [o for o in options if o[1] == LABEL_SIZE and o[0] >= 0.85 * best[0]]
            best = max(label, key=lambda o: o[:3]) if label else best
        return best[3]

    def lay_out_rows(self) -> None:
        """The prompts right-aligned on the left, a row of images beside each, seed labels on top (and
        the key of lettered columns under the rows)."""
        left, right, bottom, top = self.content_box()
        n_prompts, n_seeds = self.n_prompts, self.n_seeds
        plan = self.plan_rows()
        self.cell = cell = plan.cell
        self.cells = ImageRow(n_seeds, cell, GAP, hex_to_rgb(self.theme.background))
        self.texts = [self.text("\n".join(text), plan.size) for text in plan.lines]
        text_w = max(t.width for t in self.texts)
        row_h = max(cell, max(t.height for t in self.texts))  # a row is as tall as its text, if that is taller
        self.row_w = n_seeds * cell + (n_seeds - 1) * GAP
        # the variety bars take what width the rows leave (up to twice their usual length)
        free = right - left - 0.2 - text_w - self.row_w - 2 * COL_GAP - NUMBER_W
        self.bar_w = min(max(free, BAR_W), 2 * BAR_W)
        block_w = text_w + COL_GAP + self.row_w + COL_GAP + self.bar_w + NUMBER_W
        text_right = (left + right) / 2 - block_w / 2 + text_w
        self.img_cx = text_right + COL_GAP + self.row_w / 2
        key = self.text("\n".join(plan.key), SMALL_SIZE, self.theme.muted) if plan.key else None
        key_h = key.height + FRAME_ROOM if key is not None else 0.0
        block_h = plan.head_h + n_prompts * row_h + (n_prompts - 1) * plan.row_gap + key_h
        first_y = (top + bottom) / 2 + block_h / 2 - plan.head_h - row_h / 2
        self.ys = ys = [first_y - p * (row_h + plan.row_gap) for p in range(n_prompts)]
        for p, t in enumerate(self.texts):
            t.move_to((text_right, ys[p], 0), aligned_edge=RIGHT)

        self.rows = [
            self.image_mobject(self.row_pixels(p, 0), cell).move_to((self.img_cx, ys[p], 0)) for p in range(n_prompts)
        ]
        col_xs = self.cells.centres(self.rows[0])
        head_bottom = ys[0] + row_h / 2 + 0.1
        self.seed_labels = VGroup()
        for x, lines in zip(col_xs, plan.heads, strict=True):
            label = centred_lines(self, lines, SMALL_SIZE, self.theme.muted)
            self.seed_labels.add(label.move_to((x, head_bottom + label.height / 2, 0)))
        if key is not None:
            self.seed_labels.add(key.move_to((0, ys[-1] - row_h / 2 - FRAME_ROOM - key.height / 2, 0)))
        self.head_y = head_bottom + lines_height(1, SMALL_SIZE) / 2

    def lay_out_variety(self) -> None:
        """Variety bars: one per row, scaled to the largest, with its number."""
        variety = [float(v) for v in self.arrays["variety"]]
        bar_left = self.img_cx + self.row_w / 2 + COL_GAP
        top_variety = max(max(variety), 1e-6)
        open_choices = self.info.get("variety_measure") == "choices left open"
        self.variety_head = self.text("choices open" if open_choices else "variety", LABEL_SIZE, self.theme.muted)
        self.variety_head.move_to((bar_left, self.head_y, 0), aligned_edge=LEFT)
        self.bars, self.numbers = VGroup(), VGroup()
        for p, v in enumerate(variety):
            w = max(self.bar_w * v / top_variety, 0.02)
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
            self.play_until(slot.at(0.1), Fade(self.seed_labels))
            for p in range(n_prompts):
                self.play_until(
                    slot.at(0.1 + 0.35 * (p + 1) / n_prompts),
                    Fade(self.texts[p], shift=RIGHT * 0.15),
                    Fade(self.rows[p]),
                )

            def show(i: int) -> None:
                for p in range(n_prompts):
                    self.set_image(self.rows[p], self.row_pixels(p, i + 1))

            self.step_through(slot.at(0.5), slot.at(0.95), self.previews.shape[2] - 1, show)

    def variety(self, slot: Slot) -> None:
        """2. How different each row's images are: the vague prompt varies most."""
        with self.beat(slot, "variety"):
            self.play_until(slot.at(0.15), Fade(self.variety_head))
            self.play_until(slot.at(0.45), *[GrowFromEdge(b, LEFT) for b in self.bars])
            self.play_until(slot.at(0.55), Fade(self.numbers))
            self.highlight_frame = self.highlight(0)
            self.play_until(slot.at(0.7), Fade(self.highlight_frame))

    def agree(self, slot: Slot) -> None:
        """3. The detailed prompt: the seeds agree."""
        with self.beat(slot, "agree"):
            self.play_until(slot.at(0.3), Transform(self.highlight_frame, self.highlight(self.n_prompts - 1)))
            others = [Restyle(b.set_opacity, 0.35) for b in self.bars[:-1]]
            self.play_until(slot.at(0.5), *others, Restyle(self.numbers[-1].set_color, self.theme.accent))
