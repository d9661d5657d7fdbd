"""Storyboard loading and validation, on real files: the bad corpus, the good ones, the default."""

import os
import re
import sys
from pathlib import Path

import pytest

from render.kinds import KINDS
from render.kinds.denoising import DenoisingChapter
from render.kinds.reference import scene_phases
from render.stages.plan import settings_for
from render.storyboard import Defaults, Problem, Storyboard, StoryboardError, load_storyboard

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
BAD = sorted((DATA / "bad_storyboards").glob("*.yaml"))
GOOD = sorted((DATA / "good_storyboards").glob("*.yaml"))
POSITION = re.compile(r"^\d+:\d+$")
PROBLEM_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<field>\S.*?): (?P<message>.+)$")


def _error_for(path: Path) -> StoryboardError:
    with pytest.raises(StoryboardError) as info:
        load_storyboard(path)
    return info.value


# --- the bad corpus ----------------------------------------------------------------------------


def test_corpus_is_large_enough():
    assert len(BAD) >= 30
    for case in BAD:
        assert case.with_suffix(".expect").is_file(), f"{case.name} has no .expect file"


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_bad_storyboard_is_rejected_with_expected_message(case: Path):
    error = _error_for(case)
    text = str(error)
    for expected in case.with_suffix(".expect").read_text().splitlines():
        if POSITION.match(expected):
            # A bare line:col must be the position of a problem, not part of some other number.
            assert f":{expected}: " in text, f"no problem at {expected} in:\n{text}"
        elif expected.strip():
            assert expected in text, f"{expected!r} not in:\n{text}"


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_every_problem_line_has_file_line_col(case: Path):
    error = _error_for(case)
    head, *lines = str(error).splitlines()
    n = len(error.problems)
    assert n >= 1
    assert f"{n} problem" in head
    assert len(lines) == n
    for line, problem in zip(lines, error.problems, strict=True):
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert match["file"] == str(case)
        assert int(match["line"]) >= 1 and int(match["col"]) >= 1
        assert problem.line >= 1 and problem.column >= 1
        assert problem.field and problem.message


# --- good files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", GOOD, ids=[p.stem for p in GOOD])
def test_good_storyboard_loads(case: Path):
    storyboard = load_storyboard(case)
    assert isinstance(storyboard, Storyboard)
    assert storyboard.chapters


def test_tricky_narration_is_kept_verbatim():
    storyboard = load_storyboard(DATA / "good_storyboards" / "tricky-narration.yaml")
    beats = storyboard.chapters[0].beats
    assert beats[0] == "He said \"hello\", then she said 'goodbye'; it's fine."
    assert "$(rm -rf /) `whoami` && echo $HOME" in beats[1]
    assert "東京" in beats[2] and "👩‍🔬" in beats[2]
    assert "\t" in beats[3]
    assert beats[4] == "A literal block\nover two lines: with a colon.\n"
    assert storyboard.chapters[0].prompt == 'a "red" star — on a blue background 🌟'


def resolved(storyboard, chapter) -> dict:
    """The chapter's parameters with its overrides resolved against the storyboard's defaults."""
    settings = settings_for(storyboard, chapter, storyboard.defaults.width, storyboard.defaults.height)
    return {**chapter.own_params(), **vars(settings)}


def test_overrides_anchors_and_params():
    storyboard = load_storyboard(DATA / "good_storyboards" / "anchors-and-overrides.yaml")
    seeds, again, guidance, walk, emap, noise = (resolved(storyboard, c) for c in storyboard.chapters)
    assert seeds == {
        "prompt": "a yellow star",
        "seeds": [0, 2**64 - 1],
        "seed": 2**64 - 1,
        "steps": 4,
        "guidance": 7.5,
        "negative_prompt": "blurry",
        "width": 256,
        "height": 256,
    }
    # The merged chapter takes the anchor's values and overrides its own.
    assert storyboard.chapters[1].id == "seeds-again" and again["seed"] == 3 and again["negative_prompt"] == ""
    assert again["steps"] == 4
    assert guidance["guidance_scales"] == [1.0, 2.5, 30.0]
    assert guidance["guidance"] == 1.0
    assert walk["points"] == 7
    # Keys are read as written: `on` and `1` are group names, not a boolean and a number.
    assert list(emap["groups"]) == ["1", "on"]
    assert emap["method"] == "pca" and emap["highlight"] is None
    assert noise["samples"] == 24
    assert storyboard.video.fps == 15 and storyboard.narration.voice == "none"


