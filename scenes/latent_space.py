"""latent_space: the model works on a small latent, not on pixels; its steps as colours and as a path.

Beats (slots): 0 title; 1 image size vs latent size (real numbers, ratio); 2 the latent at every
step as 3 PCA components mapped to RGB (nearest-neighbour: it is data) beside the decoded image;
3 the trajectory as a path across the 2D PCA plane, from random start to destination.
"""

from __future__ import annotations

from manim import DOWN, UP, Dot, FadeIn, Rectangle, VGroup, VMobject

from scenes.common import BODY_SIZE, LABEL_SIZE, ChapterScene, fit_points


class LatentSpaceScene(ChapterScene):
    def construct(self) -> None:
        info, previews, colours = self.info, self.arrays["previews"], self.arrays["latent_colour"]
        path = self.arrays["path"]
        steps = int(info["steps"])
        s = self.slots(4)
        left, right, bottom, top = self.content_box()
        (H, W, _), (C, h, w) = info["image_shape"], info["latent_shape"]

        # 0. Title
        with self.beat(s[0], "title"):
            self.title_card(s[0], hold=0.6)

        # 1. Image vs latent: sizes and ratio
        side = min(top - bottom - 1.4, 3.6)
        y = top - 0.45 - side / 2
        image = self.image_mobject(previews[-1], side).move_to((left + 0.3 + side / 2, y, 0))
        latent = self.image_mobject(colours[-1], side, smooth=False).next_to(image, buff=0.6)
        image_label = self.text(f"image {W}×{H}×3 = {info['image_values']:,}", LABEL_SIZE)
        latent_label = self.text(f"latent {w}×{h}×{C} = {info['latent_values']:,}", LABEL_SIZE)
        for lab, mob in ((image_label, image), (latent_label, latent)):
            self.fit_width(lab, side + 0.5)
            lab.next_to(mob, DOWN, buff=0.15)
        ratio = self.text(f"{info['ratio']:.0f}× fewer numbers", BODY_SIZE, self.theme.accent, bold=True)
        ratio.next_to(VGroup(image_label, latent_label), DOWN, buff=0.25)
        with self.beat(s[1], "sizes"):
            self.play_until(s[1].at(0.3), FadeIn(image), FadeIn(image_label))
            self.play_until(s[1].at(0.6), FadeIn(latent, shift=UP * 0.2), FadeIn(latent_label))
            self.play_until(s[1].at(0.85), FadeIn(ratio))

        # The path plane on the right
        plane_left = latent.get_right()[0] + 0.6
        plane = Rectangle(width=right - plane_left, height=side, stroke_width=1.2, color=self.theme.muted)
        plane.move_to(((plane_left + right) / 2, y, 0))
        plane_label = self.text("latent path (2 PCA components)", LABEL_SIZE, self.theme.muted)
        self.fit_width(plane_label, plane.width)
        plane_label.next_to(plane, DOWN, buff=0.15)
        box = (plane.get_left()[0], plane.get_right()[0], plane.get_bottom()[1], plane.get_top()[1])
        points = fit_points(path, box, pad=0.1)

        # 2. Every step: decoded image and latent colours side by side
        with self.beat(s[2], "steps"):
            self.set_image(image, previews[0])
            self.set_image(latent, colours[0], smooth=False)
            caption = self.text("3 strongest latent directions shown as red, green, blue", LABEL_SIZE, self.theme.muted)
            self.fit_width(caption, right - left)
            caption.next_to(ratio, DOWN, buff=0.15)
            self.play_until(s[2].at(0.1), FadeIn(caption))

            def show(i: int) -> None:
                self.set_image(image, previews[i + 1])
                self.set_image(latent, colours[i + 1], smooth=False)

            self.step_through(s[2].at(0.1), s[2].at(0.9), steps, show)

        # 3. The trajectory as a path, replayed with the images
        with self.beat(s[3], "path"):
            start = Dot(points[0], radius=0.07, color=self.theme.muted)
            trail = VMobject(stroke_color=self.theme.accent, stroke_width=3)
            trail.set_points_as_corners([points[0], points[0]])
            head = Dot(points[0], radius=0.08, color=self.theme.accent)
            start_label = self.text("noise", LABEL_SIZE, self.theme.muted).next_to(start, UP, buff=0.1)
            self.play_until(
                s[3].at(0.12), FadeIn(plane), FadeIn(plane_label), FadeIn(start), FadeIn(head), FadeIn(start_label)
            )

            def show_path(i: int) -> None:
                self.set_image(image, previews[i])
                self.set_image(latent, colours[i], smooth=False)
                trail.set_points_as_corners(points[: i + 1] if i > 0 else [points[0], points[0]])
                head.move_to(points[i])

            self.add(trail, head)
            self.step_through(s[3].at(0.12), s[3].at(0.85), steps + 1, show_path)
            end_label = self.text("image", LABEL_SIZE, self.theme.accent).next_to(head, DOWN, buff=0.1)
            self.play_until(s[3].at(0.95), FadeIn(end_label))
