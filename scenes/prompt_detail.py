"""prompt_detail: prompts from vague to detailed, each sampled with the same seeds, one row per prompt.

Beats (slots): 0 title; 1 the rows appear (prompt on the left, one image per seed) and all of them
grow out of their noise together; 2 the variety of each row (mean pairwise distance of its
images) as a bar, the vague top row highlighted; 3 the detailed bottom row highlighted: its images
agree.

Each row is one composited image, so a denoising step swaps one pixel array per row.
"""

from __future__ import annotations

import math

from manim import LEFT, RIGHT, FadeIn, Group, GrowFromEdge, Rectangle, Text, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, compose_grid, hex_to_rgb, pixels_for


def wrapped_text(
    scene: ChapterScene,
    s: str,
    size: float,
    max_width: float,
    max_height: float | None = None,
    color: str | None = None,
    max_lines: int = 3,
) -> Text:
    """`scene.text(s)` broken at spaces into as few lines as fit `max_width`, shrunk if still too big."""
    mob = scene.text(s, size, color)
    if mob.width > max_width:
        lines_needed = min(max_lines, math.ceil(mob.width / max_width))
        per_line = max(1, math.ceil(len(s) / lines_needed))
        lines, line = [], ""
        for word in s.split():
            if line and len(line) + 1 + len(word) > per_line and len(lines) < lines_needed - 1:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        mob = scene.text("\n".join(lines), size, color)
    scene.fit_width(mob, max_width)
    if max_height is not None and mob.height > max_height:
        mob.scale_to_fit_height(max_height)
    return mob


class PromptDetailScene(ChapterScene):
    def construct(self) -> None:
        info, previews = self.info, self.arrays["previews"]
        prompts, seeds = list(info["prompts"]), list(info["seeds"])
        variety = [float(v) for v in self.arrays["variety"]]
        n_prompts, n_seeds, n_previews = previews.shape[0], previews.shape[1], previews.shape[2]
        s = self.slots(4)
        left, right, bottom, top = self.content_box()
        background = hex_to_rgb(self.theme.background)

        # Layout: prompt column | image rows | variety column, centred as a block; seed labels on top.
        max_text_w, bar_w, number_w, col_gap = 4.4, 1.7, 0.6, 0.35
        gap, row_gap = 0.12, 0.2
        head_h = 0.4
        cell = min(
            1.7,
            (top - head_h - bottom - row_gap * (n_prompts - 1)) / n_prompts,
            (right - left - max_text_w - bar_w - number_w - 2 * col_gap - gap * (n_seeds - 1)) / n_seeds,
        )
        cell_px, gap_px = pixels_for(cell), pixels_for(gap)
        texts = [wrapped_text(self, f"“{prompt}”", LABEL_SIZE, max_text_w, cell) for prompt in prompts]
        text_w = max(t.width for t in texts)
        row_w = n_seeds * cell + (n_seeds - 1) * gap
        block_w = text_w + col_gap + row_w + col_gap + bar_w + number_w
        text_right = (left + right) / 2 - block_w / 2 + text_w
        img_cx = text_right + col_gap + row_w / 2
        block_h = head_h + n_prompts * cell + (n_prompts - 1) * row_gap
        first_y = (top + bottom) / 2 + block_h / 2 - head_h - cell / 2
        ys = [first_y - p * (cell + row_gap) for p in range(n_prompts)]
        for p, t in enumerate(texts):
            t.move_to((text_right, ys[p], 0), aligned_edge=RIGHT)

        def row_pixels(p: int, step: int):
            return compose_grid(
                [previews[p, k, step] for k in range(n_seeds)],
                cols=n_seeds,
                cell_px=cell_px,
                gap_px=gap_px,
                background=background,
            )

        rows = [self.image_mobject(row_pixels(p, 0), cell).move_to((img_cx, ys[p], 0)) for p in range(n_prompts)]
        unit = rows[0].width / rows[0].pixel_array.shape[1]
        col_xs = [rows[0].get_left()[0] + (k * (cell_px + gap_px) + cell_px / 2) * unit for k in range(n_seeds)]
        seed_labels = VGroup(
            *[
                self.fit_width(self.text(f"seed {seed}", SMALL_SIZE, self.theme.muted), cell * 0.92).move_to(
                    (col_xs[k], ys[0] + cell / 2 + head_h / 2, 0)
                )
                for k, seed in enumerate(seeds)
            ]
        )

        # Variety bars: one per row, scaled to the largest.
        bar_left = img_cx + row_w / 2 + col_gap
        top_variety = max(max(variety), 1e-6)
        variety_head = self.text("variety", LABEL_SIZE, self.theme.muted)
        variety_head.move_to((bar_left, seed_labels.get_center()[1], 0), aligned_edge=LEFT)
        bars, numbers = VGroup(), VGroup()
        for p, v in enumerate(variety):
            w = max(bar_w * v / top_variety, 0.02)
            bar = Rectangle(
                width=w, height=min(0.3, cell * 0.4), stroke_width=0, fill_color=self.theme.accent, fill_opacity=0.9
            )
            bars.add(bar.move_to((bar_left, ys[p], 0), aligned_edge=LEFT))
            numbers.add(self.text(f"{v:.2f}", SMALL_SIZE).next_to(bar, RIGHT, buff=0.1))

        def highlight(p: int):
            return self.framed(Group(texts[p], rows[p]), color=self.theme.accent, buff=0.1)

        # 0. Title
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.6)

        # 1. One row per prompt, one column per seed; all grow out of their noise together
        with self.beat(s[1], "grid"):
            self.play_until(s[1].at(0.1), FadeIn(seed_labels))
            for p in range(n_prompts):
                self.play_until(
                    s[1].at(0.1 + 0.35 * (p + 1) / n_prompts), FadeIn(texts[p], shift=RIGHT * 0.15), FadeIn(rows[p])
                )

            def show(i: int) -> None:
                for p in range(n_prompts):
                    self.set_image(rows[p], row_pixels(p, i + 1))

            self.step_through(s[1].at(0.5), s[1].at(0.95), n_previews - 1, show)

        # 2. How different each row's images are: the vague prompt varies most
        with self.beat(s[2], "variety"):
            self.play_until(s[2].at(0.15), FadeIn(variety_head))
            self.play_until(s[2].at(0.45), *[GrowFromEdge(b, LEFT) for b in bars])
            self.play_until(s[2].at(0.55), FadeIn(numbers))
            frame = highlight(0)
            self.play_until(s[2].at(0.7), FadeIn(frame))

        # 3. The detailed prompt: the seeds agree
        with self.beat(s[3], "agree"):
            self.play_until(s[3].at(0.3), frame.animate.become(highlight(n_prompts - 1)))
            others = [b.animate.set_opacity(0.35) for b in bars[:-1]]
            self.play_until(s[3].at(0.5), *others, numbers[-1].animate.set_color(self.theme.accent))
