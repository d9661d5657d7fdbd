"""noise_sampling: an image is numbers; random numbers are noise; how many images there are, as pages.

Beats (slots): 0 title; 1 a large random image, a few of its pixels magnified into their red, green
and blue numbers, then a new random image every frame; 2 how many images exist (256^values, about
10^N: a 1 followed by N zeros) while the number is written out page by page; 3 the scale: the
number of atoms in the observable universe would fill one line of one page; with a target prompt,
then a random image beside the model's picture of the target: what random numbers never give.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, Create, Group, GrowFromEdge, Line, Mobject, Square, VGroup

from scenes.common import (
    BODY_SIZE,
    HEADING_SIZE,
    LABEL_SIZE,
    TITLE_SIZE,
    ChapterScene,
    Fade,
    Slot,
    pixels_for,
    units_for,
)
from scenes.widgets import bar, best_grid, hex_to_rgb, wrapped_text

BLOCK = 6  # pixels on a side of the magnified block
PAGE_ASPECT = 0.72  # width / height of a page
MAX_PAGES_DRAWN = 400
WIDE = 2.0  # an image at least this many times wider than tall goes across the top of the frame


def mix(a: str, b: str, t: float) -> np.ndarray:
    """The colour t of the way from hex colour a to b, as uint8 RGB."""
    ca, cb = np.array(hex_to_rgb(a), float), np.array(hex_to_rgb(b), float)
    return np.round(ca + (cb - ca) * t).astype(np.uint8)


class NoiseSamplingScene(ChapterScene):
    """An image as numbers, random numbers as noise, and how many images there are, written out as pages."""

    def construct(self) -> None:
        self.samples = self.arrays["samples"]
        s = self.slots(4)
        self.lay_out_pixels()
        self.lay_out_count()
        self.lay_out_pages()

        self.title_beat(s[0])
        self.pixels(s[1])
        self.count(s[2])
        self.scale(s[3])

    # ---- layout ---------------------------------------------------------------------------------

    def lay_out_pixels(self) -> None:
        """A large image and a magnified block of its pixels with one pixel's numbers and the statements:
        side by side, or for an image much wider than tall, the image across the top and the rest under it."""
        box, info = self.content_box(), self.info
        self.caption = self.text(f"{info['width']} × {info['height']} pixels", LABEL_SIZE, self.theme.muted)
        h, w = self.samples.shape[1:3]
        wide = w >= WIDE * h
        if wide:  # as wide as the box allows, at most 60% of its height
            side = min(box.height * 0.6, box.width * h / w)
        else:  # an image wider than tall keeps to the left half (the block and the numbers take the right)
            side = min(box.height - self.caption.height - 0.2, box.width * 0.45 * h / w)
        self.image = self.image_mobject(self.samples[0], side, smooth=False)
        self.image.move_to((box.left + self.image.width / 2, box.top - side / 2, 0))
        self.caption.next_to(self.image, DOWN, buff=0.2)
        if wide and box.right - self.image.get_right()[0] >= self.caption.width + 0.3:  # beside it, if it fits
            self.caption.next_to(self.image, RIGHT, buff=0.3).align_to(self.image, DOWN)
        elif wide:
            self.caption.align_to(self.image, RIGHT)
        else:
            self.caption.set_x(max(self.caption.get_x(), box.left + self.caption.width / 2))  # under a narrow image

        # The block: where it is on the image, and magnified at the top of the right column.
        self.r0, self.c0 = int(h * 0.3), int(w * 0.55)
        unit = self.image.width / w
        self.marker = Square(BLOCK * unit, stroke_width=4, color=self.theme.accent)
        self.marker.move_to(
            self.image.get_corner(UP + LEFT)
            + np.array([(self.c0 + BLOCK / 2) * unit, -(self.r0 + BLOCK / 2) * unit, 0])
        )
        r, g, b = (int(v) for v in self.samples[0, self.r0, self.c0])
        names = [
            ("red", r, self.theme.series(1)),
            ("green", g, self.theme.series(2)),
            ("blue", b, self.theme.series(0)),
        ]
        self.numbers = VGroup(self.text("one pixel:", LABEL_SIZE, self.theme.muted))
        self.numbers.add(*[self.text(f"{name} {value}", BODY_SIZE, colour) for name, value, colour in names])
        self.numbers.arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        self.statements = VGroup(
            self.text(
                f"{info['width']} × {info['height']} pixels × 3 = {info['values_per_image']:,} numbers", BODY_SIZE
            ),
            self.text("each a whole number from 0 to 255", LABEL_SIZE, self.theme.muted),
            self.text("every number drawn at random: noise", BODY_SIZE, self.theme.accent),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        if wide:
            # Under the image: the block on the left, its numbers, then the statements.
            below = box.below(min(self.image.get_bottom()[1], self.caption.get_bottom()[1]), gap=0.3)
            zoom_side = below.height
            self.zoom = self.image_mobject(self.block(0), zoom_side, smooth=False)
            self.zoom.move_to((box.left + zoom_side / 2, below.top - zoom_side / 2, 0))
            self.numbers.next_to(self.zoom, RIGHT, buff=0.45).align_to(self.zoom, UP)
            self.fit_width(self.statements, box.right_of(self.numbers.get_right()[0], gap=0.8).width)
            self.statements.next_to(self.numbers, RIGHT, buff=0.8).align_to(self.zoom, UP)
            corners = [(DOWN + LEFT, UP + LEFT), (DOWN + RIGHT, UP + RIGHT)]
        else:
            # The right column: the block magnified, one pixel's numbers beside it, the statements under it.
            # (A wide image is short, a narrow one leaves room: the block is as large as a square image's,
            # or larger beside a narrow one.)
            right_col = box.right_of(self.image.get_right()[0], gap=1.0)
            self.fit_width(self.statements, right_col.width)
            share = 0.5 if self.image.width >= side else 0.6 if self.image.width >= side / 2 else 0.7
            zoom_side = min(max(side, box.height * 0.6) * share, box.height - 0.6 - self.statements.height)
            # beside a narrow image the column has room to spare: it sits in the middle of what is left
            column_w = max(zoom_side + 0.45 + self.numbers.width, self.statements.width)
            zoom_left = right_col.left + max(0.0, (right_col.width - column_w) / 2)
            self.zoom = self.image_mobject(self.block(0), zoom_side, smooth=False)
            self.zoom.move_to((zoom_left + zoom_side / 2, self.image.get_top()[1] - zoom_side / 2, 0))
            self.numbers.next_to(self.zoom, RIGHT, buff=0.45).align_to(self.zoom, UP)
            self.statements.next_to(self.zoom, DOWN, buff=0.55).align_to(self.zoom, LEFT)
            corners = [(UP + RIGHT, UP + LEFT), (DOWN + RIGHT, DOWN + LEFT)]
        self.zoom_frame = Square(zoom_side, stroke_width=3, color=self.theme.accent).move_to(self.zoom)
        self.rays = VGroup(
            *(Line(self.marker.get_corner(start), self.zoom.get_corner(end)) for start, end in corners)
        ).set_stroke(self.theme.accent, 1.5, opacity=0.7)
        cell = zoom_side / BLOCK
        self.pixel_frame = Square(cell, stroke_width=3, color=self.theme.text)
        self.pixel_frame.move_to(self.zoom.get_corner(UP + LEFT) + np.array([cell / 2, -cell / 2, 0]))

    def block(self, k: int) -> np.ndarray:
        """The magnified pixels of sample k."""
        return self.samples[k, self.r0 : self.r0 + BLOCK, self.c0 : self.c0 + BLOCK]

    def lay_out_count(self) -> None:
        """How many images: the power, about 10^N, the zeros; in a column on the left."""
        box, info = self.content_box(), self.info
        width = box.width * 0.46
        self.count_col = VGroup(
            self.markup(f"256<sup>{info['values_per_image']:,}</sup> possible images", HEADING_SIZE),
            self.markup(f"≈ 10<sup>{info['power']:,}</sup>", TITLE_SIZE, self.theme.accent, bold=True),
            wrapped_text(self, f"a 1 followed by {info['power']:,} zeros", BODY_SIZE, width),
            wrapped_text(self, f"{info['digits_words']} digits", LABEL_SIZE, width, color=self.theme.muted),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        self.count_col[1].shift(DOWN * 0.1)
        self.count_col.move_to((box.left, box.top - self.count_col.height / 2, 0), aligned_edge=LEFT)

        colour = self.theme.series(0)
        self.atoms = VGroup(
            self.markup(f"atoms in the universe: ≈ 10<sup>{info['atoms_exponent']}</sup>", BODY_SIZE, colour),
            self.text(f"{info['atoms_digits']} digits: one line", LABEL_SIZE, colour),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        self.atoms.next_to(self.count_col, DOWN, buff=0.7, aligned_edge=LEFT)

    def lay_out_pages(self) -> None:
        """The count written out: a grid of pages of digit lines, right of the count, with a caption."""
        box, info = self.content_box(), self.info
        pages = int(info["pages"])
        drawn = min(pages, MAX_PAGES_DRAWN)
        note = f"written out: {pages:,} pages of {info['digits_per_line'] * info['lines_per_page']:,} digits"
        if drawn < pages:
            note += f" ({drawn} shown)"
        self.pages_caption = self.text(note, LABEL_SIZE, self.theme.muted)
        area = box.right_of(self.count_col.get_right()[0], gap=0.6)
        self.fit_width(self.pages_caption, area.width)
        # 2% less than the area: the picture's pixel rounding must not push it past the margin
        fit = best_grid(
            drawn, area.width * 0.98, (area.height - self.pages_caption.height - 0.2) * 0.98, PAGE_ASPECT, gap=0.12
        )
        self.page_fit, self.pages_drawn = fit, drawn
        self.pages_full = self.pages_pixels(fit, drawn, int(info["digits"]))
        self.pages = self.image_mobject(self.pages_full, units_for(self.pages_full.shape[0]), smooth=False)
        self.pages_caption.next_to(self.pages, DOWN, buff=0.2)
        Group(self.pages, self.pages_caption).move_to(area.centre)
        self.count_col.shift(UP * (self.pages.get_top()[1] - self.count_col.get_top()[1]))
        self.atoms.next_to(self.count_col, DOWN, buff=0.7, aligned_edge=LEFT)

    def pages_pixels(self, fit, drawn: int, digits: int) -> np.ndarray:
        """The picture of `drawn` pages: paper in the panel colour, a grey row per line of digits."""
        info = self.info
        unit = pixels_for(fit.height) / fit.height
        pw, ph, gap = round(fit.cell_w * unit), round(fit.cell_h * unit), round(fit.gap * unit)
        out = np.empty((fit.rows * ph + (fit.rows - 1) * gap, fit.cols * pw + (fit.cols - 1) * gap, 3), np.uint8)
        out[:] = hex_to_rgb(self.theme.background)
        paper, ink = mix(self.theme.panel, self.theme.text, 0.1), mix(self.theme.panel, self.theme.muted, 0.6)
        lines_per_page, per_line = int(info["lines_per_page"]), int(info["digits_per_line"])
        margin = max(1, round(pw * 0.1))
        inner_h = ph - 2 * margin
        # A row of ink per line where a line is 3 pixels or more; a fine texture (every other row) below that.
        rows = np.arange(inner_h)
        line_of = np.minimum(rows * lines_per_page // max(inner_h, 1), lines_per_page - 1)
        pitch = inner_h / lines_per_page
        inked = (rows - np.floor(line_of * pitch)) < max(1.0, pitch * 0.45) if pitch >= 3 else rows % 2 == 0
        for k in range(drawn):
            r, c = divmod(k, fit.cols)
            page = np.empty((ph, pw, 3), np.uint8)
            page[:] = paper
            left_digits = digits - k * lines_per_page * per_line
            for y in np.flatnonzero(inked):
                in_line = min(max(left_digits - int(line_of[y]) * per_line, 0), per_line)
                page[margin + y, margin : margin + round((pw - 2 * margin) * in_line / per_line)] = ink
            y, x = r * (ph + gap), c * (pw + gap)
            out[y : y + ph, x : x + pw] = page
        return out

    def pages_shown(self, n: int) -> np.ndarray:
        """The pages picture with only its first n pages."""
        fit = self.page_fit
        out = self.pages_full.copy()
        unit = out.shape[0] / fit.height
        pw, ph, gap = round(fit.cell_w * unit), round(fit.cell_h * unit), round(fit.gap * unit)
        for k in range(n, self.pages_drawn):
            r, c = divmod(k, fit.cols)
            out[r * (ph + gap) : r * (ph + gap) + ph, c * (pw + gap) : c * (pw + gap) + pw] = hex_to_rgb(
                self.theme.background
            )
        return out

    # ---- beats ----------------------------------------------------------------------------------

    def pixels(self, slot: Slot) -> None:
        """1. An image is numbers: three per pixel. Random numbers: noise, a new image every frame."""
        with self.beat(slot, "pixels"):
            self.play_until(slot.at(0.12), Fade(self.image), Fade(self.caption))
            self.play_until(slot.at(0.22), Create(self.marker))
            self.play_until(slot.at(0.34), Fade(self.zoom), Create(self.rays), Fade(self.zoom_frame))
            self.play_until(slot.at(0.46), Create(self.pixel_frame), Fade(self.numbers, shift=RIGHT * 0.2))
            self.play_until(slot.at(0.56), Fade(self.statements[0], shift=UP * 0.1))
            self.play_until(slot.at(0.62), Fade(self.statements[1], shift=UP * 0.1))

            def next_sample(mob, dt: float) -> None:
                k = round(self.now * self.fps) % len(self.samples)
                self.set_image(self.image, self.samples[k], smooth=False)
                self.set_image(self.zoom, self.block(k), smooth=False)

            self.play_until(
                slot.at(0.72),
                *self.fade_out(self.numbers, self.pixel_frame),
                Fade(self.statements[2], shift=UP * 0.1),
            )
            self.image.add_updater(next_sample)

    def count(self, slot: Slot) -> None:
        """2. How many images there are; written out, page after page."""
        with self.beat(slot, "count"):
            gone = [self.image, self.caption, self.marker, self.zoom, self.zoom_frame, self.rays, self.statements]
            self.play_until(slot.at(0.1), *self.fade_out(*gone))
            self.image.clear_updaters()
            self.play_until(slot.at(0.2), Fade(self.count_col[0], shift=UP * 0.1))
            self.play_until(slot.at(0.32), Fade(self.count_col[1], scale=1.2))
            self.play_until(slot.at(0.42), Fade(self.count_col[2]), Fade(self.count_col[3]))
            self.set_image(self.pages, self.pages_shown(0), smooth=False)
            self.play_until(slot.at(0.46), Fade(self.pages), Fade(self.pages_caption))
            self.step_through(
                slot.at(0.46),
                slot.at(0.95),
                self.pages_drawn,
                lambda k: self.set_image(self.pages, self.pages_shown(k + 1), smooth=False),
            )

    def atoms_line(self) -> Mobject:
        """A bar over the last line of the bottom-left page: the one line the atoms' count would take.
        (The bottom row's first page: an arrow from the count's column reaches it without crossing text.)"""
        fit = self.page_fit
        unit = self.pages.height / self.pages_full.shape[0]  # frame units per pixel of the pages picture
        pw, ph = round(fit.cell_w / unit), round(fit.cell_h / unit)
        gap = round(fit.gap / unit)
        margin = max(1, round(pw * 0.1))
        lines = int(self.info["lines_per_page"])
        pitch = (ph - 2 * margin) / lines
        page_top = (fit.rows - 1) * (ph + gap)
        y = page_top + margin + (lines - 1) * pitch  # pixels from the picture's top
        top_left = self.pages.get_corner(UP + LEFT)
        line = bar((pw - 2 * margin) * unit, max(pitch * unit, 0.06), self.theme.series(0))
        return line.move_to(top_left + np.array([margin * unit, -y * unit, 0]), aligned_edge=UP + LEFT)

    def scale(self, slot: Slot) -> None:
        """3. The number of atoms in the universe: one line of one page."""
        with self.beat(slot, "scale"):
            line = self.atoms_line()
            # The label level with the line, under the count (never higher: it must not cover it).
            y = min(line.get_y(), self.count_col.get_bottom()[1] - 0.5 - self.atoms.height / 2)
            self.atoms.set_y(y)
            arrow = Arrow(
                self.atoms.get_right() + RIGHT * 0.1,
                line.get_left() + LEFT * 0.05,
                buff=0.05,
                color=self.theme.series(0),
                stroke_width=3,
                max_tip_length_to_length_ratio=0.12,
            )
            self.play_until(slot.at(0.25), Fade(self.atoms, shift=RIGHT * 0.2))
            self.play_until(slot.at(0.45), GrowFromEdge(line, LEFT), Create(arrow))
            if "target" in self.arrays:
                gone = [self.count_col, self.atoms, line, arrow, self.pages, self.pages_caption]
                self.play_until(slot.at(0.6), *self.fade_out(*gone))
                self.play_until(slot.at(0.8), Fade(self.target_pair()))

    def target_pair(self) -> Group:
        """A random image beside the model's picture of the target prompt, each captioned (the two
        side by side with their captions, which may be wider than a narrow image, kept apart)."""
        box = self.content_box()
        gap = 1.2
        captions = VGroup(
            wrapped_text(self, "random numbers", LABEL_SIZE, (box.width - gap) / 2, color=self.theme.muted),
            wrapped_text(
                self,
                f"“{self.info['target']}”, drawn by the model",
                LABEL_SIZE,
                (box.width - gap) / 2,
                color=self.theme.accent,
                max_lines=3,
            ),  # fmt: skip
        )
        side = min(box.height - captions.height - 0.3, (box.width - gap) / 2)
        half = (box.width - gap) / 2  # each image at most this wide (a wide random image is less tall)
        columns = Group()
        for im, caption in zip((self.samples[-1], self.arrays["target"]), captions, strict=True):
            image = self.image_mobject(im, min(side, half * im.shape[0] / im.shape[1]), smooth=False)
            columns.add(Group(image, caption.next_to(image, DOWN, buff=0.2)))
        columns.arrange(RIGHT, buff=gap, aligned_edge=UP).move_to((box.centre[0], 0, 0)).align_to((0, box.top, 0), UP)
        return columns
