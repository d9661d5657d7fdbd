"""noise_sampling: random images flicker at the video's frame rate; how many images exist at this size.

Beats (slots): 0 title; 1 a random image per frame, with its size in numbers; 2 the count 10^N;
3 the nesting of universes made of atoms (N / 80 levels).
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, ImageMobject, Square, VGroup

from scenes.common import BODY_SIZE, HEADING_SIZE, LABEL_SIZE, TITLE_SIZE, ChapterScene, Slot


class NoiseSamplingScene(ChapterScene):
    """How many images of this size exist: random ones flicker by, then the count and its scale."""

    def construct(self) -> None:
        self.samples = self.arrays["samples"]
        s = self.slots(4)
        self.title_beat(s[0], hold=0.6)
        self.flicker(s[1])
        self.count_images(s[2])
        self.nested_universes(s[3])

    def flicker(self, slot: Slot) -> None:
        """1. A different random image every frame, and its size in numbers beside it."""
        info = self.info
        left, right, bottom, top = self.content_box()
        with self.beat(slot, "flicker"):
            side = min(top - bottom - 0.6, 4.2)
            image = self.image_mobject(self.samples[0], side, smooth=False)
            image.move_to((left + side / 2 + 0.2, (top + bottom) / 2 + 0.15, 0))
            caption = self.text(
                f"{info['width']} × {info['height']} pixels, random colours", LABEL_SIZE, self.theme.muted
            )
            caption.next_to(image, DOWN, buff=0.2)

            def next_sample(mob: ImageMobject, dt: float) -> None:
                frame = round(self.now * self.fps)
                self.set_image(mob, self.samples[frame % len(self.samples)], smooth=False)

            image.add_updater(next_sample)
            self.play_until(slot.at(0.15), FadeIn(image), FadeIn(caption))

            self.col_left = image.get_right()[0] + 0.7
            lines = [
                self.text(f"{info['width']} × {info['height']} pixels × 3 colours", BODY_SIZE),
                self.text(f"= {info['values_per_image']:,} numbers", BODY_SIZE),
                self.text("each one of 256 levels", BODY_SIZE, self.theme.muted),
            ]
            self.column = VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
            self.fit_width(self.column, right - self.col_left)
            self.column.move_to((self.col_left, image.get_center()[1] + 0.8, 0), aligned_edge=LEFT)
            for k, line in enumerate(lines):
                self.play_until(slot.at(0.3 + 0.2 * (k + 1)), FadeIn(line, shift=RIGHT * 0.2))

    def count_images(self, slot: Slot) -> None:
        """2. How many images exist: 256^(values) = 10^N."""
        info = self.info
        _, right, bottom, _ = self.content_box()
        with self.beat(slot, "count"):
            power = self.markup(f"256<sup>{info['values_per_image']:,}</sup> images", HEADING_SIZE)
            equals = self.markup(f"≈ 10<sup>{info['exponent']:,.1f}</sup>", TITLE_SIZE, self.theme.accent, bold=True)
            digits = self.text(f"a number with {info['digits']:,} digits", BODY_SIZE, self.theme.muted)
            self.count = VGroup(power, equals, digits).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
            self.fit_width(self.count, right - self.col_left)
            self.count.next_to(self.column, DOWN, buff=0.5, aligned_edge=LEFT)
            if self.count.get_bottom()[1] < bottom:  # no room under the column: move both up
                self.count.shift(UP * (bottom - self.count.get_bottom()[1]))
                column_shift = self.count.get_top()[1] + 0.4 - self.column.get_bottom()[1]
                self.play_until(slot.at(0.1), self.column.animate.shift(UP * max(column_shift, 0)))
            self.play_until(slot.at(0.35), FadeIn(power, shift=UP * 0.2))
            self.play_until(slot.at(0.6), FadeIn(equals, shift=UP * 0.2))
            self.play_until(slot.at(0.8), FadeIn(digits))

    def nested_universes(self, slot: Slot) -> None:
        """3. Universes of atoms, nested N/80 times."""
        info = self.info
        _, right, bottom, top = self.content_box()
        with self.beat(slot, "universes"):
            self.play_until(slot.at(0.15), self.column.animate.set_opacity(0.0), self.count.animate.set_opacity(0.0))
            self.remove(self.column, self.count)
            levels = info["nesting_levels"]
            atoms = self.markup(f"atoms in the universe ≈ 10<sup>{info['atoms_exponent']}</sup>", BODY_SIZE)
            nest = self.text(f"{info['exponent']:,.0f} ÷ {info['atoms_exponent']} ≈ {levels:,.0f}", BODY_SIZE)
            meaning = self.text(
                f"universes made of universes,\n{levels:,.0f} levels deep,\nstill fall short",
                BODY_SIZE,
                self.theme.accent,
            )
            text_col = VGroup(atoms, nest, meaning).arrange(DOWN, aligned_edge=LEFT, buff=0.35)
            box_side = min(top - bottom - 0.4, 3.6)
            self.fit_width(text_col, right - self.col_left - box_side - 0.5)
            text_col.move_to((self.col_left, (top + bottom) / 2, 0), aligned_edge=LEFT)

            shown = int(min(max(levels, 1), 9))
            squares = VGroup(
                *[Square(box_side * (0.78**k), stroke_width=2, color=self.theme.series(k)) for k in range(shown)]
            )
            squares.move_to((right - box_side / 2, (top + bottom) / 2, 0))
            self.play_until(slot.at(0.35), FadeIn(atoms, shift=RIGHT * 0.2), FadeIn(squares[0]))
            for k in range(1, shown):
                self.play_until(slot.at(0.35 + 0.35 * k / shown), FadeIn(squares[k], scale=1.3))
            self.play_until(slot.at(0.75), FadeIn(nest))
            self.play_until(slot.at(0.9), FadeIn(meaning))
