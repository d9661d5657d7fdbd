"""prompt_length: the prompt is built word by word, and the image made from each beginning follows.

Beats (slots): 0 title; 1 the first word appears and its image grows out of the noise; 2 word by
word: each new word appears (highlighted), the image swaps to that prefix's image, and a bar
records how much the picture changed; 3 the words that changed the picture most stay
highlighted, the others fade.
"""

from __future__ import annotations

import math

from manim import LEFT, RIGHT, UP, FadeIn, GrowFromEdge, Rectangle, VGroup

from scenes.common import HEADING_SIZE, LABEL_SIZE, SMALL_SIZE, ChapterScene


class PromptLengthScene(ChapterScene):
    def construct(self) -> None:
        info, images, previews = self.info, self.arrays["images"], self.arrays["previews"]
        words = list(info["words"])
        change = [float(c) for c in self.arrays["change"]]
        n_words = len(words)
        s = self.slots(4)
        left, right, bottom, top = self.content_box()

        # The full sentence is laid out once (wrapped if long); words are revealed glyph by glyph
        # range, so nothing shifts as it grows. Text glyphs skip whitespace.
        lines = [words]
        plain = self.text(" ".join(words), HEADING_SIZE)
        if plain.width > right - left:
            per_line = math.ceil(len(words) / math.ceil(plain.width / (right - left)))
            lines = [words[i : i + per_line] for i in range(0, n_words, per_line)]
        sentence = self.text("\n".join(" ".join(line) for line in lines), HEADING_SIZE)
        self.fit_width(sentence, right - left)
        sentence.move_to((0, top - sentence.height / 2, 0))
        spans, g = [], 0
        for word in words:
            spans.append(VGroup(*sentence.submobjects[g : g + len(word)]))
            g += len(word)

        # Below: the image on the left, a bar per word (how much its image changed) on the right.
        area_top = sentence.get_bottom()[1] - 0.35
        side = min(area_top - bottom - 0.05, (right - left) * 0.42)
        image = self.image_mobject(previews[0, 0], side)
        image.move_to((left + (right - left) * 0.27, area_top - side / 2, 0))
        chart_left = image.get_right()[0] + 0.8
        chart_head = self.text("how much the picture changed", LABEL_SIZE, self.theme.muted)
        self.fit_width(chart_head, right - chart_left)
        chart_head.move_to((chart_left, area_top - chart_head.height / 2, 0), aligned_edge=LEFT)
        row_h = min(0.42, (chart_head.get_bottom()[1] - 0.15 - (image.get_bottom()[1])) / n_words)
        labels = [self.text(w, SMALL_SIZE) for w in words]
        # One scale for all word labels (by the tallest and the widest), so they read alike.
        shrink = min(1.0, row_h * 0.8 / max(lb.height for lb in labels), 2.0 / max(lb.width for lb in labels))
        for label in labels:
            label.scale(shrink)
        label_w = max(lb.width for lb in labels)
        bar_left = chart_left + label_w + 0.15
        bar_max = right - bar_left - 0.1
        top_change = max(max(change), 1e-6)
        label_group, bars = VGroup(), VGroup()
        for k, (label, c) in enumerate(zip(labels, change, strict=True)):
            y = chart_head.get_bottom()[1] - 0.15 - row_h * (k + 0.5)
            label_group.add(label.move_to((bar_left - 0.15, y, 0), aligned_edge=RIGHT))
            bar = Rectangle(
                width=max(bar_max * c / top_change, 0.02),
                height=row_h * 0.55,
                stroke_width=0,
                fill_color=self.theme.accent,
                fill_opacity=0.9,
            )
            bars.add(bar.move_to((bar_left, y, 0), aligned_edge=LEFT))

        # 0. Title
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.6)

        # 1. The first word, and its image out of the noise
        with self.beat(s[1], "first-word"):
            self.play_until(s[1].at(0.2), FadeIn(image), FadeIn(chart_head))
            self.play_until(
                s[1].at(0.35), FadeIn(spans[0], shift=UP * 0.1), FadeIn(label_group[0]), GrowFromEdge(bars[0], LEFT)
            )
            self.step_through(
                s[1].at(0.35), s[1].at(0.95), previews.shape[1], lambda i: self.set_image(image, previews[0, i])
            )

        # 2. Word by word: the new word highlighted, the image swapped, the change recorded
        with self.beat(s[2], "words"):
            for k in range(1, n_words):
                start = s[2].at((k - 1) / max(n_words - 1, 1))
                end = s[2].at(k / max(n_words - 1, 1))
                self.hold_until(start)
                self.set_image(image, images[k])
                spans[k].set_color(self.theme.accent)
                self.play_until(
                    start + 0.45 * (end - start),
                    FadeIn(spans[k], shift=UP * 0.1),
                    FadeIn(label_group[k]),
                    GrowFromEdge(bars[k], LEFT),
                    spans[k - 1].animate.set_color(self.theme.text),
                )

        # 3. The words that steer: big changes stay bright, the rest fade
        with self.beat(s[3], "steering"):
            strong = [c >= 0.5 * top_change for c in change]
            fades = []
            for k in range(n_words):
                colour = self.theme.accent if strong[k] else self.theme.muted
                fades += [spans[k].animate.set_color(colour), label_group[k].animate.set_color(colour)]
                if not strong[k]:
                    fades.append(bars[k].animate.set_opacity(0.35))
            self.play_until(s[3].at(0.3), *fades)
