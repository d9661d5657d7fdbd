"""latent_space: the model works on a small latent, not on pixels; its steps as colours and as a path.

Beats (slots): 0 title; 1 image size vs latent size (real numbers, ratio), the two side by side and
large; 2 the latent at every step as 3 PCA components mapped to RGB (nearest-neighbour: it is
data) beside the decoded image; 3 the pair slides left to make room for the 2D PCA plane, and the
trajectory is drawn across it from random start to destination while the pair replays the steps.
"""

from __future__ import annotations

from manim import DOWN, UP, Dot, Group, VGroup, VMobject

from scenes.common import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, Box, ChapterScene, Fade, Slot
from scenes.widgets import fit_points, label_beside, labelled_plane

GAP = 0.6  # between panels


class LatentSpaceScene(ChapterScene):
    """The decoded image beside its latent (as colours), step by step, then the latent's path."""

    def construct(self) -> None:
        self.previews, self.colours = self.arrays["previews"], self.arrays["latent_colour"]
        self.steps = int(self.info["steps"])
        s = self.slots(4)
        self.lay_out_pair()
        self.lay_out_plane()

        self.title_beat(s[0])
        self.sizes(s[1])
        self.every_step(s[2])
        self.path(s[3])

    def show_step(self, i: int) -> None:
        """The decoded image and the latent's colours at step `i`."""
        self.set_image(self.image, self.previews[i])
        self.set_image(self.latent, self.colours[i], smooth=False)

    def lay_out_pair(self) -> None:
        """The finished image and its latent side by side, centred, each with its size; ratio and key under them."""
        info, box = self.info, self.content_box()
        (H, W, _), (C, h, w) = info["image_shape"], info["latent_shape"]
        self.image_label = self.caption("image", info["image_values"], f"{W} × {H} × 3")
        self.latent_label = self.caption("latent", info["latent_values"], f"{w} × {h} × {C}")
        self.ratio = self.text(f"{info['ratio']:.0f}× fewer numbers", BODY_SIZE, self.theme.accent, bold=True)
        self.key = self.text("latent: its 3 strongest directions as red, green, blue", LABEL_SIZE, self.theme.muted)
        below = self.image_label.height + self.ratio.height + self.key.height + 0.15 + 0.25 + 0.15
        side = min(box.height - below, (box.width - GAP) / 2)
        self.image = self.image_mobject(self.previews[-1], side)
        self.latent = self.image_mobject(self.colours[-1], side, smooth=False)
        Group(self.image, self.latent).arrange(buff=GAP).move_to((0, box.top - side / 2, 0))
        self.place_under_pair()

    def caption(self, name: str, values: int, shape: str) -> VGroup:
        """Two lines under an image: how many numbers it is, and its shape."""
        return VGroup(
            self.text(f"{name}: {values:,} numbers", LABEL_SIZE),
            self.text(shape, SMALL_SIZE, self.theme.muted),
        ).arrange(DOWN, buff=0.1)

    def place_under_pair(self) -> None:
        """Each caption under its image, the ratio and the key centred under both."""
        for label, mob in ((self.image_label, self.image), (self.latent_label, self.latent)):
            label.next_to(mob, DOWN, buff=0.15)
        self.ratio.next_to(Group(self.image_label, self.latent_label), DOWN, buff=0.25)
        self.key.next_to(self.ratio, DOWN, buff=0.15)
        self.pair = Group(self.image, self.latent, self.image_label, self.latent_label, self.ratio, self.key)

    def lay_out_plane(self) -> None:
        """The path plane: the right third, once the two images have shrunk and moved left (`targets`)."""
        box = self.content_box()
        side = min(self.image.height, (box.width - 2 * GAP) / 3)
        top = self.image.get_top()[1]
        image_to = self.image.copy().set_height(side).move_to((box.left + side / 2, top - side / 2, 0))
        latent_to = self.latent.copy().set_height(side).next_to(image_to, buff=GAP)
        self.targets = (image_to, latent_to)
        plane_left = latent_to.get_right()[0] + GAP
        area = Box(plane_left, box.right, box.bottom, top)
        self.plane, self.plane_label, self.plane_box = labelled_plane(
            self, area, "the latent's path (PCA)", height=side
        )
        self.points = fit_points(self.arrays["path"], self.plane_box, pad=0.15)

    def sizes(self, slot: Slot) -> None:
        """1. Image vs latent: sizes and ratio."""
        with self.beat(slot, "sizes"):
            self.play_until(slot.at(0.3), Fade(self.image), Fade(self.image_label))
            self.play_until(slot.at(0.6), Fade(self.latent, shift=UP * 0.2), Fade(self.latent_label))
            self.play_until(slot.at(0.85), Fade(self.ratio, scale=1.2))

    def every_step(self, slot: Slot) -> None:
        """2. Every step: decoded image and latent colours side by side."""
        with self.beat(slot, "steps"):
            self.show_step(0)
            self.play_until(slot.at(0.1), Fade(self.key))
            self.step_through(slot.at(0.1), slot.at(0.9), self.steps, lambda i: self.show_step(i + 1))

    def path(self, slot: Slot) -> None:
        """3. The pair moves aside; the trajectory is drawn as a path, replayed with the images."""
        points, accent = self.points, self.theme.accent
        with self.beat(slot, "path"):

            def aside() -> None:
                self.image.become(self.targets[0])
                self.latent.become(self.targets[1])
                self.place_under_pair()

            self.play_until(slot.at(0.1), *self.moves_to_layout(self.pair, aside))
            start = Dot(points[0], radius=0.07, color=self.theme.muted)
            trail = VMobject(stroke_color=accent, stroke_width=3)
            trail.set_points_as_corners([points[0], points[0]])
            head = Dot(points[0], radius=0.08, color=accent)
            start_label = self.text("noise", LABEL_SIZE, self.theme.muted)
            label_beside(start_label, points[0], points[0] - points[1], self.plane_box)
            self.play_until(
                slot.at(0.18),
                Fade(self.plane),
                Fade(self.plane_label),
                Fade(start),
                Fade(head),
                Fade(start_label),
            )

            def show_path(i: int) -> None:
                self.show_step(i)
                trail.set_points_as_corners(points[: i + 1] if i > 0 else [points[0], points[0]])
                head.move_to(points[i])

            self.add(trail, head)
            self.step_through(slot.at(0.18), slot.at(0.85), self.steps + 1, show_path)
            end_label = self.text("image", LABEL_SIZE, accent)
            label_beside(end_label, points[-1], points[-1] - points[-2], self.plane_box)
            self.play_until(slot.at(0.95), Fade(end_label))
