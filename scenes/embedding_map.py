"""embedding_map: prompts as points in 2D (t-SNE or PCA of pooled text embeddings), grouped by colour.

Beats (slots): 0 title; 1 the groups appear in turn, each point labelled with its prompt;
2 the highlight prompt is circled and the others dim.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, Dot, FadeIn, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, fit_points


def _overlaps(a, b, pad: float = 0.04) -> bool:
    return not (
        a.get_right()[0] + pad < b.get_left()[0]
        or b.get_right()[0] + pad < a.get_left()[0]
        or a.get_top()[1] + pad < b.get_bottom()[1]
        or b.get_top()[1] + pad < a.get_bottom()[1]
    )


class EmbeddingMapScene(ChapterScene):
    def construct(self) -> None:
        info, coords = self.info, self.arrays["coords"]
        prompts, groups, group_of = info["prompts"], info["groups"], info["group_of"]
        s = self.slots(3)
        left, right, bottom, top = self.content_box()

        # 0. Title
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.6)

        # Legend on the right, the map on the rest.
        palette = self.theme.palette
        colour_of = [palette[g % len(palette)] if g >= 0 else self.theme.accent for g in group_of]
        legend = VGroup(
            *[
                VGroup(Dot(radius=0.08, color=palette[g % len(palette)]), self.text(name, LABEL_SIZE)).arrange(
                    RIGHT, buff=0.15
                )
                for g, name in enumerate(groups)
            ]
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        self.fit_width(legend, 2.6)
        column_left = right - 2.6
        legend.move_to((column_left + legend.width / 2, top - legend.height / 2 - 0.1, 0))
        method = self.text(
            "t-SNE of text embeddings" if info["method"] == "tsne" else "PCA of text embeddings",
            SMALL_SIZE,
            self.theme.muted,
        )
        self.fit_width(method, 2.6)
        method.next_to(legend, DOWN, buff=0.3).set_x(column_left + method.width / 2)
        map_box = (left + 0.2, column_left - 0.4, bottom + 0.2, top - 0.2)
        # keep room for labels to the right of points
        points = fit_points(coords, (map_box[0], map_box[1] - 1.6, map_box[2] + 0.2, map_box[3] - 0.2), pad=0.02)

        dots = [Dot(points[i], radius=0.08, color=colour_of[i]) for i in range(len(prompts))]
        labels: list = [None] * len(prompts)
        placed = [legend, method, *dots]
        # The highlighted prompt is labelled first, so it gets the clearest place.
        highlight = info.get("highlight")
        order = ([highlight] if highlight is not None else []) + [i for i in range(len(prompts)) if i != highlight]
        candidates = [(d, buff) for buff in (0.1, 0.3, 0.55) for d in (RIGHT, LEFT, UP, DOWN, UP + RIGHT, DOWN + RIGHT)]
        for i in order:
            label = self.text(prompts[i], SMALL_SIZE, colour_of[i])
            self.fit_width(label, 3.2)
            best, best_cost = None, None
            for direction, buff in candidates:
                label.next_to(dots[i], direction, buff=buff)
                inside = (
                    label.get_left()[0] >= left
                    and label.get_right()[0] <= map_box[1] + 0.3
                    and label.get_bottom()[1] >= bottom
                    and label.get_top()[1] <= top
                )
                # cost: how many placed things it touches (outside the map counts as many)
                cost = sum(_overlaps(label, other) for other in placed if other is not dots[i]) + (0 if inside else 99)
                if best_cost is None or cost < best_cost:
                    best, best_cost = (direction, buff), cost
                if cost == 0:
                    break
            label.next_to(dots[i], best[0], buff=best[1])
            placed.append(label)
            labels[i] = label

        # 1. Groups appear in turn
        with self.beat(s[1], "groups"):
            self.play_until(s[1].at(0.08), FadeIn(method))
            order = sorted(set(group_of), key=lambda g: (g < 0, g))
            for k, g in enumerate(order):
                members = [i for i in range(len(prompts)) if group_of[i] == g]
                anims = [FadeIn(dots[i], scale=0.5) for i in members] + [FadeIn(labels[i]) for i in members]
                if g >= 0:
                    anims.append(FadeIn(legend[g], shift=LEFT * 0.2))
                self.play_until(s[1].at(0.08 + 0.85 * (k + 1) / len(order)), *anims)

        # 2. The highlight prompt
        with self.beat(s[2], "highlight"):
            h = info.get("highlight")
            if h is not None:
                ring = Circle(radius=0.2, color=self.theme.accent, stroke_width=3).move_to(dots[h])
                others = [m for i in range(len(prompts)) if i != h for m in (dots[i], labels[i])]
                sim = self.arrays["similarity"]
                nearest = [i for i in np.argsort(-sim) if i != h][:2]
                self.play_until(
                    s[2].at(0.3),
                    FadeIn(ring, scale=1.6),
                    *[m.animate.set_opacity(0.35) for m in others],
                    labels[h].animate.set_color(self.theme.text),
                )
                self.play_until(
                    s[2].at(0.6), *[m.animate.set_opacity(1.0) for i in nearest for m in (dots[i], labels[i])]
                )
