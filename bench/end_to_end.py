"""End to end: a storyboard rendered from an empty cache, wall time over the video's duration.

Each run is the real command (`noise2image render STORYBOARD --cache EMPTY --out TMP --quality Q
--jobs N`, a fresh process, nothing shared with other runs), timed from start to exit; the video's
duration is read back from video.mp4. Runs once per --jobs value (default: 1 and 2) in each of
--rounds rounds (the values alternate, so a slower stretch of a shared machine hits each alike) and
prints every run's wall time, the video's duration and their ratio, then each value's median
(target: at most 0.8 of the video's duration at --jobs 2 on the 2-core machine).

Full benchmark (the default storyboard, medium quality; tens of minutes on 2 cores):

    .venv/bin/python bench/end_to_end.py storyboard.yaml --quality medium --jobs 1,2

Quick check on a subset:

    .venv/bin/python bench/end_to_end.py storyboard.yaml --chapters denoising,seeds --quality low
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_speed import machine  # noqa: E402


def noise2image() -> list[str]:
    return [sys.executable, "-m", "render.cli"]


def timed_render(storyboard: Path, work: Path, extra: list[str]) -> tuple[float, float, str]:
    """(wall seconds, video seconds, log) of one render from an empty cache in `work`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("NOISE2IMAGE_CACHE", None)
    cmd = [
        *noise2image(),
        "render",
        str(storyboard),
        "--cache",
        str(work / "cache"),
        "--out",
        str(work / "out"),
        *extra,
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"render failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return wall, video_duration(work / "out" / "video.mp4"), proc.stderr


def video_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(out)


def stage_times(log: str) -> str:
    """The engine's own per-stage lines worth keeping (generation, clips, assembly)."""
    keep = ("generate: made", "render: [", "assemble:", "done in")
    return "\n".join("#   " + line for line in log.splitlines() if line.startswith(keep))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("storyboard", type=Path, nargs="?", default=REPO / "storyboard.yaml")
    parser.add_argument("--chapters", help="comma-separated chapter ids (default: all)")
    parser.add_argument("--quality", default="medium", help="render quality (default: medium)")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values, one run each (default: 1,2)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each --jobs value, alternating (default: 1)")
    parser.add_argument("--verbose", action="store_true", help="also print the engine's stage timings")
    args = parser.parse_args(argv)

    extra = ["--quality", args.quality] + (["--chapters", args.chapters] if args.chapters else [])
    results = []
    for _ in range(args.rounds):
        for jobs in [int(j) for j in args.jobs.split(",")]:
            with tempfile.TemporaryDirectory(prefix="n2i-e2e-") as tmp:
                wall, duration, log = timed_render(args.storyboard.resolve(), Path(tmp), [*extra, "--jobs", str(jobs)])
            results.append((jobs, wall, duration, log))

    print(f"# end to end, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}")
    print(f"# {args.storyboard}, chapters {args.chapters or 'all'}, quality {args.quality}, empty cache each run, "
          f"{args.rounds} round(s); load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{'jobs':>4} {'wall s':>8} {'video s':>8} {'wall/video':>10}")
    for jobs, wall, duration, log in results:
        print(f"{jobs:>4} {wall:>8.1f} {duration:>8.1f} {wall / duration:>10.2f}")
        if args.verbose:
            print(stage_times(log))
    print("# medians")
    for jobs in dict.fromkeys(j for j, *_ in results):
        walls = [w for j, w, _, _ in results if j == jobs]
        ratios = [w / d for j, w, d, _ in results if j == jobs]
        print(f"{jobs:>4} {statistics.median(walls):>8.1f} {'':>8} {statistics.median(ratios):>10.2f}")
    print("# target: wall/video <= 0.8 at --jobs 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
