"""Preview mode's pieces (scenes/common.py): animations jumped to their end, and what is on screen.

In preview mode a ChapterScene does not play its animations (`finish_at_once`), and at the end of
each beat saves the frame and the boxes of the visible texts, images and shapes (`save_beat`,
`on_screen`), all of a chapter's beats going into beats.json (`write_beats`), which
`noise2image preview` and tests/test_frames.py read back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from manim import (
    ApplyMethod,
    ImageMobject,
    MarkupText,
    Mobject,
    ReplacementTransform,
    Scene,
    Text,
    Transform,
    VMobject,
    config,
)
from manim.animation.transform import _MethodAnimation
from manim.mobject.mobject import _AnimationBuilder
from PIL import Image

from scenes.look import SAFE, cap_height

BEATS_JSON = "beats.json"


def finish_at_once(scene: Scene, animation: Any) -> None:
    """Put `scene` in the state `animation` ends in, without playing it.

    Manim's own skipping still begins every animation, and beginning one copies its mobjects
    (deep copies of every glyph of a text): most of a preview's time. The end state needs no
    copy: an introducer (FadeIn, Create, GrowFromEdge) ends on its mobject as it is, a remover
    (FadeOut) without it, `mob.animate.f()` and `ApplyMethod(mob.f)` on f applied to mob (what
    Manim's own finish does), a transform on its target. Anything else is played (skipped: no frame
    drawn) by Manim. (Scenes use ApplyMethod rather than `.animate`, which copies its mobject as
    soon as it is written, even when the animation is never played.)
    """
    if isinstance(animation, _AnimationBuilder):
        animation = animation.build()
    if animation.is_introducer():
        scene.add(animation.mobject)
    elif animation.is_remover():
        scene.remove(animation.mobject)
    elif isinstance(animation, _MethodAnimation):  # mob.animate.f(...): the end is f applied to mob
        for call in animation.methods:
            call.method.__func__(animation.mobject, *call.args, **call.kwargs)
    elif isinstance(animation, ApplyMethod):  # the end is the method applied to its own mobject
        args = list(animation.method_args)
        kwargs = args.pop() if args and isinstance(args[-1], dict) else {}  # ApplyMethod's convention
        animation.method(*args, **kwargs)
    elif isinstance(animation, ReplacementTransform):
        scene.remove(animation.mobject)
        scene.add(animation.target_mobject)
    elif isinstance(animation, Transform):  # create_target: the target given, or made (Rotate, ApplyMethod)
        scene.add(animation.mobject.become(animation.create_target()))
    else:
        scene.play(animation, run_time=1 / config.frame_rate)


def save_beat(scene: Scene, folder: Path, name: str, header: Iterable[Mobject]) -> dict[str, Any]:
    """Save the frame as it is now as folder/name.png; the beat's record: its time, frame and boxes
    (those of `header`'s family marked as the header)."""
    scene.renderer.static_image = None  # draw everything afresh, not over a frame kept from a play
    scene.renderer.update_frame(scene)
    folder.mkdir(parents=True, exist_ok=True)
    frame = f"{name}.png"
    Image.fromarray(scene.renderer.get_frame()[..., :3]).save(folder / frame, compress_level=3)
    in_header = {id(m) for m in header}
    boxes = [{**box, "header": id(mob) in in_header} for mob, box in on_screen(scene.mobjects)]
    return {"name": name, "time": round(float(scene.renderer.time), 4), "frame": frame, "mobjects": boxes}


def write_beats(folder: Path, title: str, theme: str, beats: list[dict[str, Any]]) -> Path:
    """folder/beats.json: the chapter's title and theme, the frame's size and safe box, its beats."""
    frame = {
        "width_px": config.pixel_width,
        "height_px": config.pixel_height,
        "frame_width": config.frame_width,
        "frame_height": config.frame_height,
        "safe": SAFE,
    }
    record = {"title": title, "theme": theme, "frame": frame, "beats": beats}
    path = folder / BEATS_JSON
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return path


TEXT_TYPES = (Text, MarkupText)


def _alpha(mob: Mobject) -> float:
    """How opaque the most opaque part of `mob` (without its submobjects) is, 0..1; 0 for nothing drawn."""
    if isinstance(mob, ImageMobject):
        return float(mob.pixel_array[..., 3].max()) / 255 if mob.pixel_array.size else 0.0
    if not isinstance(mob, VMobject) or not mob.has_points():
        return 0.0
    fill = float(np.max(mob.get_fill_opacities(), initial=0.0))
    stroke = float(np.max(mob.get_stroke_opacities(), initial=0.0)) if mob.get_stroke_width() > 0 else 0.0
    return max(fill, stroke)


def _box(mob: Mobject) -> list[float]:
    return [round(float(v), 4) for v in (mob.get_left()[0], mob.get_bottom()[1], mob.get_right()[0], mob.get_top()[1])]


def on_screen(mobjects: Iterable[Mobject]) -> Iterator[tuple[Mobject, dict[str, Any]]]:
    """(mobject, record) for every visible text, image and shape in `mobjects` and their families.

    A text is one record (its glyphs are not walked), and so is a mobject with a `text_size` (a
    widget drawn from text glyphs, like widgets.Counter); groups are walked into. A record has `kind`
    (text, image or shape), `box` [left, bottom, right, top] in frame units and, for texts, `text`
    and `cap_px` (the height of its capital letters in pixels at the current resolution).
    """
    px_per_unit = config.pixel_height / config.frame_height
    for mob in mobjects:
        size = mob.font_size if isinstance(mob, TEXT_TYPES) else getattr(mob, "text_size", None)
        if size is not None:  # a text (or a widget drawn from text glyphs, which says its size)
            if max((_alpha(g) for g in mob.family_members_with_points()), default=0.0) > 0.05:
                cap = cap_height(size) * px_per_unit
                yield mob, {"kind": "text", "box": _box(mob), "text": mob.original_text, "cap_px": round(cap, 2)}
            continue
        if _alpha(mob) > 0.05:
            yield mob, {"kind": "image" if isinstance(mob, ImageMobject) else "shape", "box": _box(mob)}
        yield from on_screen(mob.submobjects)
