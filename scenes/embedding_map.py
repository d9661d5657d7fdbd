"""embedding_map: prompts as points in 2D (t-SNE or PCA of pooled text embeddings), grouped by colour.

Beats (slots): 0 title; 1 the groups appear in turn, each point labelled with its prompt;
2 the highlight prompt is circled and the others dim but its nearest, and their images appear
under the legend: nearby prompts, similar pictures.

The map is framed like the other scenes' planes. A crowded map (many long prompts) has no clear
place for every label: a label that would cover another text or an image is left out, its dot
kept; the highlighted prompt and its nearest are labelled first, then each group in turn.
"""

from __future__ import annotations

import itertools

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, Dot, Group, Mobject, Rectangle, Text, VGroup

from scenes.common import LABEL_SIZE, SMALL_SIZE, ChapterScene, Fade, Restyle, Slot, line_height
from scenes.widgets import fit_points, wrapped_text

COLUMN_W = 2.6  # width of the legend column on the right
# Where a label may go beside its dot, in order of preference: direction, then distance.
LABEL_SPOTS = [
    (d, buff)
    for buff in (0.1, 0.3, 0.55, 0.9, 1.3)
    for d in (RIGHT, LEFT, UP, DOWN, UP + RIGHT, DOWN + RIGHT, UP + LEFT, DOWN + LEFT)
]
LABEL_W = 3.3  # a prompt's label wraps at this width


Bounds = tuple[float, float, float, float]  # left, bottom, right, top


def box_of(mob: Mobject) -> Bounds:
    return (mob.get_left()[0], mob.get_bottom()[1], mob.get_right()[0], mob.get_top()[1])


def spot(anchor: Bounds, width: float, height: float, direction: np.ndarray, buff: float) -> Bounds:
    """Where `label.next_to(anchor, direction, buff)` puts a width x height label, as a box."""
    ax, ay = (anchor[0] + anchor[2]) / 2, (anchor[1] + anchor[3]) / 2
    dx, dy = int(np.sign(direction[0])), int(np.sign(direction[1]))
    cx = ax + dx * ((anchor[2] - anchor[0]) / 2 + buff + width / 2)
    cy = ay + dy * ((anchor[3] - anchor[1]) / 2 + buff + height / 2)
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def _overlaps(a: Bounds, b: Bounds, pad: float = 0.04) -> bool:
    return not (a[2] + pad < b[0] or b[2] + pad < a[0] or a[3] + pad < b[1] or b[3] + pad < a[1])


