"""Frames a viewer can read: every chapter of the default storyboard, at 480p, in both themes.

Each chapter of storyboard.yaml (its kind, parameters, title and narration) gets a chapter data
bundle analysed from fake trajectories (tests/conftest.py) at 64 px, and its scene runs in preview
mode (scenes/common.py, through the preview stage's own workers, render/stages/preview.py): the
frame at the end of every beat, and beats.json, the box of every visible text, image and shape
then. Read back, the boxes must show (the rules are in tests/helpers_frames.py, shared with
tests/test_frames_fuzz.py, which draws chapters from each kind's whole parameter space):

- no text overlapping another text or an image;
- everything inside the safe box (a margin on three sides, the subtitles' strip at the bottom);
- every text at least 12 px tall (its capitals) at 480p;
- at its largest moment, a chapter's figure (its images and shapes) spans at least a third of the frame.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_frames import (
    FrameCase,
    beat_problems,
    figure_problems,
    margin_problems,
    overlap_problems,
    preview_cases,
    size_problems,
)

from render.engine.models import BUILTIN_TINY_PRX, native_size
from render.stages.plan import make_plan
from render.storyboard import load_storyboard

CPU = {"device": "cpu", "dtype": "float32"}  # where the plan's keys say the model runs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
STORYBOARD = ROOT / "storyboard.yaml"
THEMES = ("dark", "light")
SIZE = 64  # fake model's images (the noise chapter keeps the real model's size: its numbers set its text)
NATIVE, _ = native_size(BUILTIN_TINY_PRX)


@pytest.fixture(scope="module")
def beats(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """beats.json of every chapter in both themes, by (theme, chapter id)."""
    storyboard = load_storyboard(STORYBOARD)
    plan = make_plan(storyboard, {"id": "fake", "weights": "fake"}, (SIZE, SIZE), runtime=CPU)
    cases = []
    for chapter in plan.chapters:
        params = chapter.params
        if chapter.kind.name == "noise_sampling":
            params = {**params, "width": NATIVE, "height": NATIVE}
        for theme in THEMES:
            cases.append(
                FrameCase(
                    f"{theme}/{chapter.id}", chapter.kind.name, params, chapter.title, chapter.chapter.beats, theme
                )
            )
    records = preview_cases(cases, tmp_path_factory.mktemp("frames"))
    return {(case.theme, case.key.split("/", 1)[1]): records[case.key] for case in cases}


CASES = [(theme, c.id) for theme in THEMES for c in load_storyboard(STORYBOARD).chapters]


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_frames_are_480p_pngs_at_every_beat(beats, theme, chapter):
    assert not beat_problems(beats[(theme, chapter)], theme)


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_no_text_overlaps_text_or_images(beats, theme, chapter):
    assert not overlap_problems(beats[(theme, chapter)])


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_everything_inside_the_safe_box(beats, theme, chapter):
    assert not margin_problems(beats[(theme, chapter)])


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_text_is_at_least_12_px_tall_at_480p(beats, theme, chapter):
    assert not size_problems(beats[(theme, chapter)])


@pytest.mark.parametrize(("theme", "chapter"), CASES)
def test_the_figure_fills_a_third_of_the_frame_at_its_largest(beats, theme, chapter):
    assert not figure_problems(beats[(theme, chapter)])
