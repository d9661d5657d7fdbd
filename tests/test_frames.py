"""Frames a viewer can read: every chapter of the default storyboard, at 480p, in both themes.

Each chapter of storyboard.yaml (its kind, parameters, title and narration) gets a chapter data
bundle analysed from fake trajectories (tests/conftest.py) at 64 px, and its scene runs in preview
mode (scenes/common.py, through the preview stage's own workers, render/stages/preview.py): the
frame at the end of every beat, and beats.json, the box of every visible text, image and shape
then. Read back, the boxes must show:

- no text overlapping another text or an image;
- everything inside the safe box (a margin on three sides, the subtitles' strip at the bottom);
- every text at least 12 px tall (its capitals) at 480p;
- at its largest moment, a chapter's figure (its images and shapes) spans at least a third of the frame.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from conftest import run_analysis

from render.chapter_data import estimate_timing, write_chapter_data, write_timing
from render.stages.plan import make_plan
from render.stages.preview import BEATS_JSON, PreviewJob, run_workers
from render.storyboard import load_storyboard

CPU = {"device": "cpu", "dtype": "float32"}  # where the plan's keys say the model runs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
STORYBOARD = ROOT / "storyboard.yaml"
THEMES = ("dark", "light")
SIZE = 64  # fake model's images (the noise chapter keeps the real model's 128: its numbers set its text)
MIN_CAP_PX = 12.0
TOUCH = 0.01  # frame units two boxes may share without counting as overlapping (about 0.6 px at 480p)


@pytest.fixture(scope="module")
def beats(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """beats.json of every chapter in both themes, by (theme, chapter id)."""
    work = tmp_path_factory.mktemp("frames")
    storyboard = load_storyboard(STORYBOARD)
    plan = make_plan(storyboard, {"id": "fake", "weights": "fake"}, (SIZE, SIZE), runtime=CPU)
    jobs, folders = [], {}
    for chapter in plan.chapters:
        params = chapter.params
        if chapter.kind.name == "noise_sampling":
            params = {**params, "width": 128, "height": 128}
        info, arrays = run_analysis(chapter.kind.name, params)
        for theme in THEMES:
            folder = work / theme / chapter.id
            bundle = {
                **info,
                "kind": chapter.kind.name,
                "title": chapter.title,
                "params": params,
                "theme": theme,
                "narration": chapter.chapter.beats,
            }
            data = write_chapter_data(folder / "data", bundle, arrays)
            timing = write_timing(folder / "timing.json", estimate_timing(chapter.chapter.beats))
            scene = chapter.kind.scene
            jobs.append(
                PreviewJob(
                    chapter=f"{theme}/{chapter.id}",
                    scene_file=scene.file,
                    scene_class=scene.cls,
                    data=data,
                    timing=timing,
                    out=folder / "frames",
                    quality="low",
                    fps=15,
                )
            )
            folders[(theme, chapter.id)] = folder / "frames"
    run_workers(jobs, 2, work)
    return {key: json.loads((folder / BEATS_JSON).read_text()) for key, folder in folders.items()}


CASES = [(theme, c.id) for theme in THEMES for c in load_storyboard(STORYBOARD).chapters]


def overlap(a: list[float], b: list[float]) -> bool:
    """Whether boxes [left, bottom, right, top] share more than a sliver."""
    return a[0] < b[2] - TOUCH and b[0] < a[2] - TOUCH and a[1] < b[3] - TOUCH and b[1] < a[3] - TOUCH


def each_beat(record: dict):
    for beat in record["beats"]:
        yield beat["name"], beat["mobjects"]


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_frames_are_480p_pngs_at_every_beat(beats, theme, chapter):
    record = beats[(theme, chapter)]
    assert record["theme"] == theme
    assert (record["frame"]["width_px"], record["frame"]["height_px"]) == (854, 480)
    assert len(record["beats"]) >= 3
    times = [beat["time"] for beat in record["beats"]]
    assert times == sorted(times) and len(set(times)) == len(times)


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_no_text_overlaps_text_or_images(beats, theme, chapter):
    for name, mobjects in each_beat(beats[(theme, chapter)]):
        texts = [m for m in mobjects if m["kind"] == "text"]
        images = [m for m in mobjects if m["kind"] == "image"]
        for a, b in itertools.combinations(texts, 2):
            assert not overlap(a["box"], b["box"]), f"{name}: {a['text']!r} overlaps {b['text']!r}"
        for text, image in itertools.product(texts, images):
            assert not overlap(text["box"], image["box"]), f"{name}: {text['text']!r} overlaps an image"


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_everything_inside_the_safe_box(beats, theme, chapter):
    record = beats[(theme, chapter)]
    left, right, bottom, top = record["frame"]["safe"]
    for name, mobjects in each_beat(record):
        for m in mobjects:
            x0, y0, x1, y1 = m["box"]
            what = m.get("text", m["kind"])
            assert x0 >= left - TOUCH and x1 <= right + TOUCH, f"{name}: {what!r} leaves the frame's side margin"
            assert y0 >= bottom - TOUCH and y1 <= top + TOUCH, (
                f"{name}: {what!r} leaves the top margin or enters the subtitles"
            )


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_text_is_at_least_12_px_tall_at_480p(beats, theme, chapter):
    for name, mobjects in each_beat(beats[(theme, chapter)]):
        for m in mobjects:
            if m["kind"] == "text":
                assert m["cap_px"] >= MIN_CAP_PX, f"{name}: {m['text']!r} is {m['cap_px']} px tall"


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_the_figure_fills_a_third_of_the_frame_at_its_largest(beats, theme, chapter):
    record = beats[(theme, chapter)]
    frame_area = record["frame"]["frame_width"] * record["frame"]["frame_height"]
    largest = 0.0
    for _, mobjects in each_beat(record):
        figure = [m["box"] for m in mobjects if m["kind"] != "text" and not m["header"]]
        if figure:
            x0, y0 = min(b[0] for b in figure), min(b[1] for b in figure)
            x1, y1 = max(b[2] for b in figure), max(b[3] for b in figure)
            largest = max(largest, (x1 - x0) * (y1 - y0))
    assert largest >= frame_area / 3, f"the figure spans at most {largest / frame_area:.0%} of the frame"
