"""What the narration says is measured: facts reach every place the words go, and claims are checked.

A two-chapter storyboard on the tiny local PRX folder (32 px, espeak): the noise chapter says how many
pages its count fills, as a fact, and claims it; the seeds chapter claims the same seed gives the same
image (true) and that every image shows the prompt (a claim the folder model cannot check: it has no
reader). A copy at 16 px makes the page claim false.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from helpers_video import save_tiny_prx, storyboard_data, write_storyboard

from render.cli import main
from render.engine.cache import CACHE_ENV

pytestmark = pytest.mark.slow

CHAPTERS = [
    {
        "id": "noise",
        "kind": "noise_sampling",
        "title": "Noise",
        "samples": 4,
        "narration": [
            "Random numbers are noise.",
            {
                "say": "Written out, the count fills {pages} pages.",
                "claims": ["count_fills_pages", "samples_are_static"],
            },
        ],
    },
    {
        "id": "seeds",
        "kind": "seed_comparison",
        "title": "Seeds",
        "prompt": "a red circle",
        "seeds": [1, 2],
        "narration": [
            "Two seeds.",
            {"say": "The same seed gives the same image.", "claims": ["same_seed_same_image"]},
            {"say": "Every image shows the prompt.", "claims": ["every_image_shows_prompt"]},
        ],
    },
]


def cli(*argv) -> tuple[int, str, str]:
    """`noise2image ARGV` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("truth")
    model = save_tiny_prx(root / "tiny-prx")
    true_story = write_storyboard(root / "true.yaml", storyboard_data(model, CHAPTERS, steps=2))
    small = storyboard_data(model, CHAPTERS, steps=2)
    small["defaults"]["width"] = small["defaults"]["height"] = 16  # 16 x 16 x 3 values: the count fits on a page
    false_story = write_storyboard(root / "false.yaml", small)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CACHE_ENV, raising=False)
        yield {"root": root, "true": true_story, "false": false_story, "cache": root / "cache"}


def test_verify_prints_every_claim_and_passes_when_none_fails(project):
    code, table, log = cli("verify", project["true"], "--cache", project["cache"])
    assert code == 0, table + log
    rows = [line.split() for line in table.splitlines()[1:-1]]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("noise", "2", "count_fills_pages"),
        ("noise", "2", "samples_are_static"),
        ("seeds", "2", "same_seed_same_image"),
        ("seeds", "3", "every_image_shows_prompt"),
    ]
    assert rows[0][3] == "2" and rows[0][-1] == "holds"
    assert table.splitlines()[-1] == "4 claims: 3 hold, 0 fail, 1 cannot check"
    assert cli("verify", project["true"], "--cache", project["cache"], "--strict")[0] == 1  # cannot check fails


def test_verify_fails_on_a_false_claim_and_names_it(project):
    code, table, _ = cli("verify", project["false"], "--cache", project["cache"])
    assert code == 1
    (row,) = [line for line in table.splitlines() if "count_fills_pages" in line]
    assert row.split()[:4] == ["noise", "2", "count_fills_pages", "1"] and row.endswith("fails")


def test_render_strict_stops_before_the_clips_and_writes_no_video(project):
    out = project["root"] / "strict-out"
    code, _, log = cli("render", project["false"], "--cache", project["cache"], "--out", out, "--strict",
                       "--quality", "low", "--jobs", "1")  # fmt: skip
    assert code == 1
    assert "warning: noise, beat 2: claim count_fills_pages fails (measured 1" in log
    assert "stated claims do not hold (--strict): no video made" in log
    assert not (out / "video.mp4").exists()
    assert not list(project["cache"].glob("clips/noise-*.mp4"))  # stopped before any clip was made


def test_a_fact_reaches_the_speech_the_subtitles_and_the_page(project):
    out = project["root"] / "out"
    code, _, log = cli("render", project["true"], "--cache", project["cache"], "--out", out, "--quality", "low",
                       "--jobs", "1", "--web", "--no-clips")  # fmt: skip
    assert code == 0, log
    assert "warning:" not in log  # no claim fails (one cannot be checked: only --strict minds)
    said = "Written out, the count fills two pages."
    manifest = json.loads((out / "manifest.json").read_text())
    spoken = [b["text"] for b in manifest["chapters"]["noise"]["timeline"]["beats"]]
    assert spoken[1] == said  # what the voice was given, and what the narration WAV is keyed by
    from render.speech import speech_service
    from render.storyboard import NarrationConfig

    voice = speech_service(NarrationConfig(voice="espeak:en-us", speed=2.0, sentence_silence=0.1))
    assert voice.cached(said, project["cache"] / "narration") is not None
    assert said in (out / "video.srt").read_text()
    assert said in (out / "web" / "index.html").read_text()
    data = json.loads((Path(manifest["chapters"]["noise"]["data"]) / "chapter.json").read_text())
    assert data["narration_written"][1] == "Written out, the count fills {pages} pages."
    assert data["facts"]["pages"] == {"value": 2, "words": "two"}
