"""Render each of the base scenes at a tiny size from a fake bundle and check the clip it makes."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from render.kinds import KINDS
from render.media.ffmpeg import video_info
from render.stages.clips import render_clip

ROOT = Path(__file__).resolve().parent.parent
CONTROL = ROOT / "tests" / "data" / "control_frames"
TINY = (256, 144)
NARRATION = ["A first beat of a few words.", "A second beat.", "The third beat is a bit longer than that."]


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_scene_renders_to_the_narration_length(kind, chapter_bundle, params_for, tmp_path):
    chapter, timing = chapter_bundle(kind, params_for(**KINDS[kind].example), NARRATION)
    out = render_clip(KINDS[kind].scene, chapter, timing, tmp_path / f"{kind}.mp4", "low", resolution=TINY)
    meta = video_info(out)
    total = timing.total
    assert (meta["width"], meta["height"]) == TINY
    assert meta["fps"] == 15
    assert meta["frames"] == round(total * 15)
    assert abs(meta["duration"] - total) <= 1 / 15


def test_unknown_quality_is_a_clear_error(tmp_path):
    from render.chapter_data import estimate_timing
    from render.stages.clips import ClipError

    with pytest.raises(ClipError, match="unknown quality"):
        render_clip(KINDS["denoising"].scene, tmp_path, estimate_timing(["a"]), tmp_path / "x.mp4", "best")


def _frame_at(video: Path, seconds: float, out: Path) -> np.ndarray:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", f"{seconds}", "-i", str(video), "-frames:v", "1", str(out)], check=True
    )
    return np.asarray(Image.open(out).convert("RGB"), np.float32)


@pytest.mark.slow
def test_denoising_layout_matches_control_frame(chapter_bundle, params_for, tmp_path):
    """The denoising layout at the end of its last beat: header, prompt, the two filmstrips (state, prediction)."""
    chapter, timing = chapter_bundle("denoising", params_for(prompt="a red circle"), NARRATION)
    out = render_clip(KINDS["denoising"].scene, chapter, timing, tmp_path / "d.mp4", "low", resolution=TINY)
    t = timing.total - 0.2
    frame = _frame_at(out, t, tmp_path / "frame.png")
    control = CONTROL / "denoising_end.png"
    if os.environ.get("N2I_UPDATE_CONTROL"):
        control.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(frame.astype(np.uint8)).save(control)
    expected = np.asarray(Image.open(control).convert("RGB"), np.float32)
    assert frame.shape == expected.shape
    # tolerant to Cairo/encoder differences, not to moved or missing elements
    assert np.mean(np.abs(frame - expected)) < 4.0
    assert np.mean(np.abs(frame - expected) > 48) < 0.01


def test_scene_modules_import_without_torch():
    """Scene modules import without the engine's heavy packages (no torch/diffusers)."""
    modules = ", ".join(f"scenes.{path.stem}" for path in sorted((ROOT / "scenes").glob("*.py")))
    code = f"import sys; import {modules}; print('torch' in sys.modules, 'diffusers' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False False"


def test_scene_modules_share_code_only_through_common_and_widgets():
    """No scene module imports another (shared pieces live in scenes/common.py and scenes/widgets.py; common.py
    is built on scenes/look.py, scenes/snapshot.py and scenes/texts.py), and of the engine only the chapter
    data contract and the paths."""
    for path in sorted((ROOT / "scenes").glob("*.py")):
        if path.stem in ("__init__", "common"):
            continue
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        own = {name for name in imported if name.split(".")[0] in ("scenes", "render")}
        allowed = {"scenes.common"} if path.stem == "widgets" else {"scenes.common", "scenes.widgets"}
        if path.stem in ("look", "snapshot", "texts"):  # under common.py, which imports (and re-exports) them
            allowed = {"scenes.look"}
        allowed |= {"render.chapter_data", "render.paths"}
        assert own <= allowed, f"{path.name} imports {sorted(own - allowed)}"


def test_a_text_from_the_text_cache_is_the_text_manim_makes(tmp_path, monkeypatch):
    """scenes/texts.py: made once, then loaded; the same outlines and colours as Manim's own; other
    arguments another entry; an unreadable entry made again; no folder, no cache."""
    from manim import MarkupText, Text

    from scenes.look import FONT, register_fonts
    from scenes.texts import made

    register_fonts()

    def outlines(mob):
        return [(m.points, m.fill_rgbas, m.stroke_rgbas) for m in mob.family_members_with_points()]

    def assert_same(a, b):
        assert type(a) is type(b) and len(outlines(a)) == len(outlines(b)) > 3
        for x, y in zip(outlines(a), outlines(b), strict=True):
            for u, v in zip(x, y, strict=True):
                np.testing.assert_array_equal(u, v)

    monkeypatch.delenv("N2I_TEXT_CACHE", raising=False)
    made(Text, "no cache", font=FONT, font_size=20)
    monkeypatch.setenv("N2I_TEXT_CACHE", str(tmp_path / "text"))
    args = ("Same prompt, different seeds",)
    kwargs = {"font": FONT, "font_size": 24, "color": "#ff8800", "weight": "SEMIBOLD"}
    first = made(Text, *args, **kwargs)
    (entry,) = (tmp_path / "text").iterdir()
    stamp = entry.stat().st_mtime_ns  # read below, not made again
    again = made(Text, *args, **kwargs)
    assert entry.stat().st_mtime_ns == stamp and again is not first
    assert_same(again, Text(*args, **kwargs))
    assert_same(made(MarkupText, "10<sup>80</sup>", font=FONT), MarkupText("10<sup>80</sup>", font=FONT))
    made(Text, *args, **{**kwargs, "font_size": 25})
    assert len(list((tmp_path / "text").iterdir())) == 3
    entry.write_bytes(b"cut short")
    assert_same(made(Text, *args, **kwargs), first)
    assert entry.stat().st_size > 1000
