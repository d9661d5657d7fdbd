"""Interrupting `generate` (Ctrl-C or a kill) loses nothing finished and leaves nothing half-written.

A real `noise2image generate` process, in batches of one, is held right after a random bundle is
stored (render/hold.py: the test waits for the run to be there, an event, never for a time), then
stopped; the cache must then hold only complete bundles, and the next run must make exactly the
rest without touching what was finished.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
from pathlib import Path

import pytest
from helpers_hold import Hold, hears_ctrl_c
from test_engine import CLI, assert_cache_intact, bundles, cli_env, made_count, save_tiny_prx, write_storyboard

from render.cli import main
from render.engine.cache import CACHE_ENV

pytestmark = pytest.mark.slow  # real CLI processes, two per test

SEEDS = 12  # one chapter of twelve seeds, each request four steps, in batches of one
REQUESTS = SEEDS + 1  # the seeds chapter also makes its first seed again
CHAPTERS = f"""\
  - id: seeds
    kind: seed_comparison
    title: Seeds
    prompt: a red circle
    seeds: {list(range(1, SEEDS + 1))}
    narration: One beat.
"""


@pytest.fixture(scope="module")
def storyboard(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("interrupt")
    return write_storyboard(folder / "project", save_tiny_prx(folder / "tiny-prx"), steps=4, chapters=CHAPTERS)


def start_and_stop(storyboard: Path, cache: Path, sig: signal.Signals, hold: Hold) -> tuple[int, str, int]:
    """Start generate, hold it right after a random bundle (at least one, at most half) is stored,
    and send `sig` while it waits there. Returns (exit code, stderr, bundles stored when stopped)."""
    stop_after = random.randint(1, SEEDS // 2)
    hold.arm(f"bundle-stored#{stop_after}")
    command = [*CLI, "generate", str(storyboard), "--cache", str(cache), "--batch-size", "1"]
    env = {**cli_env(), **hold.env}
    run = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=hears_ctrl_c
    )
    hold.wait_held(f"bundle-stored#{stop_after}", run)
    run.send_signal(sig)
    _, err = run.communicate(timeout=600)  # a guard against a hang, not a measure of speed
    return run.returncode, err, stop_after


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_interrupted_generate_resumes_with_only_the_unfinished_work(storyboard, tmp_path, sig, capsys, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    cache = tmp_path / "cache"
    code, err, stored = start_and_stop(storyboard, cache, sig, Hold(tmp_path / "hold"))

    finished = {p.name: p.stat().st_mtime_ns for p in bundles(cache)}
    assert len(finished) == stored, "the run was not stopped where it was held"
    if sig == signal.SIGINT:
        assert code == 130, (code, err)
        assert "Traceback" not in err
        said = re.search(rf"interrupted; (\d+) of {REQUESTS} trajectories finished", err)
        assert said and int(said.group(1)) == len(finished), err
    else:
        assert code == -signal.SIGKILL
    # What is under a final name is complete, whatever the moment of the stop.
    for path in bundles(cache):
        from render.engine.trajectory import Trajectory

        Trajectory.load(path, verify=True)

    assert main(["generate", str(storyboard), "--cache", str(cache), "--batch-size", "1"]) == 0
    err = capsys.readouterr().err
    assert made_count(err) == REQUESTS - len(finished)
    assert_cache_intact(cache, REQUESTS)  # and the killed run's temporary folder is gone
    assert {name: (cache / "trajectories" / name).stat().st_mtime_ns for name in finished} == finished
