"""summary: the journey from noise to image, and the four controls as a journey with a compass.

Beats (slots): 0 title; 1 the journey as a path across the frame, drawn from the noise to the image
while the state at a few steps appears at its waypoints; 2 the seed (where you start: two seeds,
their noise and their images) and the prompt (the compass: its needle swings to the destination);
3 the steps (how often you check the compass: a few step counts) and guidance (how strongly you
follow it: a few scales), the pictures of each appearing one by one; 4 the journey replayed in a
large image beside the four controls' values, and the closing line.
"""

from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Circle,
    Dot,
    Group,
    Mobject,
    Polygon,
    Rotate,
    VGroup,
    VMobject,
)

from scenes.common import HEADING_SIZE, LABEL_SIZE, SMALL_SIZE, Box, ChapterScene, Fade, Slot, char_width, line_height
from scenes.widgets import DIGIT_WIDTH, Counter, centred_lines, lines_height, number_lines, short_number, wrap_lines

METAPHOR = {
    "seed": "where you start",
    "prompt": "the compass",
    "steps": "how often you check it",
    "guidance": "how strongly you follow it",
}
WAYPOINTS = 7  # states shown along the journey
PANEL_GAP = 0.45  # between the control panels
CELL_GAP = 0.25  # between pictures in a panel


