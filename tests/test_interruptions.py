"""Interrupting `generate` (Ctrl-C or a kill) loses nothing finished and leaves nothing half-written.

A real `noise2image generate` process, in batches of one, is stopped at a random moment after its
first bundle is stored; the cache must then hold only complete bundles, and the next run must make
exactly the rest without touching what was finished.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_engine import CLI, assert_cache_intact, bundles, cli_env, made_count, save_tiny_prx, write_storyboard

from render.cli import main
from render.engine.cache import CACHE_ENV

# Ctrl-C must stop the run, not let it finish: a few seconds on a quiet machine; generous for a busy CI runner.
STOP_SECONDS = 20

pytestmark = pytest.mark.slow  # real CLI processes, two per test

SEEDS = 12  # one chapter, twelve requests of four steps: twelve batches of one
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


def start_and_stop(storyboard: Path, cache: Path, sig: signal.Signals) -> tuple[int, str, float]:
    """Start generate, wait until a random number of its bundles (at least one, at most half) are
    stored, then a random moment within the next bundle's work, and send `sig`.

    The moment is counted in bundles, not seconds: a tiny model on a quiet machine stores a bundle
    every few tens of milliseconds, so a fixed wait could outlast the whole run.
    Returns (exit code, stderr, seconds from the signal to the exit).
    """
    stop_after = random.randint(1, SEEDS // 2)
    command = [*CLI, "generate", str(storyboard), "--cache", str(cache), "--batch-size", "1"]
    run = subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(bundles(cache)) < stop_after:
        assert run.poll() is None, run.communicate()[1]
        assert time.monotonic() < deadline, f"generate made fewer than {stop_after} bundles in 120 s"
        time.sleep(0.002)
    time.sleep(random.uniform(0.0, 0.01))
    run.send_signal(sig)
    sent = time.monotonic()
    _, err = run.communicate(timeout=60)
    return run.returncode, err, time.monotonic() - sent


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_interrupted_generate_resumes_with_only_the_unfinished_work(storyboard, tmp_path, sig, capsys, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    cache = tmp_path / "cache"
    code, err, seconds = start_and_stop(storyboard, cache, sig)

    finished = {p.name: p.stat().st_mtime_ns for p in bundles(cache)}
    assert 1 <= len(finished) < SEEDS, "the run was not stopped while generating"
    if sig == signal.SIGINT:
        assert code == 130 and seconds < STOP_SECONDS, (code, seconds)
        assert "Traceback" not in err
        said = re.search(rf"interrupted; (\d+) of {SEEDS} trajectories finished", err)
        assert said and int(said.group(1)) == len(finished), err
    else:
        assert code == -signal.SIGKILL
    # What is under a final name is complete, whatever the moment of the stop.
    for path in bundles(cache):
        from render.engine.trajectory import Trajectory

        Trajectory.load(path, verify=True)

    assert main(["generate", str(storyboard), "--cache", str(cache), "--batch-size", "1"]) == 0
    err = capsys.readouterr().err
    assert made_count(err) == SEEDS - len(finished)
    assert_cache_intact(cache, SEEDS)  # and the killed run's temporary folder is gone
    assert {name: (cache / "trajectories" / name).stat().st_mtime_ns for name in finished} == finished
