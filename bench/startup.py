"""Start-up: how long the commands that do no model work take, as whole processes.

Two figures, each the median of 5 runs of the real command (a fresh `python -m render.cli` process,
timed from start to exit):

- `noise2image check STORYBOARD` (default: the repository's storyboard.yaml): validation only;
- a fully cached `noise2image render` of a small storyboard (tests/helpers_video.py's two chapters
  on a tiny local PRX folder, espeak, low quality), rendered once first into a temporary folder.

Neither should import torch, transformers, diffusers or Manim (tests/test_startup.py checks it);
this measures what is left. A bench, not a timed test:

    .venv/bin/python bench/startup.py [STORYBOARD] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from helpers_video import save_tiny_prx, storyboard_data, write_storyboard  # noqa: E402


def command_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("NOISE2IMAGE_CACHE", None)
    return env


def run(args: list[str]) -> float:
    """Seconds one `noise2image ARGS` process takes; it must succeed."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "render.cli", *args]
    proc = subprocess.run(command, env=command_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"noise2image {' '.join(args)} failed:\n{proc.stderr}")
    return seconds


def median_of(runs: int, args: list[str]) -> float:
    return statistics.median(run(args) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("storyboard", nargs="?", type=Path, default=REPO / "storyboard.yaml", help="for `check`")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is printed)")
    args = parser.parse_args()

    check = median_of(args.runs, ["check", str(args.storyboard)])
    print(f"check {args.storyboard.name}: {check:.2f} s (median of {args.runs})")

    with tempfile.TemporaryDirectory(prefix="n2i-startup-") as tmp:
        root = Path(tmp)
        story = write_storyboard(root / "small.yaml", storyboard_data(save_tiny_prx(root / "tiny-prx")))
        render = ["render", str(story), "--cache", str(root / "cache"), "--out", str(root / "out")]
        first = run(render)
        cached = median_of(args.runs, render)
    print(f"render, fully cached (two chapters, tiny PRX): {cached:.2f} s (median of {args.runs}; "
          f"the first render, from an empty cache: {first:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
