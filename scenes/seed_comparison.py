"""seed_comparison: one prompt, several seeds; trajectories in sync to different images and paths.

Beats (slots): 0 title and prompt; 1 the starting noises (one per seed); 2 all seeds denoise in
sync (one composited grid per step) while their paths grow across the shared PCA plane;
3 the different results, paths diverged.
"""

from __future__ import annotations

import math

import numpy as np
from manim import DOWN, UP, Dot, FadeIn, VGroup, VMobject

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Slot, compose_grid, fit_points, hex_to_rgb
from scenes.widgets import labelled_plane, prompt_line

CELL_PX = 96
GAP_PX = 12
ROW_GAP_PX = 36  # room for the seed labels under each row


class SeedComparisonScene(ChapterScene):
    """One prompt from several seeds: a grid of images denoising in sync beside their latent paths."""

    def construct(self) -> None:
        self.previews, self.paths = self.arrays["previews"], self.arrays["paths"]
        self.seeds, self.steps = self.info["seeds"], int(self.info["steps"])
        self.n = len(self.seeds)
        s = self.slots(4)
        self.colours = [self.theme.series(k) for k in range(self.n)]

        self.prompt = prompt_line(self, self.info["prompt"])
        self.title_beat(s[0], hold=0.5, subtitle=self.prompt)
        self.lay_out_grid()
        self.lay_out_plane()
        self.starting_noise(s[1])
        self.denoise_in_sync(s[2])
        self.different_images(s[3])

    def grid_at(self, step: int) -> np.ndarray:
        """Every seed's image at `step`, composited into one grid picture."""
        images = [self.previews[k, step] for k in range(self.n)]
        background = hex_to_rgb(self.theme.background)
        return compose_grid(images, self.cols, CELL_PX, GAP_PX, background, row_gap_px=ROW_GAP_PX)

    def lay_out_grid(self) -> None:
        """The grid of seeds on the left (one composited image), a label under each seed's image."""
        left, right, bottom, _ = self.content_box()
        n = self.n
        self.cols = cols = min(n, 4 if n > 4 else n) if n <= 8 else math.ceil(n / 3)
        rows = math.ceil(n / cols)
        self.area_top = self.prompt.get_bottom()[1] - 0.2
        label_h = 0.3
        grid_w_max = (right - left) * 0.55
        cell = min(
            grid_w_max / (cols + (cols - 1) * GAP_PX / CELL_PX),
            (self.area_top - bottom - 2 * label_h) / (rows + (rows - 1) * ROW_GAP_PX / CELL_PX),
        )
        first = self.grid_at(0)
        self.grid = grid = self.image_mobject(first, cell * first.shape[0] / CELL_PX)
        grid.move_to((left + grid.width / 2 + 0.1, self.area_top - grid.height / 2, 0))
        unit = grid.height / first.shape[0]  # frame units per grid pixel
        self.labels = VGroup()
        for k, seed in enumerate(self.seeds):
            r, c = divmod(k, cols)
            x = grid.get_left()[0] + (c * (CELL_PX + GAP_PX) + CELL_PX / 2) * unit
            y = grid.get_top()[1] - (r * (CELL_PX + ROW_GAP_PX) + CELL_PX) * unit
            lab = self.text(f"seed {seed}", SMALL_SIZE, self.colours[k])
            self.fit_width(lab, CELL_PX * unit)
            self.labels.add(lab.move_to((x, y - 0.04 - lab.height / 2, 0)))

    def lay_out_plane(self) -> None:
        """The plane of the seeds' paths, right of the grid."""
        _, right, bottom, _ = self.content_box()
        plane_left = self.grid.get_right()[0] + 0.6
        height = min(self.area_top - bottom - 0.4, right - plane_left)
        self.plane, self.plane_label, box = labelled_plane(
            self,
            right - plane_left,
            height,
            ((plane_left + right) / 2, self.area_top - height / 2),
            "paths in the shared PCA plane",
            caption_buff=0.12,
        )
        self.points = fit_points(self.paths, box, pad=0.08)  # [n, steps+1, 3]

    def starting_noise(self, slot: Slot) -> None:
        """1. Different seeds, different starting noise."""
        with self.beat(slot, "noise"):
            starts = VGroup(*[Dot(self.points[k, 0], radius=0.06, color=self.colours[k]) for k in range(self.n)])
            self.play_until(slot.at(0.4), FadeIn(self.grid), FadeIn(self.labels))
            self.play_until(slot.at(0.8), FadeIn(self.plane), FadeIn(self.plane_label), FadeIn(starts))

    def denoise_in_sync(self, slot: Slot) -> None:
        """2. Denoising in sync; the paths grow."""
        n, points = self.n, self.points
        with self.beat(slot, "steps"):
            trails = [VMobject(stroke_color=self.colours[k], stroke_width=2.5) for k in range(n)]
            heads = [Dot(points[k, 0], radius=0.07, color=self.colours[k]) for k in range(n)]
            for k in range(n):
                trails[k].set_points_as_corners([points[k, 0], points[k, 0]])
            self.add(*trails, *heads)

            def show(i: int) -> None:
                self.set_image(self.grid, self.grid_at(i + 1))
                for k in range(n):
                    trails[k].set_points_as_corners(points[k, : i + 2])
                    heads[k].move_to(points[k, i + 1])

            self.step_through(slot.start, slot.at(0.92), self.steps, show)

    def different_images(self, slot: Slot) -> None:
        """3. Same prompt, different images."""
        _, _, bottom, _ = self.content_box()
        with self.beat(slot, "result"):
            note = self.text("same prompt, different seeds → different images", LABEL_SIZE, self.theme.text)
            self.fit_width(note, self.grid.width + 0.5)
            note.next_to(self.labels, DOWN, buff=0.2).align_to(self.grid, UP * 0)
            note.set_x(self.grid.get_center()[0])
            if note.get_bottom()[1] < bottom:
                note.set_y(bottom + note.height / 2)
            self.play_until(slot.at(0.4), FadeIn(note, shift=UP * 0.2))