class SummaryScene(ChapterScene):
    """The journey from noise to image, then seed, prompt, steps and guidance as a journey with a compass."""

    def construct(self) -> None:
        self.previews = self.arrays["previews"]
        self.steps = self.previews.shape[0] - 1
        s = self.slots(5)
        self.lay_out_journey()
        self.lay_out_panels()
        self.lay_out_replay()

        self.title_beat(s[0])
        self.journey(s[1])
        self.start_and_compass(s[2])
        self.checks_and_strength(s[3])
        self.replay(s[4])

    # ---- layout: the journey ------------------------------------------------------------------------

    def lay_out_journey(self) -> None:
        """Waypoint pictures along a wavy path across the frame, the step of each under it."""
        box = self.content_box()
        self.picks = [int(k) for k in np.unique(np.linspace(0, self.steps, min(WAYPOINTS, self.steps + 1)).round())]
        n = len(self.picks)
        gap = 0.3
        cell = min((box.width - (n - 1) * gap) / n, box.height * 0.32)
        label_h = line_height(SMALL_SIZE) + 0.1
        amp = min(1.4, (box.height - cell - 2 * label_h) / 2 - 0.1)
        cy = box.centre[1]
        centres = [
            (box.left + cell / 2 + k * (box.width - cell) / max(n - 1, 1), cy + amp * (-1) ** (k + 1), 0.0)
            for k in range(n)
        ]
        self.waypoints = [
            self.image_mobject(self.previews[k], cell).move_to(c) for k, c in zip(self.picks, centres, strict=True)
        ]
        self.way_labels = VGroup()
        for k, mob in zip(self.picks, self.waypoints, strict=True):
            name = "noise" if k == 0 else ("image" if k == self.steps else f"step {k}")
            colour = self.theme.accent if k in (0, self.steps) else self.theme.muted
            self.way_labels.add(self.text(name, SMALL_SIZE, colour).next_to(mob, DOWN, buff=0.1))
        self.path = VMobject(stroke_color=self.theme.accent, stroke_width=4)
        self.path.set_points_smoothly([np.array(c) for c in centres])

    # ---- layout: the four panels --------------------------------------------------------------------

    def lay_out_panels(self) -> None:
        """Four panels, two rows: a heading (name, metaphor) over each control's pictures. On top the
        seed (two pairs of pictures: the wider) and the prompt; below, the steps and guidance."""
        box = self.content_box()
        h = (box.height - PANEL_GAP) / 2
        split = box.left + (box.width - PANEL_GAP) * 0.57
        mid = box.left + (box.width - PANEL_GAP) / 2
        top, low = (box.top - h, box.top), (box.bottom, box.bottom + h)
        boxes = [
            Box(box.left, split, *top),
            Box(split + PANEL_GAP, box.right, *top),
            Box(box.left, mid, *low),
            Box(mid + PANEL_GAP, box.right, *low),
        ]
        self.headings = [self.heading(name, b) for name, b in zip(METAPHOR, boxes, strict=True)]
        caption_h = line_height(SMALL_SIZE) + 0.1
        room = [
            Box(b.left, b.right, b.bottom + caption_h, hd.get_bottom()[1] - 0.2)
            for b, hd in zip(boxes, self.headings, strict=True)
        ]
        room[1] = room[1]._replace(bottom=boxes[1].bottom)  # the prompt has no captions: its text may go lower
        self.seed_panel = self.seed_pictures(room[0])
        self.prompt_panel = self.compass(room[1])
        steps = [(str(k), "step" if k == 1 else "steps") for k in self.info["step_counts"]]
        self.step_panel = self.picture_row(room[2], self.arrays["step_images"], steps)
        scales = [("guidance", short_number(g)) for g in self.info["guidance_scales"]]
        self.guidance_panel = self.picture_row(room[3], self.arrays["guidance_images"], scales)

    def heading(self, name: str, panel: Box) -> Mobject:
        """A panel's heading, top left: the control's name, then its part in the journey."""
        head = self.fit_width(self.term(name, METAPHOR[name]), panel.width)
        return head.move_to((panel.left, panel.top - head.height / 2, 0), aligned_edge=LEFT)

    def captioned(self, image: np.ndarray, cell: float, caption: list[str]) -> Group:
        """A picture with its caption (lines) under it."""
        mob = self.image_mobject(image, cell)
        return Group(mob, centred_lines(self, caption, SMALL_SIZE, self.theme.muted).next_to(mob, DOWN, buff=0.1))

    def picture_row(self, room: Box, images: np.ndarray, captions: list[tuple[str, str]]) -> Group:
        """Pictures side by side, each with its caption ("8 steps", "guidance 4"), as large as the room
        allows, left-aligned. A caption wider than its picture's share of the row goes on two lines
        (the number over the word), which the pictures make room for."""
        n = len(images)
        column = (room.width - (n - 1) * CELL_GAP) / n
        per_char = char_width(SMALL_SIZE) * DIGIT_WIDTH
        lines = [[f"{a} {b}"] if len(f"{a} {b}") * per_char <= column + CELL_GAP - 0.1 else [a, b] for a, b in captions]
        extra = lines_height(max(len(c) for c in lines), SMALL_SIZE) - line_height(SMALL_SIZE)
        cell = min(room.height - extra, column)
        row = Group(*[self.captioned(im, cell, c) for im, c in zip(images, lines, strict=True)])
        for k, picture in enumerate(row):  # by the pictures, not the captions (which may be wider)
            picture.shift((room.left + k * (cell + CELL_GAP) + cell / 2 - picture[0].get_x()) * RIGHT)
            picture.shift((room.top - cell / 2 - picture[0].get_y()) * UP)
        return row

    def seed_pictures(self, room: Box) -> Group:
        """For each seed: its starting noise, an arrow, its image; the seed under the pair (a long seed
        wrapped to the pair's width, the pictures a little smaller for its lines)."""
        arrow_w, n, buff = 0.55, len(self.info["seeds"]), 0.45
        pair_w = (room.width - (n - 1) * buff) / n  # a pair's share of the room
        lines = [number_lines("seed", seed, SMALL_SIZE, pair_w - 0.05) for seed in self.info["seeds"]]
        extra = lines_height(max(len(w) for w in lines), SMALL_SIZE) - line_height(SMALL_SIZE)
        cell = min(room.height - extra, (pair_w - arrow_w) / 2)
        pairs = Group()
        for k, words in enumerate(lines):
            noise = self.image_mobject(self.arrays["seed_noise"][k], cell)
            noise.move_to((room.left + k * (2 * cell + arrow_w + buff) + cell / 2, room.top - cell / 2, 0))
            image = self.image_mobject(self.arrays["seed_images"][k], cell).next_to(noise, RIGHT, buff=arrow_w)
            arrow = Arrow(
                noise.get_right(),
                image.get_left(),
                buff=0.06,
                color=self.theme.muted,
                stroke_width=3,
                max_tip_length_to_length_ratio=0.35,
            )
            label = centred_lines(self, words, SMALL_SIZE, self.theme.series(k))
            label.next_to(Group(noise, image), DOWN, buff=0.1)
            label.set_x(max(label.get_x(), room.left + label.width / 2))  # under a pair narrower than its seed
            pairs.add(Group(noise, arrow, image, label))
        return pairs

    def compass(self, room: Box) -> Group:
        """A compass whose needle will point at the destination image, and the prompt it reads.

        The prompt is wrapped beside the image and may reach below it, down to the panel's bottom; a
        prompt too long for that makes the image smaller, so its lines get wider (the text is never
        shrunk below the type scale)."""
        quoted = f"“{self.info['prompt']}”"
        for share in (0.28, 0.24, 0.2, 0.16, 0.12):
            cell = min(room.height, room.width * share)
            radius = min(cell * 0.3, 0.55)
            text_w = room.width - 2 * radius - 0.3 - 0.3 - cell
            # wrapped a little narrower than the room: the estimate of a line's width is not exact, and
            # fit_width below must not have to shrink the text under the type scale
            lines = wrap_lines(quoted.split(), SMALL_SIZE, text_w * 0.95, max_lines=99)
            if lines_height(len(lines), SMALL_SIZE) <= room.height:
                break
        image = self.image_mobject(self.arrays["image"], cell)
        image.move_to((room.right - cell / 2, room.top - cell / 2, 0))
        dial = Circle(
            radius=radius, stroke_width=2.5, color=self.theme.muted, fill_color=self.theme.panel, fill_opacity=1
        )
        dial.move_to((room.left + radius, image.get_y(), 0))
        north = self.text("N", SMALL_SIZE, self.theme.muted).move_to(dial.get_top() + DOWN * 0.22)
        self.needle = compass_needle(radius * 1.7, self.theme.accent, self.theme.muted).move_to(dial)
        self.needle.rotate(math.radians(125), about_point=dial.get_center())  # it swings to the image (east)
        text_left = dial.get_right()[0] + 0.3
        words = self.text("\n".join(lines), SMALL_SIZE, self.theme.text)
        self.fit_width(words, image.get_left()[0] - 0.3 - text_left)
        words.move_to((text_left, min(image.get_y(), room.top - words.height / 2), 0), aligned_edge=LEFT)
        self.dial_centre = dial.get_center()
        return Group(dial, north, self.needle, words, image)

    # ---- layout: the replay -----------------------------------------------------------------------

    def lay_out_replay(self) -> None:
        """A large image on the left with a step counter; the four controls' values right of it."""
        box = self.content_box()
        self.step_count = Counter(
            self, f"step {{}} / {self.steps}", "0" * len(str(self.steps)), LABEL_SIZE, self.theme.muted
        )
        side = min(box.height - self.step_count.height - 0.2, box.width * 0.42)
        self.big = self.image_mobject(self.previews[0], side).move_to((box.left + side / 2, box.top - side / 2, 0))
        self.step_count.show("0").next_to(self.big, DOWN, buff=0.15)
        info = self.info
        values = {
            "seed": f"seed {info['seed']}",
            "prompt": "prompt",
            "steps": f"{info['steps']} step" + ("" if info["steps"] == 1 else "s"),
            "guidance": f"guidance {short_number(float(info['guidance']))}",
        }
        lines = VGroup(*[self.term(value, METAPHOR[name]) for name, value in values.items()])
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.4)
        self.closing = self.text("From noise to image.", HEADING_SIZE, self.theme.accent, bold=True)
        right = box.right_of(self.big.get_right()[0], gap=0.8)
        self.values = lines
        self.fit_width(self.values, right.width)
        Group(self.values, self.closing).arrange(DOWN, aligned_edge=LEFT, buff=0.7).move_to(
            (right.left, self.big.get_y(), 0), aligned_edge=LEFT
        )

    # ---- beats --------------------------------------------------------------------------------------

    def journey(self, slot: Slot) -> None:
        """1. The journey: the path is drawn from the noise to the image, the state appearing at each waypoint."""
        full = self.path.copy()
        trail = self.path
        head = Dot(self.waypoints[0].get_center(), radius=0.1, color=self.theme.accent)
        n = len(self.picks)
        with self.beat(slot, "journey"):
            trail.pointwise_become_partial(full, 0, 0.001)
            self.add(trail, head)
            self.play_until(slot.at(0.1), Fade(self.waypoints[0]), Fade(self.way_labels[0]))

            def show(k: int) -> None:
                alpha = (k + 1) / max(n - 1, 1)
                trail.pointwise_become_partial(full, 0, min(alpha, 1.0))
                head.move_to(trail.get_end())
                self.add(*self.waypoints[: k + 2], *self.way_labels[: k + 2])
                if k + 2 < n:  # the traveller, until it arrives (then the last picture is on top)
                    self.add(head)
                else:
                    self.remove(head)

            self.step_through(slot.at(0.12), slot.at(0.9), n - 1, show)
        self.journey_parts = [trail, head, *self.waypoints, self.way_labels]

    def start_and_compass(self, slot: Slot) -> None:
        """2. The seed: where you start. The prompt: the compass, its needle swinging to the destination."""
        with self.beat(slot, "seed-and-prompt"):
            self.play_until(slot.at(0.08), *self.fade_out(*self.journey_parts))
            self.play_until(slot.at(0.16), Fade(self.headings[0], shift=RIGHT * 0.2))
            for k, pair in enumerate(self.seed_panel):
                self.play_until(slot.at(0.24 + 0.1 * k), Fade(pair[0]), Fade(pair[3]))
                self.play_until(slot.at(0.29 + 0.1 * k), Fade(pair[1], shift=RIGHT * 0.2), Fade(pair[2]))
            self.play_until(slot.at(0.55), Fade(self.headings[1], shift=RIGHT * 0.2))
            dial, north, needle, words, image = self.prompt_panel
            self.play_until(slot.at(0.65), Fade(dial), Fade(north), Fade(needle), Fade(words))
            self.play_until(slot.at(0.75), Fade(image))
            self.play_until(slot.at(0.9), Rotate(self.needle, -math.radians(125), about_point=self.dial_centre))

    def checks_and_strength(self, slot: Slot) -> None:
        """3. Steps: how often you check the compass. Guidance: how strongly you follow it."""
        with self.beat(slot, "steps-and-guidance"):
            for k, (heading, row) in enumerate(
                ((self.headings[2], self.step_panel), (self.headings[3], self.guidance_panel))
            ):
                base = 0.05 + 0.45 * k
                self.play_until(slot.at(base + 0.06), Fade(heading, shift=RIGHT * 0.2))
                for j, picture in enumerate(row):
                    self.play_until(slot.at(base + 0.1 + 0.3 * (j + 1) / len(row)), Fade(picture, shift=RIGHT * 0.15))

    def replay(self, slot: Slot) -> None:
        """4. The journey once more, beside the four controls; the closing line."""
        panels = [*self.headings, self.seed_panel, self.prompt_panel, self.step_panel, self.guidance_panel]
        with self.beat(slot, "replay"):
            self.play_until(slot.at(0.1), *self.fade_out(*panels))
            self.set_image(self.big, self.previews[0])
            self.play_until(slot.at(0.18), Fade(self.big), Fade(self.step_count), Fade(self.values, shift=LEFT * 0.2))

            def show(i: int) -> None:
                self.set_image(self.big, self.previews[i + 1])
                self.step_count.show(str(i + 1))

            self.step_through(slot.at(0.18), slot.at(0.7), self.steps, show)
            self.play_until(slot.at(0.8), Fade(self.closing, shift=UP * 0.15))


def compass_needle(length: float, tip: str, tail: str) -> VGroup:
    """A compass needle pointing east: a thin diamond, the half that points in `tip`, the other in `tail`."""
    half, w = length / 2, length * 0.12
    east = Polygon((0, w, 0), (half, 0, 0), (0, -w, 0), stroke_width=0, fill_color=tip, fill_opacity=1)
    west = Polygon((0, w, 0), (-half, 0, 0), (0, -w, 0), stroke_width=0, fill_color=tail, fill_opacity=1)
    return VGroup(west, east)
