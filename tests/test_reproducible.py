"""The same storyboard on the same machine gives the same bytes: video, subtitles, chapter clips.

Two renders of one storyboard from two empty caches (Piper narration, whose sampling noise is
seeded per sentence; the tiny PRX folder), compared file by file. Then one trajectory bundle of the
first cache is damaged: it is generated again, alone this time (it was made in a batch with the
other request), and must record the same arrays.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_video import run_cli, save_tiny_prx, storyboard_data, write_storyboard

from render.engine.cache import CACHE_ENV
from render.engine.trajectory import ARRAY_FIELDS, ARRAYS, Trajectory

pytestmark = pytest.mark.slow

OUTPUTS = ("video.mp4", "video.srt", "video.vtt", "chapters.txt")


def render(storyboard: Path, cache: Path, out: Path) -> str:
    code, log = run_cli("render", storyboard, "--cache", cache, "--out", out, "--quality", "low", "--jobs", "2")
    assert code == 0 and "Traceback" not in log, log
    return log


def files(out: Path) -> dict[str, bytes]:
    names = [*OUTPUTS, *(f"chapters/{p.name}" for p in sorted((out / "chapters").iterdir()))]
    return {name: (out / name).read_bytes() for name in names}


@pytest.fixture(scope="module")
def two_renders(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("reproducible")
    model = save_tiny_prx(root / "tiny-prx")
    storyboard = write_storyboard(root / "project" / "story.yaml", storyboard_data(model, voice="piper:joe"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CACHE_ENV, raising=False)
        for run in ("a", "b"):
            render(storyboard, root / f"cache-{run}", root / f"out-{run}")
    return storyboard, root / "cache-a", root


def test_two_renders_from_empty_caches_write_the_same_bytes(two_renders):
    _, _, root = two_renders
    a, b = files(root / "out-a"), files(root / "out-b")
    assert list(a) == list(b) and len(a) == len(OUTPUTS) + 4  # two chapters: an mp4 and an srt each
    for name in a:
        assert a[name] == b[name], f"{name} differs between the two renders"
    narration = [sorted(p.name for p in (root / f"cache-{run}" / "narration").iterdir()) for run in "ab"]
    assert narration[0] == narration[1]
    for name in narration[0]:
        wavs = [(root / f"cache-{run}" / "narration" / name).read_bytes() for run in "ab"]
        assert wavs[0] == wavs[1], name


def test_a_trajectory_made_again_alone_records_what_it_did_in_its_batch(two_renders):
    storyboard, cache, root = two_renders
    bundles = sorted((cache / "trajectories").iterdir())
    assert len(bundles) == 3  # seeds 1 and 2, and seed 1 again: made in batches with each other
    victim = bundles[-1]
    before = Trajectory.load(victim)
    arrays = victim / ARRAYS
    arrays.write_bytes(arrays.read_bytes()[:100])
    log = render(storyboard, cache, root / "out-a")
    assert "damaged" in log and "made 1 trajectory in" in log
    after = Trajectory.load(victim)
    for name in ARRAY_FIELDS:
        assert getattr(before, name).tobytes() == getattr(after, name).tobytes(), name
    assert files(root / "out-a") == files(root / "out-b")
