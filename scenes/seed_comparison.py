"""seed_comparison: one prompt, several seeds; trajectories in sync to different images and paths.

Beats (slots): 0 title and prompt; 1 the starting noises (one per seed); 2 all seeds denoise in
sync (one composited grid per step) while their paths grow across the shared PCA plane;
3 the different results, paths diverged.
"""

from __future__ import annotations

import math

from manim import DOWN, UP, Dot, FadeIn, Rectangle, VGroup, VMobject

from scenes.common import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, ChapterScene, compose_grid, fit_points, hex_to_rgb

CELL_PX = 96
GAP_PX = 12
ROW_GAP_PX = 36  # room for the seed labels under each row


class SeedComparisonScene(ChapterScene):
    def construct(self) -> None:
        info, previews, paths = self.info, self.arrays["previews"], self.arrays["paths"]
        seeds, steps = info["seeds"], int(info["steps"])
        n = len(seeds)
        s = self.slots(4)
        left, right, bottom, top = self.content_box()
        bg = hex_to_rgb(self.theme.background)
        colours = [self.theme.palette[k % len(self.theme.palette)] for k in range(n)]

        # 0. Title and prompt
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.5)
            prompt = self.text(f"“{info['prompt']}”", BODY_SIZE, self.theme.accent)
            self.fit_width(prompt, right - left)
            prompt.move_to((0, top - prompt.height / 2, 0))
            self.play_until(s[0].at(1.0), FadeIn(prompt, shift=DOWN * 0.2))

        # Layout: grid of seeds on the left (one composited image), path plane on the right.
        cols = min(n, 4 if n > 4 else n) if n <= 8 else math.ceil(n / 3)
        rows = math.ceil(n / cols)
        area_top = prompt.get_bottom()[1] - 0.2
        label_h = 0.3
        grid_w_max = (right - left) * 0.55
        cell = min(
            grid_w_max / (cols + (cols - 1) * GAP_PX / CELL_PX),
            (area_top - bottom - 2 * label_h) / (rows + (rows - 1) * ROW_GAP_PX / CELL_PX),
        )

        def grid_at(step: int):
            return compose_grid([previews[k, step] for k in range(n)], cols, CELL_PX, GAP_PX, bg, row_gap_px=ROW_GAP_PX)

        first = grid_at(0)
        grid_h = cell * first.shape[0] / CELL_PX
        grid = self.image_mobject(first, grid_h)
        grid.move_to((left + grid.width / 2 + 0.1, area_top - grid.height / 2, 0))
        unit = grid.height / first.shape[0]  # frame units per grid pixel
        labels = VGroup()
        for k, seed in enumerate(seeds):
            r, c = divmod(k, cols)
            x = grid.get_left()[0] + (c * (CELL_PX + GAP_PX) + CELL_PX / 2) * unit
            y = grid.get_top()[1] - (r * (CELL_PX + ROW_GAP_PX) + CELL_PX) * unit
            lab = self.text(f"seed {seed}", SMALL_SIZE, colours[k])
            self.fit_width(lab, CELL_PX * unit)
            labels.add(lab.move_to((x, y - 0.04 - lab.height / 2, 0)))

        plane_left = grid.get_right()[0] + 0.6
        plane = Rectangle(
            width=right - plane_left,
            height=min(area_top - bottom - 0.4, right - plane_left),
            stroke_width=1.2,
            color=self.theme.muted,
        )
        plane.move_to(((plane_left + right) / 2, area_top - plane.height / 2, 0))
        plane_label = self.text("paths in the shared PCA plane", LABEL_SIZE, self.theme.muted)
        self.fit_width(plane_label, plane.width)
        plane_label.next_to(plane, DOWN, buff=0.12)
        box = (plane.get_left()[0], plane.get_right()[0], plane.get_bottom()[1], plane.get_top()[1])
        points = fit_points(paths, box, pad=0.08)  # [n, steps+1, 3]

        # 1. Different seeds, different starting noise
        with self.beat(s[1], "noise"):
            starts = VGroup(*[Dot(points[k, 0], radius=0.06, color=colours[k]) for k in range(n)])
            self.play_until(s[1].at(0.4), FadeIn(grid), FadeIn(labels))
            self.play_until(s[1].at(0.8), FadeIn(plane), FadeIn(plane_label), FadeIn(starts))

        # 2. Denoising in sync; the paths grow
        with self.beat(s[2], "steps"):
            trails = [VMobject(stroke_color=colours[k], stroke_width=2.5) for k in range(n)]
            heads = [Dot(points[k, 0], radius=0.07, color=colours[k]) for k in range(n)]
            for k in range(n):
                trails[k].set_points_as_corners([points[k, 0], points[k, 0]])
            self.add(*trails, *heads)

            def show(i: int) -> None:
                self.set_image(grid, grid_at(i + 1))
                for k in range(n):
                    trails[k].set_points_as_corners(points[k, : i + 2])
                    heads[k].move_to(points[k, i + 1])

            self.step_through(s[2].start, s[2].at(0.92), steps, show)

        # 3. Same prompt, different images
        with self.beat(s[3], "result"):
            note = self.text("same prompt, different seeds → different images", LABEL_SIZE, self.theme.text)
            self.fit_width(note, grid.width + 0.5)
            note.next_to(labels, DOWN, buff=0.2).align_to(grid, UP * 0)
            note.set_x(grid.get_center()[0])
            if note.get_bottom()[1] < bottom:
                note.set_y(bottom + note.height / 2)
            self.play_until(s[3].at(0.4), FadeIn(note, shift=UP * 0.2))
