"""Preview speed: `noise2image preview` against `noise2image render` of the same storyboard and quality.

Both commands start from the same cache: trajectories, chapter data and narration made (by this
script, first, with the engine's own stages), no chapter clips and no previews. Then, in this one
command, it times each from the command line (process start to exit, as a user waits for it):

    preview   (the last frame of every beat and the contact sheet; previews removed before each run)
    render    (every chapter clip, the assembled video; clips and the video removed before each run)

alternating, --repeat times each, and prints the best time of each and the ratio preview / render
(target <= 0.2 on the default storyboard with 2 cores).

    .venv/bin/python bench/preview_speed.py                       # storyboard.yaml, low quality, 2 jobs
    .venv/bin/python bench/preview_speed.py --cache build/cache --quality medium --repeat 2
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from render_speed import machine  # noqa: E402  (bench/ is this script's folder)


def prepare(storyboard: Path, cache: Path, quality: str) -> None:
    """Trajectories, chapter data and narration of every chapter in `cache` (made where missing)."""
    from render.run import generate
    from render.session import open_session
    from render.stages.analyse import analyse
    from render.stages.narrate import narrate

    session = open_session(storyboard, str(cache))
    generate(session)
    analyse(session, session.plan.chapters)
    narrate(session, session.plan.chapters, session.quality_and_fps(quality)[1])


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    from render.storyboard import QUALITY_PRESETS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("storyboard", type=Path, nargs="?", default=REPO / "storyboard.yaml")
    parser.add_argument("--quality", default="low", choices=list(QUALITY_PRESETS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command; the best is kept")
    parser.add_argument("--cache", type=Path, help="a cache to copy trajectories and narration from")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="n2i-preview-speed-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        if args.cache:
            for stage in ("trajectories", "narration", "embeddings", "chapters"):
                if (args.cache / stage).is_dir():
                    shutil.copytree(args.cache / stage, cache / stage)
        prepare(args.storyboard, cache, args.quality)
        cli = [sys.executable, "-m", "render.cli"]
        common = [str(args.storyboard), "--cache", str(cache), "--quality", args.quality, "--jobs", str(args.jobs)]
        best = {"preview": float("inf"), "render": float("inf")}
        for _ in range(args.repeat):
            shutil.rmtree(cache / "previews", ignore_errors=True)
            best["preview"] = min(best["preview"], timed([*cli, "preview", *common, "--out", str(work / "p")]))
            shutil.rmtree(cache / "clips", ignore_errors=True)
            shutil.rmtree(work / "r", ignore_errors=True)
            best["render"] = min(best["render"], timed([*cli, "render", *common, "--out", str(work / "r")]))

    print(f"# preview speed, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}")
    print(f"# {args.storyboard}, quality {args.quality}, --jobs {args.jobs}, best of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"preview {best['preview']:.1f} s, render {best['render']:.1f} s, "
          f"ratio {best['preview'] / best['render']:.3f} (target <= 0.2)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
