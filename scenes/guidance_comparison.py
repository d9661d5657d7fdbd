"""guidance_comparison: the same prompt and seed at guidance scales from 1.0 up, side by side and swept.

Beats (slots): 0 title; 1 the prompt, a row of large images (one per scale, labelled) growing out of
the same noise, and how guidance mixes the two predictions; 2 guidance 1 (off) and the 3-6 range
that matches the words are marked; 3 the row makes way for a slider, dragged from the lowest scale to
the highest, a large image following the knob, while a chart of each image's share of colour values
clipped at 0 or 255 lights the scale shown: too much guidance drives colours to the ends of their range.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, GrowFromEdge, Mobject, Rectangle, VGroup

from scenes.common import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, ChapterScene, Fade, Restyle, Slot, char_width, line_height
from scenes.widgets import ImageRow, Slider, bar, hex_to_rgb, prompt_line, short_number, spread_apart

GAP = 0.4  # between the row's images
LABEL_BUFF = 0.15  # between a label and the image under it
FORMULA_BUFF = 0.6  # between the row and the formula under it
NOTE_BUFF = 0.2  # between the row's marks and the notes under them
MARK = 0.08  # how far the marks around images stand out


class GuidanceComparisonScene(ChapterScene):
    """One prompt and seed at several guidance scales: a row of images, then a slider across them."""

    def construct(self) -> None:
        self.images, self.previews = self.arrays["images"], self.arrays["previews"]
        self.scales = [float(g) for g in self.info["guidance_scales"]]
        self.clipped = [float(c) for c in self.info["clipped"]]  # share of values at 0 or 255, from the analysis
        self.good_span = tuple(self.info["good_range"])
        s = self.slots(4)
        self.prompt = prompt_line(self, self.info["prompt"], self.info["seed"])
        self.lay_out_row()
        self.lay_out_sweep()
        self.lay_out_chart()

        self.title_beat(s[0], subtitle=self.prompt)
        self.row_of_scales(s[1])
        self.good_range(s[2])
        self.too_much(s[3])

    # ---- layout ---------------------------------------------------------------------------------

    def row_pixels(self, step: int) -> np.ndarray:
        """The row's picture: every scale's image at denoising step `step`."""
        return self.cells.compose([self.previews[g, step] for g in range(self.previews.shape[0])])

    def lay_out_row(self) -> None:
        """Under the prompt: a label over each image of a row as large as the area allows (with room
        under it for the formula, and later the notes), the formula under the row.

        A label reads "guidance 4" when that fits over its image; in a crowded row only the number,
        under a "guidance" head at the row's left.
        """
        box = self.content_box().below(self.prompt.get_bottom()[1], gap=0.3)
        count = len(self.scales)
        self.formula = VGroup(
            self.text("each step the model predicts twice: with the prompt and without", BODY_SIZE, self.theme.muted),
            self.text("result = without + guidance × (with − without)", BODY_SIZE),
        ).arrange(DOWN, buff=0.3)
        self.fit_width(self.formula, box.width)
        pitch = (box.width - 2 * MARK + GAP) / count  # a cell and a gap, when the row fills the width
        self.labels = VGroup(*[self.text(f"guidance {short_number(g)}", LABEL_SIZE) for g in self.scales])
        self.row_head = None
        if max(label.width for label in self.labels) > pitch - 0.15:
            self.labels = VGroup(*[self.text(short_number(g), LABEL_SIZE) for g in self.scales])
            self.row_head = self.text("guidance", LABEL_SIZE, self.theme.muted)
        head_h = self.row_head.height + 0.12 if self.row_head is not None else 0.0
        label_h = line_height(LABEL_SIZE) + LABEL_BUFF
        notes_h = MARK + NOTE_BUFF + 2 * line_height(LABEL_SIZE) + 0.1  # two lines when the notes would meet
        under = max(FORMULA_BUFF + self.formula.height, notes_h)
        largest = box.height - head_h - label_h - under
        # the marks around the images stand out MARK beyond the row: keep them inside the area
        self.cells = ImageRow.across(count, box.width - 2 * MARK, GAP, largest, hex_to_rgb(self.theme.background))
        self.row = self.image_mobject(self.row_pixels(0), self.cells.cell)
        block_h = head_h + label_h + self.cells.cell + under
        self.row.move_to((0, box.centre[1] + block_h / 2 - head_h - label_h - self.cells.cell / 2, 0))
        self.place_labels()
        self.formula.next_to(self.row, DOWN, buff=FORMULA_BUFF)
        self.row_box = box

    def place_labels(self) -> None:
        """A label over each image of the row, wherever the row is (labels keep their size); the head,
        if any, over the labels at the row's left."""
        self.xs = self.cells.centres(self.row)
        top = self.row.get_top()[1]
        for x, label in zip(self.xs, self.labels, strict=True):
            label.move_to((x, top + LABEL_BUFF + line_height(LABEL_SIZE) / 2, 0))
        if self.row_head is not None:
            self.row_head.next_to(self.labels, UP, buff=0.12).align_to(self.row, LEFT)
            self.labels.add(self.row_head)  # it comes and goes with them

    def u_of(self, g: float) -> float:
        """The slider position (0..1) of guidance scale `g`: the scales evenly spaced from the lowest to
        the highest (so their numbers under the track never crowd, whatever their values)."""
        order = sorted(self.scales)
        return order.index(g) / max(len(order) - 1, 1)

    def lay_out_sweep(self) -> None:
        """For the sweep, once the row has gone: a slider under the prompt, a tick per scale labelled
        with it, and under it a large image (left) and the clipping chart (right)."""
        box = self.row_box
        lo_x, hi_x = box.left + box.width * 0.12, box.right - box.width * 0.12
        slider_y = box.top - 0.55
        self.slider = Slider(
            lo_x, hi_x, slider_y, [self.u_of(g) for g in self.scales], self.theme.muted, self.theme.accent
        )
        self.slider_head = self.text("guidance", LABEL_SIZE, self.theme.muted)
        self.slider_head.next_to(self.slider.track, LEFT, buff=0.35)
        if self.slider_head.get_left()[0] < box.left:  # no room beside the track: over its start
            self.slider_head.next_to(self.slider.track.get_start(), UP, buff=0.25).align_to(self.slider.track, LEFT)
        self.ticks = VGroup(
            *[
                self.text(short_number(g), SMALL_SIZE, self.theme.muted).move_to(
                    (self.slider.x_of(self.u_of(g)), slider_y - 0.38, 0)
                )
                for g in self.scales
            ]
        )
        low = box.below(self.ticks.get_bottom()[1], gap=0.35)
        self.big = self.image_mobject(self.images[0], low.height)
        self.big.move_to((box.left + box.width * 0.25, low.centre[1], 0))
        self.low = low

    def lay_out_chart(self) -> None:
        """Right of the large image: a bar per scale for the share of its image's colour values that clip (at 0
        or 255), the shown scale lit."""
        low, n = self.low, len(self.scales)
        left = self.big.get_right()[0] + 0.9
        self.chart_head = self.text("colour values clipped at 0 or 255", LABEL_SIZE, self.theme.muted)
        self.chart_head.move_to((left, low.top - self.chart_head.height / 2, 0), aligned_edge=LEFT)
        names = VGroup(*[self.text(short_number(g), SMALL_SIZE, self.theme.muted) for g in self.scales])
        slot_w = (low.right - left) / n
        # two decimals where the bars leave room for them (clipped shares are small), else one
        percent = "{:.2f}%" if char_width(SMALL_SIZE) * 7 < slot_w * 0.9 else "{:.1f}%"
        base = low.bottom + names.height + 0.15
        bar_top = self.chart_head.get_bottom()[1] - 0.45  # room for the numbers over the bars
        top = max(max(self.clipped), 1e-6)
        self.bars, self.numbers = VGroup(), VGroup()
        for k, v in enumerate(self.clipped):
            x = left + slot_w * (k + 0.5)
            clip_bar = bar(slot_w * 0.55, max((bar_top - base) * v / top, 0.02), self.theme.palette[1], 0.9)
            self.bars.add(clip_bar.move_to((x, base, 0), aligned_edge=DOWN))
            self.numbers.add(self.text(percent.format(100 * v), SMALL_SIZE).next_to(clip_bar, UP, buff=0.08))
            names[k].move_to((x, low.bottom + names[k].height / 2, 0))
        self.bar_names = names

    # ---- beats ----------------------------------------------------------------------------------

    def row_of_scales(self, slot: Slot) -> None:
        """1. One image per guidance scale, all from the same noise; what guidance does."""
        with self.beat(slot, "row"):
            self.play_until(slot.at(0.12), Fade(self.row), Fade(self.labels, shift=DOWN * 0.1))
            self.play_until(slot.at(0.25), Fade(self.formula, shift=UP * 0.1))
            self.step_through(
                slot.at(0.25),
                slot.at(0.95),
                self.previews.shape[1] - 1,
                lambda i: self.set_image(self.row, self.row_pixels(i + 1)),
            )

    def range_marks(self) -> tuple[VGroup, VGroup]:
        """A frame around the images that match the words (one per run of neighbours in the good range)
        and around each image with guidance off; a note under each kind, inside the area and apart."""
        xs, cell, y = self.xs, self.row.height, self.row.get_y()
        good = [k for k, g in enumerate(self.scales) if self.good_span[0] <= g <= self.good_span[1]]
        off = [k for k, g in enumerate(self.scales) if g <= 1.0]
        runs: list[list[int]] = []
        for k in good:
            if runs and runs[-1][-1] == k - 1:
                runs[-1].append(k)
            else:
                runs.append([k])
        marks, notes = VGroup(), VGroup()
        for run in runs:
            span = Rectangle(
                width=xs[run[-1]] - xs[run[0]] + cell + 2 * MARK,
                height=cell + 2 * MARK,
                stroke_width=3,
                color=self.theme.accent,
            )
            marks.add(span.move_to(((xs[run[0]] + xs[run[-1]]) / 2, y, 0)))
        wanted = []  # (note, the x it would be centred at)
        if runs:
            widest = max(runs, key=len)
            wanted.append(
                (self.text("matches the words", LABEL_SIZE, self.theme.accent), (xs[widest[0]] + xs[widest[-1]]) / 2)
            )
        for k in off:
            frame = Rectangle(width=cell + 2 * MARK, height=cell + 2 * MARK, stroke_width=2.5, color=self.theme.muted)
            marks.add(frame.move_to((xs[k], y, 0)))
        if off:
            wanted.append((self.text("guidance off", LABEL_SIZE, self.theme.muted), xs[off[0]]))
        top = self.row.get_bottom()[1] - MARK - NOTE_BUFF
        box = self.row_box
        spread_apart([(note, x) for note, x in sorted(wanted, key=lambda w: w[1])], top, box.left, box.right)
        notes.add(*[note for note, _ in wanted])
        return marks, notes

    def good_range(self, slot: Slot) -> None:
        """2. Guidance off at 1; the range that matches the words."""
        with self.beat(slot, "range"):
            self.marks, self.notes = self.range_marks()
            self.play_until(slot.at(0.15), Restyle(self.formula.set_opacity, 0.0))
            self.remove(self.formula)
            self.play_until(slot.at(0.45), Fade(self.marks), Fade(self.notes, shift=UP * 0.1))

    def too_much(self, slot: Slot) -> None:
        """3. A slider goes from the lowest scale to the highest, the large image and the clipping
        chart follow: colours too strong at the top."""
        with self.beat(slot, "too-much"):
            gone = [self.marks, self.notes, self.row, self.labels]
            self.play_until(slot.at(0.1), *self.fade_out(*gone))
            self.slider.set_knob(0.0)
            self.play_until(
                slot.at(0.2),
                Fade(self.slider),
                Fade(self.slider_head),
                Fade(self.ticks),
                Fade(self.big),
                Fade(self.chart_head),
                Fade(self.bar_names),
            )
            self.play_until(slot.at(0.3), *[GrowFromEdge(b, DOWN) for b in self.bars], Fade(self.numbers))
            self.drag(slot.at(0.32), slot.at(0.9))

    def light(self, k: int) -> None:
        """Light scale k's bar and number in the chart, dim the others."""
        for i, (b, number) in enumerate(zip(self.bars, self.numbers, strict=True)):
            b.set_fill(self.theme.accent if i == k else self.theme.palette[1], opacity=1.0 if i == k else 0.45)
            number.set_color(self.theme.accent if i == k else self.theme.text)

    def drag(self, start: float, end: float) -> None:
        """Move the knob from the lowest scale to the highest over [start, end] (eased); the large
        image shows the nearest scale's image and the chart lights its bar."""
        big, scales = self.big, self.scales
        shown = 0
        self.set_image(big, self.images[0])
        self.light(0)

        def follow(mob: Mobject, dt: float) -> None:
            nonlocal shown
            tau = min(max((self.now - start) / max(end - start, 1e-6), 0.0), 1.0)
            u = tau * tau * (3 - 2 * tau)  # smoothstep: a hand speeding up and slowing down
            self.slider.set_knob(u)
            k = int(np.argmin([abs(u - self.u_of(g)) for g in scales]))
            if k != shown:
                self.set_image(big, self.images[k])
                self.light(k)
                shown = k

        self.hold_until(start)
        # Everything after the updater's owner in the scene is redrawn each frame: put the moving parts last.
        self.add(big, self.slider, self.bars, self.numbers)
        big.add_updater(follow)
        self.hold_until(end + 1 / self.fps)
        big.remove_updater(follow)
        follow(big, 0)
