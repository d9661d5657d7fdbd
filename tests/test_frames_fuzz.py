"""Layouts that hold for any valid parameters: the frame rules over chapters drawn from every kind's space.

tests/test_frames.py checks the default storyboard's chapters; here Hypothesis draws whole chapters
of every registered kind from its chapter model (tests/helpers_chapters.py: list lengths from the
shortest to the longest allowed, prompts up to the longest the embedded model's vocabulary makes,
titles up to about 60 characters, 1 to 6 narration beats, any seed, 1 to 28 steps, any guidance,
both themes), and every drawn chapter's preview must keep the same rules (tests/helpers_frames.py):
no text over text or an image, everything inside the safe box, text at least 12 px tall at 480p,
the figure at its largest at least a third of the frame, and a frame for every beat.

Previewing is most of the cost (a scene builds its texts), so the chapters are drawn first, then
previewed together by the preview stage's workers (two processes, each importing Manim once), then
checked; a failure lists every broken rule of every failing chapter, with the chapter as drawn
(kind, theme, title, params, narration) to rebuild it. Drawing is derandomized: the same chapters
every run.

Per kind, the chapters are one with every list at its shortest and short texts, one with every list
at its longest and long texts, and the rest drawn from anywhere in between. CI previews 3 per kind
(about two minutes on two cores); the sweep draws more, e.g. 50 per kind (about 50 minutes on two
cores):

    NOISE2IMAGE_FRAME_SWEEP=50 python -m pytest -q tests/test_frames_fuzz.py
"""

from __future__ import annotations

import os

import pytest
from conftest import SETTINGS_FIELDS
from helpers_chapters import chapter_cases, length_limits
from helpers_frames import FrameCase, all_problems, preview_cases
from hypothesis import HealthCheck, Phase, given, settings

from render.kinds import KINDS
from render.kinds.base import Kind

pytestmark = pytest.mark.slow

SWEEP_ENV = "NOISE2IMAGE_FRAME_SWEEP"
CI_PER_KIND = 3


def per_kind() -> int:
    """How many chapters of each kind to preview: CI_PER_KIND, or what NOISE2IMAGE_FRAME_SWEEP says."""
    return max(1, int(os.environ.get(SWEEP_ENV) or CI_PER_KIND))


def shares(total: int) -> dict[str, int]:
    """How many of `total` chapters each profile draws: a tenth at the shortest, a fifth at the longest
    (one of each at least), the rest mixed."""
    small, large = max(1, total // 10), max(1, total // 5)
    return {"small": small, "large": large, "mixed": max(0, total - small - large)}


def drawn(kind: Kind, profile: str, count: int) -> list[FrameCase]:
    """`count` different chapters of `kind` from `profile`, the same every run (derandomized)."""
    found: dict[str, FrameCase] = {}

    # One more example than asked for: Hypothesis first tries the simplest one, which a mixed draw
    # shares with the small profile's (so a mixed draw leaves it out).
    @settings(
        derandomize=True,
        max_examples=count + 1,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(chapter_cases(kind, profile))
    def collect(case: FrameCase) -> None:
        found.setdefault(case.describe(), case)

    if count:
        collect()
    cases = list(found.values())
    return cases[1 : count + 1] if profile == "mixed" else cases[:count]


def cases_of(kind: Kind, total: int) -> list[FrameCase]:
    """`total` different chapters of `kind` to preview, keyed `<kind>-<profile>-<k>` (a chapter that two
    profiles both drew is kept once, and more mixed ones make up for it)."""
    seen: dict[str, FrameCase] = {}
    counts = shares(total)
    for profile, count in counts.items():
        for k, case in enumerate(drawn(kind, profile, count)):
            case.key = f"{kind.name}-{profile}-{k:02d}"
            seen.setdefault(case.describe(), case)
    extra = counts["mixed"]
    while len(seen) < total and extra < 4 * total:  # (a kind with few chapters to draw may have fewer)
        extra += total - len(seen)
        for k, case in enumerate(drawn(kind, "mixed", extra)):
            case.key = f"{kind.name}-mixed-{k:02d}"
            if len(seen) < total:
                seen.setdefault(case.describe(), case)
    return list(seen.values())


@pytest.fixture(scope="module")
def previews(tmp_path_factory) -> dict[str, list[tuple[FrameCase, dict | str]]]:
    """Every kind's drawn chapters with their previews' beats.json (or why there is none), by kind."""
    cases = {name: cases_of(kind, per_kind()) for name, kind in KINDS.items()}
    records = preview_cases(
        [case for drawn_cases in cases.values() for case in drawn_cases],
        tmp_path_factory.mktemp("frames-fuzz"),
        keep_going=True,
    )
    return {name: [(case, records[case.key]) for case in drawn_cases] for name, drawn_cases in cases.items()}


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_frame_rules_hold_for_drawn_chapters(previews, kind):
    failures = []
    for case, record in previews[kind]:
        problems = all_problems(record, case.theme) if isinstance(record, dict) else [record]
        if problems:
            failures.append(f"{case.key}: {case.describe()}\n  " + "\n  ".join(problems))
    assert not failures, f"{len(failures)} of {len(previews[kind])} drawn chapters break a rule:\n\n" + "\n\n".join(
        failures
    )


def assert_lists_reach_both_ends(kind: Kind) -> None:
    """The small and large profiles give every list (and mapping) of the kind its fewest and most entries,
    and every drawn chapter is one the kind's model accepts."""
    small, large = drawn(kind, "small", 1)[0], drawn(kind, "large", 1)[0]
    for name, info in kind.chapter.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else None
        ends = length_limits(info.annotation, info.metadata, extra)
        if ends is None or name not in small.params:
            continue
        if small.params[name] is not None:  # (an optional list may be left out)
            assert len(small.params[name]) == ends[0], name
        assert len(large.params[name]) == ends[1], name
    for case in (small, large, *drawn(kind, "mixed", 3)):
        own = {k: v for k, v in case.params.items() if k not in SETTINGS_FIELDS}
        kind.chapter.model_validate(
            {"id": "x", "kind": kind.name, "title": case.title, "narration": case.narration, **own}
        )


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_drawn_chapters_reach_both_ends_of_every_list(kind):
    assert_lists_reach_both_ends(KINDS[kind])


def test_a_kind_registered_from_outside_is_drawn_too(caption_kind):
    """The strategies come from the chapter model: a new kind needs no change here."""
    assert_lists_reach_both_ends(caption_kind)
    assert {case.kind for case in cases_of(caption_kind, 3)} == {"caption"}