def test_params_without_storyboard_use_schema_defaults():
    chapter = DenoisingChapter(id="a", kind="denoising", title="A", narration="Hi.", prompt="a star")
    assert chapter.beats == ["Hi."]
    assert resolved(Storyboard(title="t", chapters=[chapter]), chapter) == {
        "prompt": "a star",
        "seed": 0,
        "steps": 28,
        "guidance": 4.0,
        "negative_prompt": "",
        "width": None,
        "height": None,
    }
    assert Defaults().steps == 28


# --- the default storyboard ----------------------------------------------------------------------


def test_default_storyboard():
    storyboard = load_storyboard(ROOT / "storyboard.yaml")
    assert storyboard.title == "From Noise to Image"
    assert storyboard.model.id == "builtin:tiny-prx"
    assert [c.kind for c in storyboard.chapters] == list(KINDS)  # every kind, in the guide's order
    assert all(chapter.stated_claims() for chapter in storyboard.chapters)  # every chapter states a claim
    d = storyboard.defaults
    assert (d.seed, d.steps, d.guidance, d.width, d.height) == (7, 28, 4.0, None, None)
    for chapter in storyboard.chapters:  # at most a beat per phase of the scene (the title's included)
        assert 2 <= len(chapter.narration) <= len(scene_phases(KINDS[chapter.kind].scene.file)), chapter.id
    words = sum(len(beat.split()) for c in storyboard.chapters for beat in c.beats)
    # Roughly 5 to 7 minutes at about 150 spoken words a minute (pauses add the rest).
    assert 650 <= words <= 1050, words


def test_locate_and_prompts():
    path = ROOT / "storyboard.yaml"
    storyboard = load_storyboard(path)
    lines = path.read_text().splitlines()
    refs = storyboard.prompts()
    assert refs and [(r.line, r.column) for r in refs] == sorted((r.line, r.column) for r in refs)
    for ref in refs:
        # The position points at the prompt text itself (maybe quoted), or at its list item.
        assert ref.text.split()[0] in lines[ref.line - 1][ref.column - 1 :], ref
    fields = {r.field for r in refs}
    assert "chapters[1].prompt" in fields and "chapters[8].from_prompt" in fields
    assert "chapters[3].groups.stars[0]" in fields and "chapters[6].prompts[3]" in fields
    line, column = storyboard.locate("chapters[4].seeds[1]")
    assert lines[line - 1][column - 1 :].startswith("2,")
    # A field left out is located at its closest written parent: the chapter.
    assert storyboard.locate("chapters[0].guidance") == storyboard.locate("chapters[0]")
    problem = storyboard.problem("chapters[1].prompt", "prompt is longer than the text encoder takes")
    assert isinstance(problem, Problem)
    assert str(problem).startswith(f"{path}:{problem.line}:{problem.column}: chapters[1].prompt: ")


# --- files that cannot be read ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path):
    error = _error_for(tmp_path / "nope.yaml")
    assert "no such file" in str(error) and "nope.yaml:1:1:" in str(error)


def test_directory(tmp_path: Path):
    error = _error_for(tmp_path)
    assert "is a directory" in str(error)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path: Path):
    path = tmp_path / "secret.yaml"
    path.write_text("title: x\n")
    path.chmod(0)
    try:
        error = _error_for(path)
    finally:
        path.chmod(0o644)
    assert "permission denied" in str(error)


def test_error_lists_all_problems_once_each(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "title: ''\nchapters:\n"
        "  - {id: a, kind: denoising, title: A, narration: x, prompt: ''}\n"
        "  - {id: a, kind: summary, title: B, narration: y, prompt: z, steps: 0}\n"
    )
    error = _error_for(path)
    assert [(p.line, p.field) for p in error.problems] == [
        (1, "title"),
        (3, "chapters[0].prompt"),
        (4, "chapters[1].id"),
        (4, "chapters[1].steps"),
    ]
    assert str(error).splitlines()[0].endswith("4 problems in the storyboard:")
