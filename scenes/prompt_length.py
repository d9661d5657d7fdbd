"""prompt_length: the prompt is built word by word, and the image made from each beginning follows.

Beats (slots): 0 title; 1 the first word appears and its image grows out of the noise; 2 word by
word: each new word appears (highlighted), the image swaps to that prefix's image, and a bar
records how much the picture changed; 3 the words that changed the picture most stay
highlighted, the others fade; 4 side by side: every beginning's image in a grid, each under the
word that ends it, so where the background, colour and shape settle (or come and go) shows at once.
"""

from __future__ import annotations

import math

from manim import LEFT, RIGHT, UP, GrowFromEdge, VGroup

from scenes.common import (
    HEADING_SIZE,
    LABEL_SIZE,
    SMALL_SIZE,
    ChapterScene,
    Fade,
    Restyle,
    Slot,
    line_height,
    pixels_for,
    units_for,
)
from scenes.widgets import bar, best_grid, compose_grid, hex_to_rgb, lines_height

GAP = 0.14  # between the side-by-side grid's images


class PromptLengthScene(ChapterScene):
    """A prompt revealed word by word, the image of each beginning, and how much each word changed it."""

    def construct(self) -> None:
        self.previews = self.arrays["previews"]
        self.words = list(self.info["words"])
        self.change = [float(c) for c in self.arrays["change"]]
        s = self.slots(5)
        self.lay_out_sentence()
        self.lay_out_chart()
        self.lay_out_side_by_side()

        self.title_beat(s[0])
        self.first_word(s[1])
        self.word_by_word(s[2])
        self.steering_words(s[3])
        self.side_by_side(s[4])

    def lay_out_sentence(self) -> None:
        """The full sentence, laid out once (wrapped if long) at the top; `spans` are its words.

        Words are revealed glyph range by glyph range, so nothing shifts as the sentence grows.
        Text glyphs skip whitespace.
        """
        left, right, _, top = self.content_box()
        words = self.words
        lines = [words]
        plain = self.text(" ".join(words), HEADING_SIZE)
        if plain.width > right - left:
            per_line = math.ceil(len(words) / math.ceil(plain.width / (right - left)))
            lines = [words[i : i + per_line] for i in range(0, len(words), per_line)]
        self.sentence = self.text("\n".join(" ".join(line) for line in lines), HEADING_SIZE)
        self.fit_width(self.sentence, right - left)
        self.sentence.move_to((0, top - self.sentence.height / 2, 0))
        self.spans, g = [], 0
        for word in words:
            self.spans.append(VGroup(*self.sentence.submobjects[g : g + len(word)]))
            g += len(word)

    def lay_out_chart(self) -> None:
        """Below the sentence: the image on the left, a bar per word (how much its image changed) on the right."""
        left, right, bottom, _ = self.content_box()
        area_top = self.sentence.get_bottom()[1] - 0.35
        side = min(area_top - bottom - 0.05, (right - left) * 0.42)
        self.image = self.image_mobject(self.previews[0, 0], side)
        self.image.move_to((left + (right - left) * 0.27, area_top - side / 2, 0))
        chart_left = self.image.get_right()[0] + 0.8
        self.chart_head = self.text("how much the picture changed", LABEL_SIZE, self.theme.muted)
        self.fit_width(self.chart_head, right - chart_left)
        self.chart_head.move_to((chart_left, area_top - self.chart_head.height / 2, 0), aligned_edge=LEFT)
        rows_top = self.chart_head.get_bottom()[1] - 0.15
        # A row per word, level with the image where they fit beside it, else reaching further down
        # (a word's label is never shrunk below the smallest text: a row is at least a line tall).
        row_h = min(0.42, (rows_top - self.image.get_bottom()[1]) / len(self.words))
        row_h = max(row_h, min(line_height(SMALL_SIZE) + 0.03, (rows_top - bottom) / len(self.words)))
        labels = [self.text(w, SMALL_SIZE) for w in self.words]
        # One scale for all word labels (by the widest: a very long word), so they read alike.
        shrink = min(1.0, 2.0 / max(lb.width for lb in labels))
        for label in labels:
            label.scale(shrink)
        bar_left = chart_left + max(lb.width for lb in labels) + 0.15
        bar_max = right - bar_left - 0.1
        self.top_change = max(max(self.change), 1e-6)
        self.labels, self.bars = VGroup(), VGroup()
        for k, (label, c) in enumerate(zip(labels, self.change, strict=True)):
            y = rows_top - row_h * (k + 0.5)
            self.labels.add(label.move_to((bar_left - 0.15, y, 0), aligned_edge=RIGHT))
            change_bar = bar(max(bar_max * c / self.top_change, 0.02), row_h * 0.55, self.theme.accent, 0.9)
            self.bars.add(change_bar.move_to((bar_left, y, 0), aligned_edge=LEFT))

    def lay_out_side_by_side(self) -> None:
        """Below the sentence: every prefix's image in the largest grid that fits (one composited
        picture), the word that ends the prefix under each image."""
        left, right, bottom, _ = self.content_box()
        area_top = self.sentence.get_bottom()[1] - 0.35
        label_h = lines_height(1, SMALL_SIZE) + 0.1
        fit = best_grid(len(self.words), right - left, area_top - bottom, gap=GAP, extra=label_h)
        cell_px, gap_px = pixels_for(fit.cell_w), pixels_for(GAP)
        picture = compose_grid(
            list(self.arrays["images"]),
            fit.cols,
            cell_px,
            gap_px,
            hex_to_rgb(self.theme.background),
            row_gap_px=gap_px + pixels_for(label_h),
        )
        unit = units_for(1)  # frame units per pixel: the grid is drawn at its on-screen size
        self.grid = self.image_mobject(picture, picture.shape[0] * unit)
        self.grid.move_to((0, area_top - self.grid.height / 2, 0))
        # Each label is set after "Ag", whose capital and descender give every word the same box:
        # placed by that box, the words share a baseline. One scale for all (by the widest).
        typeset = [self.text("Ag" + word, SMALL_SIZE) for word in self.words]
        widest = max(VGroup(*t.submobjects[2:]).width for t in typeset)
        shrink = min(1.0, (fit.cell_w + GAP * 0.8) / widest)
        self.grid_labels = VGroup()
        for k, t in enumerate(typeset):
            r, c = divmod(k, fit.cols)
            x = self.grid.get_left()[0] + (c * (cell_px + gap_px) + cell_px / 2) * unit
            y = self.grid.get_top()[1] - ((r + 1) * cell_px + r * (gap_px + pixels_for(label_h))) * unit
            t.scale(shrink)
            label = VGroup(*t.submobjects[2:])
            t.shift((x - label.get_x(), y - 0.05 - t.get_top()[1], 0))
            self.grid_labels.add(label)

    def first_word(self, slot: Slot) -> None:
        """1. The first word, and its image out of the noise."""
        with self.beat(slot, "first-word"):
            self.play_until(slot.at(0.2), Fade(self.image), Fade(self.chart_head))
            self.play_until(
                slot.at(0.35),
                Fade(self.spans[0], shift=UP * 0.1),
                Fade(self.labels[0]),
                GrowFromEdge(self.bars[0], LEFT),
            )
            self.step_through(
                slot.at(0.35),
                slot.at(0.95),
                self.previews.shape[1],
                lambda i: self.set_image(self.image, self.previews[0, i]),
            )

    def word_by_word(self, slot: Slot) -> None:
        """2. Word by word: the new word highlighted, the image swapped, the change recorded."""
        n_words, spans = len(self.words), self.spans
        with self.beat(slot, "words"):
            for k in range(1, n_words):
                start = slot.at((k - 1) / max(n_words - 1, 1))
                end = slot.at(k / max(n_words - 1, 1))
                self.hold_until(start)
                self.set_image(self.image, self.arrays["images"][k])
                spans[k].set_color(self.theme.accent)
                self.play_until(
                    start + 0.45 * (end - start),
                    Fade(spans[k], shift=UP * 0.1),
                    Fade(self.labels[k]),
                    GrowFromEdge(self.bars[k], LEFT),
                    Restyle(spans[k - 1].set_color, self.theme.text),
                )

    def steering_words(self, slot: Slot) -> None:
        """3. The words that steer: big changes stay bright, the rest fade."""
        with self.beat(slot, "steering"):
            strong = [c >= 0.5 * self.top_change for c in self.change]
            fades = []
            for k in range(len(self.words)):
                colour = self.theme.accent if strong[k] else self.theme.muted
                fades += [Restyle(self.spans[k].set_color, colour), Restyle(self.labels[k].set_color, colour)]
                if not strong[k]:
                    fades.append(Restyle(self.bars[k].set_opacity, 0.35))
            self.play_until(slot.at(0.3), *fades)

    def side_by_side(self, slot: Slot) -> None:
        """4. Every beginning's image at once, each under its last word (the sentence stays above)."""
        with self.beat(slot, "side-by-side"):
            chart = [self.image, self.chart_head, self.labels, self.bars]
            self.play_until(slot.at(0.1), *self.fade_out(*chart), Fade(self.grid), Fade(self.grid_labels))
