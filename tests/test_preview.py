"""`noise2image preview`: the last frame of every beat and a contact sheet, made without video.

One tiny two-chapter storyboard (tests/helpers_video.py: a random PRX folder at 32 px, espeak,
low quality at 10 fps) is rendered and previewed once for the module, on one cache. The preview's
frames are then compared with the rendered clips' frames at the end of each beat (same timing, so
the same pictures), and a second preview must reuse the cached frames.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers_video import run_cli, save_tiny_prx, snapshot, storyboard_data, write_storyboard
from PIL import Image

from render.engine.cache import CACHE_ENV

pytestmark = pytest.mark.slow

FPS = 10


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("preview")
    model = save_tiny_prx(root / "tiny-prx")
    story = write_storyboard(root / "story.yaml", storyboard_data(model, steps=3, quality="low", fps=FPS))
    paths = {"story": story, "cache": root / "cache", "out": root / "out"}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CACHE_ENV, raising=False)
        for command in ("render", "preview"):
            code, log = run_cli(command, story, "--cache", paths["cache"], "--out", paths["out"], "--jobs", "2")
            assert code == 0 and "Traceback" not in log, log
    return paths


def chapter_frames(out: Path) -> dict[str, tuple[Path, dict]]:
    """The preview folder of each chapter and its beats.json, by chapter id."""
    folders = sorted(p for p in (out / "preview").iterdir() if p.is_dir())
    return {p.name.split("-", 1)[1]: (p, json.loads((p / "beats.json").read_text())) for p in folders}


def test_a_contact_sheet_and_a_frame_per_beat(project):
    frames = chapter_frames(project["out"])
    assert list(frames) == ["denoise", "seeds"]  # storyboard order, numbered 01-, 02-
    for folder, record in frames.values():
        names = [beat["frame"] for beat in record["beats"]]
        assert len(names) == 4 and names[0].startswith("00-title")
        assert sorted(p.name for p in folder.glob("*.png")) == sorted(names)
        assert Image.open(folder / names[-1]).size == (854, 480)
    sheet = Image.open(project["out"] / "preview.png")
    # two rows of four 320 px frames, with titles
    assert sheet.width > 4 * 320 and 2 * 180 < sheet.height < 2 * (180 + 80)


def frame_of_clip(clip: Path, index: int, png: Path) -> np.ndarray:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-vf", f"select=eq(n\\,{index})", "-frames:v", "1", str(png)],
        check=True,
    )
    return np.asarray(Image.open(png).convert("RGB"), np.float32)


def test_frames_are_the_videos_frames_at_the_end_of_each_beat(project, tmp_path):
    manifest = json.loads((project["out"] / "manifest.json").read_text())
    for chapter, (folder, record) in chapter_frames(project["out"]).items():
        clip = Path(manifest["chapters"][chapter]["clip"])
        for beat in record["beats"]:
            last = round(beat["time"] * FPS) - 1  # the clip's last frame of the beat
            video = frame_of_clip(clip, last, tmp_path / f"{chapter}-{beat['name']}.png")
            preview = np.asarray(Image.open(folder / beat["frame"]).convert("RGB"), np.float32)
            assert video.shape == preview.shape
            # the same picture, up to H.264 and the last frame's share of a still-running motion
            difference = np.abs(video - preview)
            assert difference.mean() < 4.0, (chapter, beat["name"], difference.mean())
            assert np.mean(difference > 64) < 0.02, (chapter, beat["name"])


def test_a_second_preview_reuses_the_cached_frames(project):
    previews = project["cache"] / "previews"
    before = snapshot(previews)
    code, log = run_cli("preview", project["story"], "--cache", project["cache"], "--out", project["out"])
    assert code == 0, log
    assert "chapter(s) at" not in log  # nothing previewed again
    assert snapshot(previews) == before


def test_one_chapter(project, tmp_path):
    out = tmp_path / "out"
    code, log = run_cli("preview", project["story"], "--cache", project["cache"], "--out", out, "--chapters", "seeds")
    assert code == 0, log
    assert list(chapter_frames(out)) == ["seeds"]


def test_relative_cache_and_out_paths(project, tmp_path, monkeypatch):
    """The preview workers run in Manim's media folder: paths given relative to the caller's folder
    must still reach them (another quality, so the frames are made, not found in the cache)."""
    monkeypatch.chdir(project["cache"].parent)
    out = tmp_path / "relative-out"
    relative_out = os.path.relpath(out, project["cache"].parent)
    code, log = run_cli("preview", project["story"].name, "--cache", project["cache"].name, "--out", relative_out,
                        "--chapters", "denoise", "--quality", "medium")  # fmt: skip
    assert code == 0 and "Traceback" not in log, log
    assert list(chapter_frames(out)) == ["denoise"]
