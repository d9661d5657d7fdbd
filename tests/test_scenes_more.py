"""Scenes given more beats than they have phases render to the narration's length, in the light theme.

Each scene is rendered by the engine's own path (render/stages/clips.render_clip: a manim subprocess) at a
tiny size and frame rate, from a bundle analysed from fake trajectories (tests/conftest.py) with its kind's
example parameters, and the clip is read back with ffprobe: size, frame rate, and a length equal to the
narration's total. (Every kind with three beats: tests/test_scenes.py.)
"""

from __future__ import annotations

import pytest

from render.kinds import KINDS
from render.media.ffmpeg import video_info
from render.stages.clips import render_clip

SIZE = (256, 144)
FPS = 10


def render_and_probe(tmp_path, chapter_bundle, params_for, kind, narration, theme="dark"):
    chapter, timing = chapter_bundle(kind, params_for(**KINDS[kind].example), narration, theme=theme)
    clip = render_clip(KINDS[kind].scene, chapter, timing, tmp_path / f"{kind}.mp4", "low", fps=FPS, resolution=SIZE)
    return video_info(clip), timing.total


def check_meta(meta: dict, total: float) -> None:
    assert meta["codec"] == "h264"
    assert (meta["width"], meta["height"]) == SIZE
    assert meta["fps"] == FPS
    assert abs(meta["frames"] - round(total * FPS)) <= 1
    assert abs(meta["duration"] - total) <= 1 / FPS + 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["prompt_detail", "interpolation"])
def test_scene_fits_more_beats_than_phases_in_light_theme(tmp_path, chapter_bundle, params_for, kind):
    narration = [f"Beat number {i} of six is spoken." for i in range(6)]
    meta, total = render_and_probe(tmp_path, chapter_bundle, params_for, kind, narration, theme="light")
    check_meta(meta, total)


def test_slider_drag_goes_back_and_forth():
    from scenes.widgets import triangle

    assert [round(triangle(u, 3), 6) for u in (0, 1 / 6, 1 / 3, 0.5, 2 / 3, 1)] == [0, 0.5, 1, 0.5, 0, 1]