class EmbeddingMapScene(ChapterScene):
    """Prompts as labelled dots on a map of their text embeddings, coloured by group."""

    def construct(self) -> None:
        self.prompts, self.group_of = self.info["prompts"], self.info["group_of"]
        s = self.slots(3)
        self.title_beat(s[0])
        self.lay_out_legend()
        self.lay_out_map()
        self.lay_out_pictures()
        self.place_labels()
        self.groups(s[1])
        self.highlight(s[2])

    def lay_out_legend(self) -> None:
        """The legend (a dot and a name per group) and the method's name, in a column on the right."""
        _, right, _, top = self.content_box()
        self.colour_of = [self.theme.series(g) if g >= 0 else self.theme.accent for g in self.group_of]
        # a long group name wraps in the column (text is never shrunk below the type scale)
        entries = [
            VGroup(
                Dot(radius=0.08, color=self.theme.series(g)), wrapped_text(self, name, LABEL_SIZE, COLUMN_W - 0.31)
            ).arrange(RIGHT, buff=0.15, aligned_edge=UP)
            for g, name in enumerate(self.info["groups"])
        ]
        for dot, name in entries:  # the dot level with the name's first line
            dot.set_y(name.get_top()[1] - line_height(LABEL_SIZE) / 2 + 0.03)
        self.legend = VGroup(*entries).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        self.column_left = right - COLUMN_W
        self.legend.move_to((self.column_left + self.legend.width / 2, top - self.legend.height / 2 - 0.1, 0))
        method = "t-SNE of text embeddings" if self.info["method"] == "tsne" else "PCA of text embeddings"
        self.method = wrapped_text(self, method, SMALL_SIZE, COLUMN_W, color=self.theme.muted, max_lines=2)
        self.method.next_to(self.legend, DOWN, buff=0.3).set_x(self.column_left + self.method.width / 2)

    def lay_out_map(self) -> None:
        """A dot per prompt, placed by its coordinates in the area left of the legend."""
        left, _, bottom, top = self.content_box()
        self.map_box = map_box = (left, self.column_left - 0.4, bottom, top)
        # the map's area, framed as the other scenes frame their planes (however few the distinct
        # prompts, the map is as large as its area)
        self.plane = Rectangle(width=map_box[1] - left, height=top - bottom, stroke_width=1.2, color=self.theme.muted)
        self.plane.set_stroke(opacity=0.45).move_to(((left + map_box[1]) / 2, (bottom + top) / 2, 0))
        # keep room for labels beside the points at the edges
        inner = (map_box[0] + 1.2, map_box[1] - 1.4, map_box[2] + 0.35, map_box[3] - 0.35)
        points = fit_points(self.arrays["coords"], inner, pad=0.0, equal=False)
        self.dots = [Dot(points[i], radius=0.08, color=self.colour_of[i]) for i in range(len(self.prompts))]

    def focus(self) -> tuple[int, list[int]]:
        """The prompt the last beat is about (the highlight, else the first) and its two nearest prompts."""
        h = self.info.get("highlight")
        h = 0 if h is None else h
        sim = self.arrays["similarity"]
        return h, [int(i) for i in np.argsort(-sim, kind="stable") if i != h][:2]

    def lay_out_pictures(self) -> None:
        """Under the legend: the focus prompt's image and its nearest prompts' images, framed in their colours."""
        h, nearest = self.focus()
        _, right, bottom, _ = self.content_box()
        head = self.text("their images", SMALL_SIZE, self.theme.muted)
        room = self.method.get_bottom()[1] - 0.35 - head.height - 0.12 - bottom
        side = min((COLUMN_W - 2 * 0.12) / 3, room)
        if room <= 0.3 or side <= 0 or "images" not in self.arrays:  # a long legend leaves no room under it
            self.pictures = Group()
            return
        shown = (h, *nearest)
        images = {i: self.image_mobject(self.arrays["images"][i], side) for i in shown}
        frames = Group(*[Group(image, self.framed(image, self.colour_of[i])) for i, image in images.items()])
        frames.arrange(RIGHT, buff=0.12)
        head.next_to(self.method, DOWN, buff=0.35).set_x(self.column_left + head.width / 2)
        frames.next_to(head, DOWN, buff=0.12).set_x(self.column_left + frames.width / 2)
        self.pictures = Group(head, frames)

    def label_order(self) -> list[int]:
        """The prompts in the order their labels are placed: the highlighted one (it gets the clearest
        place), its nearest (the last beat shows them), then a prompt of each group in turn."""
        highlight = self.info.get("highlight")
        first = [highlight, *self.focus()[1]] if highlight is not None else []
        by_group: dict[int, list[int]] = {}
        for i, g in enumerate(self.group_of):
            if i not in first:
                by_group.setdefault(g, []).append(i)
        turns = itertools.zip_longest(*by_group.values())
        return list(dict.fromkeys([*first, *(i for turn in turns for i in turn if i is not None)]))

    def place_labels(self) -> None:
        """Label each dot with its prompt where it touches no other text or image, and the fewest dots.

        A crowded map has no such place for every label: those that would cover another text (or leave
        the content box) are left out, and their dots stay, coloured by their group. Candidate places
        are computed as boxes (where `next_to` would put the label), so trying dozens of them per label
        costs arithmetic, not Manim's bounding-box walks over every glyph.
        """
        # Anywhere in the content box: the legend and the method's name are among the placed things.
        left, right, bottom, top = self.content_box()
        texts = [box_of(self.legend), box_of(self.method)]  # texts and images: a label must not touch them
        if len(self.pictures):
            texts.append(box_of(self.pictures))
        dots = [box_of(d) for d in self.dots]
        labels: dict[int, Text] = {}
        for i in self.label_order():
            label = wrapped_text(self, self.prompts[i], SMALL_SIZE, LABEL_W, color=self.colour_of[i], max_lines=4)
            dot, w, h = self.dots[i], label.width, label.height
            best, best_cost = None, None
            for direction, buff in LABEL_SPOTS:
                box = spot(box_of(dot), w, h, direction, buff)
                inside = box[0] >= left and box[2] <= right and box[1] >= bottom and box[3] <= top
                if not inside or any(_overlaps(box, other) for other in texts):
                    continue
                cost = sum(_overlaps(box, other) for k, other in enumerate(dots) if k != i)  # dots it covers
                if best_cost is None or cost < best_cost:
                    best, best_cost = (direction, buff), cost
                if cost == 0:
                    break
            if best is None:  # no place clear of the other texts: this dot goes unlabelled
                continue
            label.next_to(dot, best[0], buff=best[1])
            texts.append(box_of(label))
            labels[i] = label
        self.labels = [labels.get(i) for i in range(len(self.prompts))]

    def groups(self, slot: Slot) -> None:
        """1. Groups appear in turn (prompts in no group last)."""
        group_of = self.group_of
        with self.beat(slot, "groups"):
            self.play_until(slot.at(0.08), Fade(self.plane), Fade(self.method))
            order = sorted(set(group_of), key=lambda g: (g < 0, g))
            for k, g in enumerate(order):
                members = [i for i in range(len(self.prompts)) if group_of[i] == g]
                anims = [Fade(self.dots[i], scale=0.5) for i in members]
                anims += [Fade(self.labels[i]) for i in members if self.labels[i] is not None]
                if g >= 0:
                    anims.append(Fade(self.legend[g], shift=LEFT * 0.2))
                self.play_until(slot.at(0.08 + 0.85 * (k + 1) / len(order)), *anims)

    def highlight(self, slot: Slot) -> None:
        """2. The highlight prompt circled, the others dimmed but its two nearest."""
        dots, labels = self.dots, self.labels
        with self.beat(slot, "highlight"):
            h = self.info.get("highlight")
            if h is not None:
                ring = Circle(radius=0.2, color=self.theme.accent, stroke_width=3).move_to(dots[h])
                others = [m for i in range(len(self.prompts)) if i != h for m in (dots[i], labels[i]) if m is not None]
                _, nearest = self.focus()
                self.play_until(
                    slot.at(0.3),
                    Fade(ring, scale=1.6),
                    *[Restyle(m.set_opacity, 0.35) for m in others],
                    *([Restyle(labels[h].set_color, self.theme.text)] if labels[h] is not None else []),
                )
                self.play_until(
                    slot.at(0.6),
                    *[Restyle(m.set_opacity, 1.0) for i in nearest for m in (dots[i], labels[i]) if m is not None],
                )
            if len(self.pictures):
                self.play_until(slot.at(0.85), Fade(self.pictures))
