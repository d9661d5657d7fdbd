"""seed_comparison: one prompt, several seeds; trajectories in sync to different images and paths.

Beats (slots): 0 title and prompt; 1 the starting noises (one per seed); 2 all seeds denoise in
sync (one composited grid per step) while their paths grow across the shared PCA plane;
3 the different results, paths diverged; 4 the first seed run again beside its first run: the
same image (or, if the bytes differ, that they do).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Dot, Group, VGroup, VMobject

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Fade, Slot, char_width, pixels_for, units_for
from scenes.widgets import (
    DIGIT_WIDTH,
    best_grid,
    centred_lines,
    compose_grid,
    fit_points,
    hex_to_rgb,
    labelled_plane,
    lines_height,
    number_lines,
    prompt_line,
)

GAP = 0.14  # between the grid's images
PLANE_SHARE = 0.33  # of the content width, for the paths' plane


class SeedComparisonScene(ChapterScene):
    """One prompt from several seeds: a grid of images denoising in sync beside their latent paths."""

    def construct(self) -> None:
        self.previews, self.paths = self.arrays["previews"], self.arrays["paths"]
        self.seeds, self.steps = self.info["seeds"], int(self.info["steps"])
        self.n = len(self.seeds)
        s = self.slots(5)
        self.colours = [self.theme.series(k) for k in range(self.n)]

        self.prompt = prompt_line(self, self.info["prompt"])
        self.lay_out_grid()
        self.lay_out_plane()
        self.title_beat(s[0], subtitle=self.prompt)
        self.starting_noise(s[1])
        self.denoise_in_sync(s[2])
        self.different_images(s[3])
        self.same_seed_again(s[4])

    def row_at(self, row: int, step: int) -> np.ndarray:
        """The images of one row of seeds at `step`, composited into one picture at its on-screen size."""
        cols = self.fit.cols
        images = [self.previews[k, step] for k in range(row * cols, min((row + 1) * cols, self.n))]
        return compose_grid(images, len(images), self.cell_px, self.gap_px, hex_to_rgb(self.theme.background))

    def show_grid(self, step: int) -> None:
        """Every seed's image at `step`."""
        for r, row in enumerate(self.rows):
            self.set_image(row, self.row_at(r, step))

    def lay_out_grid(self) -> None:
        """The seeds in rows on the left (a composited picture per row), a label under each image (its
        number wrapped into lines as narrow as the image where it is wider), a note under all."""
        box = self.content_box().below(self.prompt.get_bottom()[1], gap=0.3)
        self.note = self.text("same prompt, different seeds → different images", LABEL_SIZE)
        area_w = box.width * (1 - PLANE_SHARE) - 0.6

        def wrapped_at(column: float) -> list[list[str]]:  # every label, in lines as wide as a column
            return [number_lines("seed", seed, SMALL_SIZE, column - 0.12) for seed in self.seeds]

        def label_room(column: float) -> float:  # under a cell: its label
            return lines_height(max(len(lines) for lines in wrapped_at(column)), SMALL_SIZE) + 0.12

        fit = best_grid(self.n, area_w, box.height - self.note.height - 0.25, gap=GAP, extra=label_room)
        wrapped = wrapped_at((area_w - (fit.cols - 1) * GAP) / fit.cols)
        # cells further apart than GAP where their labels are wider than they are
        per_char = char_width(SMALL_SIZE) * DIGIT_WIDTH
        widest = max(len(line) * per_char for lines in wrapped for line in lines)
        gap = max(GAP, min(widest + 0.12 - fit.cell_w, (area_w - fit.cols * fit.cell_w) / max(fit.cols - 1, 1)))
        label_h = fit.extra
        self.fit = fit
        self.cell_px, self.gap_px = pixels_for(fit.cell_w), pixels_for(gap)
        unit = units_for(1)  # frame units per pixel: the rows are drawn at their on-screen size
        grid_w = fit.cols * fit.cell_w + (fit.cols - 1) * gap
        top, left = box.top, box.left + (area_w - grid_w) / 2
        self.rows = Group()
        for r in range(fit.rows):
            first = self.row_at(r, 0)
            row = self.image_mobject(first, first.shape[0] * unit)
            self.rows.add(row.move_to((left, top - row.height / 2, 0), aligned_edge=LEFT))
            top -= row.height + label_h + GAP
        self.labels = VGroup()
        for k, words in enumerate(wrapped):
            r, c = divmod(k, fit.cols)
            row = self.rows[r]
            x = row.get_left()[0] + (c * (self.cell_px + self.gap_px) + self.cell_px / 2) * unit
            label = centred_lines(self, words, SMALL_SIZE, self.colours[k])
            self.labels.add(label.move_to((x, row.get_bottom()[1] - 0.08 - label.height / 2, 0)))
        self.fit_width(self.note, area_w)
        self.note.next_to(self.labels, DOWN, buff=0.2).set_x(box.left + area_w / 2)
        self.area_box = box
        self.grid_right = box.left + area_w

    def lay_out_plane(self) -> None:
        """The plane of the seeds' paths, right of the grid, as tall as the area."""
        area = self.area_box.right_of(self.grid_right, gap=0.6)
        self.plane, self.plane_label, plane_box = labelled_plane(self, area, "the seeds' paths (PCA)")
        self.points = fit_points(self.paths, plane_box, pad=0.08)  # [n, steps+1, 3]

    def starting_noise(self, slot: Slot) -> None:
        """1. Different seeds, different starting noise."""
        with self.beat(slot, "noise"):
            starts = VGroup(*[Dot(self.points[k, 0], radius=0.07, color=self.colours[k]) for k in range(self.n)])
            self.starts = starts
            self.play_until(slot.at(0.4), Fade(self.rows), Fade(self.labels))
            self.play_until(slot.at(0.8), Fade(self.plane), Fade(self.plane_label), Fade(starts))

    def denoise_in_sync(self, slot: Slot) -> None:
        """2. Denoising in sync; the paths grow."""
        n, points = self.n, self.points
        with self.beat(slot, "steps"):
            trails = [VMobject(stroke_color=self.colours[k], stroke_width=3) for k in range(n)]
            heads = [Dot(points[k, 0], radius=0.08, color=self.colours[k]) for k in range(n)]
            for k in range(n):
                trails[k].set_points_as_corners([points[k, 0], points[k, 0]])
            self.add(*trails, *heads)
            self.trails_and_heads = [*trails, *heads]

            def show(i: int) -> None:
                self.show_grid(i + 1)
                for k in range(n):
                    trails[k].set_points_as_corners(points[k, : i + 2])
                    heads[k].move_to(points[k, i + 1])

            self.step_through(slot.start, slot.at(0.92), self.steps, show)

    def different_images(self, slot: Slot) -> None:
        """3. Same prompt, different images."""
        with self.beat(slot, "result"):
            self.play_until(slot.at(0.4), Fade(self.note, shift=UP * 0.2))

    def same_seed_again(self, slot: Slot) -> None:
        """4. The first seed again: the same image, side by side with the first run."""
        seed, identical = self.seeds[0], bool(self.info.get("again_identical"))
        area = self.area_box.right_of(self.grid_right, gap=0.6)
        verdict = self.text("identical, pixel for pixel" if identical else "not identical", LABEL_SIZE,
                            self.theme.text if identical else self.theme.accent)  # fmt: skip
        self.fit_width(verdict, area.width)
        lines = 1
        for _ in range(4):  # as in the grid: the names' lines and the images' size decide each other
            label_h = lines_height(lines, SMALL_SIZE) + 0.1
            side = min((area.width - GAP) / 2, area.height - label_h - verdict.height - 0.4)
            words = [
                number_lines("seed", seed, SMALL_SIZE, side),
                number_lines("seed", seed, SMALL_SIZE, side, ", again"),
            ]
            if max(len(w) for w in words) <= lines:
                break
            lines = max(len(w) for w in words)
        pair = Group(
            self.image_mobject(self.arrays["images"][0], side), self.image_mobject(self.arrays["again"], side)
        ).arrange(RIGHT, buff=GAP)
        names = VGroup(
            centred_lines(self, words[0], SMALL_SIZE, self.colours[0]), centred_lines(self, words[1], SMALL_SIZE)
        )
        Group(pair, verdict).move_to(area.centre).shift(DOWN * label_h / 2)
        for name, image in zip(names, pair, strict=True):
            name.next_to(image, UP, buff=0.1)
        verdict.next_to(pair, DOWN, buff=0.25)
        on_plane = [self.plane, self.plane_label, self.starts, *self.trails_and_heads]
        with self.beat(slot, "again"):
            self.play_until(slot.at(0.2), *self.fade_out(*on_plane))
            self.play_until(slot.at(0.45), Fade(pair), Fade(names))
            self.play_until(slot.at(0.65), Fade(verdict, shift=UP * 0.2))
