"""latent_space: the model works on a small latent, not on pixels; its steps as colours and as a path.

Beats (slots): 0 title; 1 image size vs latent size (real numbers, ratio); 2 the latent at every
step as 3 PCA components mapped to RGB (nearest-neighbour: it is data) beside the decoded image;
3 the trajectory as a path across the 2D PCA plane, from random start to destination.
"""

from __future__ import annotations

from manim import DOWN, UP, Dot, FadeIn, VGroup, VMobject

from scenes.common import BODY_SIZE, LABEL_SIZE, ChapterScene, Slot, fit_points
from scenes.widgets import labelled_plane


class LatentSpaceScene(ChapterScene):
    """The decoded image beside its latent (as colours), step by step, then the latent's path."""

    def construct(self) -> None:
        self.previews, self.colours = self.arrays["previews"], self.arrays["latent_colour"]
        self.steps = int(self.info["steps"])
        s = self.slots(4)
        self.title_beat(s[0], hold=0.6)
        self.lay_out_sizes()
        self.sizes(s[1])
        self.lay_out_plane()
        self.every_step(s[2])
        self.path(s[3])

    def show_step(self, i: int) -> None:
        """The decoded image and the latent's colours at step `i`."""
        self.set_image(self.image, self.previews[i])
        self.set_image(self.latent, self.colours[i], smooth=False)

    def lay_out_sizes(self) -> None:
        """The finished image and its latent side by side, each with its size; their ratio under them."""
        info = self.info
        left, _, bottom, top = self.content_box()
        (H, W, _), (C, h, w) = info["image_shape"], info["latent_shape"]
        self.side = side = min(top - bottom - 1.4, 3.6)
        self.image_y = top - 0.45 - side / 2
        self.image = self.image_mobject(self.previews[-1], side).move_to((left + 0.3 + side / 2, self.image_y, 0))
        self.latent = self.image_mobject(self.colours[-1], side, smooth=False).next_to(self.image, buff=0.6)
        self.image_label = self.text(f"image {W}×{H}×3 = {info['image_values']:,}", LABEL_SIZE)
        self.latent_label = self.text(f"latent {w}×{h}×{C} = {info['latent_values']:,}", LABEL_SIZE)
        for lab, mob in ((self.image_label, self.image), (self.latent_label, self.latent)):
            self.fit_width(lab, side + 0.5)
            lab.next_to(mob, DOWN, buff=0.15)
        self.ratio = self.text(f"{info['ratio']:.0f}× fewer numbers", BODY_SIZE, self.theme.accent, bold=True)
        self.ratio.next_to(VGroup(self.image_label, self.latent_label), DOWN, buff=0.25)

    def sizes(self, slot: Slot) -> None:
        """1. Image vs latent: sizes and ratio."""
        with self.beat(slot, "sizes"):
            self.play_until(slot.at(0.3), FadeIn(self.image), FadeIn(self.image_label))
            self.play_until(slot.at(0.6), FadeIn(self.latent, shift=UP * 0.2), FadeIn(self.latent_label))
            self.play_until(slot.at(0.85), FadeIn(self.ratio))

    def lay_out_plane(self) -> None:
        """The path plane on the right."""
        _, right, _, _ = self.content_box()
        plane_left = self.latent.get_right()[0] + 0.6
        self.plane, self.plane_label, box = labelled_plane(
            self,
            right - plane_left,
            self.side,
            ((plane_left + right) / 2, self.image_y),
            "latent path (2 PCA components)",
            caption_buff=0.15,
        )
        self.points = fit_points(self.arrays["path"], box, pad=0.1)

    def every_step(self, slot: Slot) -> None:
        """2. Every step: decoded image and latent colours side by side."""
        left, right, _, _ = self.content_box()
        with self.beat(slot, "steps"):
            self.show_step(0)
            caption = self.text("3 strongest latent directions shown as red, green, blue", LABEL_SIZE, self.theme.muted)
            self.fit_width(caption, right - left)
            caption.next_to(self.ratio, DOWN, buff=0.15)
            self.play_until(slot.at(0.1), FadeIn(caption))
            self.step_through(slot.at(0.1), slot.at(0.9), self.steps, lambda i: self.show_step(i + 1))

    def path(self, slot: Slot) -> None:
        """3. The trajectory as a path, replayed with the images."""
        points, accent = self.points, self.theme.accent
        with self.beat(slot, "path"):
            start = Dot(points[0], radius=0.07, color=self.theme.muted)
            trail = VMobject(stroke_color=accent, stroke_width=3)
            trail.set_points_as_corners([points[0], points[0]])
            head = Dot(points[0], radius=0.08, color=accent)
            start_label = self.text("noise", LABEL_SIZE, self.theme.muted).next_to(start, UP, buff=0.1)
            self.play_until(
                slot.at(0.12),
                FadeIn(self.plane),
                FadeIn(self.plane_label),
                FadeIn(start),
                FadeIn(head),
                FadeIn(start_label),
            )

            def show_path(i: int) -> None:
                self.show_step(i)
                trail.set_points_as_corners(points[: i + 1] if i > 0 else [points[0], points[0]])
                head.move_to(points[i])

            self.add(trail, head)
            self.step_through(slot.at(0.12), slot.at(0.85), self.steps + 1, show_path)
            end_label = self.text("image", LABEL_SIZE, accent).next_to(head, DOWN, buff=0.1)
            self.play_until(slot.at(0.95), FadeIn(end_label))
