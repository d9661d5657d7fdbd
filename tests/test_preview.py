"""`noise2image preview`: the last frame of every beat and a contact sheet, made without video.

One tiny two-chapter storyboard (tests/helpers_video.py: a random PRX folder at 32 px, espeak,
low quality at 10 fps) is rendered and previewed once for the module, on one cache. The preview's
frames are then compared with the rendered clips' frames at the end of each beat (same timing, so
the same pictures), and a second preview must reuse the cached frames. A render into a folder with
a contact sheet keeps it, redraws it from the cached previews, or removes it (`refresh_sheet`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
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
            paths[f"{command} log"] = log
    return paths


def chapter_frames(out: Path) -> dict[str, tuple[Path, dict]]:
    """The preview folder of each chapter and its beats.json, by chapter id."""
    folders = sorted(p for p in (out / "preview").iterdir() if p.is_dir())
    return {p.name.split("-", 1)[1]: (p, json.loads((p / "beats.json").read_text())) for p in folders}


def test_a_contact_sheet_and_a_frame_per_beat(project):
    from render.kinds import KINDS
    from render.kinds.reference import scene_phases

    frames = chapter_frames(project["out"])
    assert list(frames) == ["denoise", "seeds"]  # storyboard order, numbered 01-, 02-
    for (chapter, (folder, record)), kind in zip(frames.items(), ("denoising", "seed_comparison"), strict=True):
        names = [beat["frame"] for beat in record["beats"]]
        credit = chapter == "seeds"  # the last chapter ends with the credit of what made the pictures
        assert len(names) == len(scene_phases(KINDS[kind].scene.file)) + credit and names[0].startswith("00-title")
        assert names[-1].endswith("-credit.png") == credit
        assert sorted(p.name for p in folder.glob("*.png")) == sorted(names)
        assert Image.open(folder / names[-1]).size == (854, 480)
    sheet = Image.open(project["out"] / "preview.png")
    # two rows of at most six 320 px frames, with titles
    assert sheet.width > 4 * 320 and 2 * 180 < sheet.height < 2 * (180 + 80)


def test_the_preview_reports_each_chapter_as_it_is_done(project):
    """Not a terminal here: one line per finished chapter (a bar on a terminal), after the line saying what is to do."""
    log = project["preview log"]
    assert "preview: 2 chapters to preview at low quality, 2 workers" in log, log
    done = re.findall(r"^preview: \[(\d)/2\] (\w+) in [\d.]+ s$", log, re.MULTILINE)
    assert [n for n, _ in done] == ["1", "2"] and sorted(c for _, c in done) == ["denoise", "seeds"], log


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
    assert "to preview at" not in log  # nothing previewed again
    assert snapshot(previews) == before


def test_one_chapter_keeps_its_number_in_the_storyboard(project, tmp_path):
    out = tmp_path / "out"
    code, log = run_cli("preview", project["story"], "--cache", project["cache"], "--out", out, "--chapters", "seeds")
    assert code == 0, log
    assert [p.name for p in (out / "preview").iterdir() if p.is_dir()] == ["02-seeds"]  # chapter 2, not 01
    assert [row[:2] for row in sheet_record(out)["rows"]] == [[2, "seeds"]]


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


def sheet_record(out: Path) -> dict:
    return json.loads((out / "preview" / "sheet.json").read_text())


def render_into(project, out: Path) -> str:
    code, log = run_cli("render", project["story"], "--cache", project["cache"], "--out", out, "--jobs", "1")
    assert code == 0 and "Traceback" not in log, log
    return log


def copy_sheet(project, out: Path, edit=None) -> None:
    """The project's contact sheet and frames into `out`, its record changed by `edit(record)`."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(project["out"] / "preview.png", out / "preview.png")
    shutil.rmtree(out / "preview", ignore_errors=True)
    shutil.copytree(project["out"] / "preview", out / "preview")
    if edit is not None:
        record = sheet_record(out)
        edit(record)
        (out / "preview" / "sheet.json").write_text(json.dumps(record))


def test_a_render_leaves_an_up_to_date_sheet_as_it_is(project):
    before = snapshot(project["out"] / "preview"), (project["out"] / "preview.png").stat().st_mtime_ns
    log = render_into(project, project["out"])
    assert "preview:" not in log, log
    assert (snapshot(project["out"] / "preview"), (project["out"] / "preview.png").stat().st_mtime_ns) == before


def test_a_render_redraws_a_stale_sheet_from_the_cached_previews(project, tmp_path):
    """A sheet that shows other previews than the storyboard's (here: its record says so) is redrawn."""
    out = tmp_path / "out"

    def stale(record):
        record["rows"] = [[1, "seeds", "seeds-older"], [2, "denoise", "denoise-older"]]

    copy_sheet(project, out, stale)
    (out / "preview.png").write_bytes(b"not the sheet")
    log = render_into(project, out)
    assert "preview.png redrawn from cached previews (2 chapters)" in log, log
    assert sheet_record(out) == sheet_record(project["out"])
    assert snapshot_bytes(out / "preview") == snapshot_bytes(project["out"] / "preview")
    assert Image.open(out / "preview.png").size == Image.open(project["out"] / "preview.png").size


def snapshot_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("why", ["previews not cached", "no record"])
def test_a_render_removes_a_sheet_it_cannot_redraw_cheaply(project, tmp_path, why):
    """At a quality never previewed, or from a version that kept no record: removed, and the log says how
    to make it again. The video is made all the same."""
    out = tmp_path / "out"

    def high(record):
        record["quality"] = "high"

    copy_sheet(project, out, high if why == "previews not cached" else None)
    if why == "no record":
        (out / "preview" / "sheet.json").unlink()
    log = render_into(project, out)
    assert f"preview: removed {out / 'preview.png'}" in log and f"noise2image preview {project['story']}" in log, log
    assert not (out / "preview.png").exists() and not (out / "preview").exists()
    assert (out / "video.mp4").is_file()
