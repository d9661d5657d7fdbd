"""Slide export speed: `noise2image export` of a finished render, against another revision's export.

Each run is the real command (`noise2image export STORYBOARD --out COPY`, a fresh process) on a
fresh copy of a finished render's output folder (its manifest names the cached chapter clips), so
nothing is reused between runs. With `--baseline REV` the same export by revision REV of this
repository (extracted with `git archive`, run with the same Python) alternates with this working
tree's, and the ratio of the medians is printed: the machine is shared, so only a ratio measured in
one command means something. Prints seconds, files written, and seconds per minute of video.

    .venv/bin/python bench/export.py storyboard.yaml --out build/storyboard --baseline arch --rounds 2
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_speed import machine  # noqa: E402


def checkout(rev: str, into: Path) -> Path:
    """The tracked files of revision `rev` in `into` (no .git, nothing else of this checkout)."""
    archive = into / "rev.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), rev], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "code", filter="data")
    return into / "code"


def timed_export(code: Path, storyboard: Path, out: Path, cache: str | None) -> tuple[float, int, str]:
    """(wall seconds, files in slides/, log) of one export by the code in `code`."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, "-m", "render.cli", "export", str(storyboard), "--out", str(out)]
    if cache:
        cmd += ["--cache", cache]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=code, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"export failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return wall, len(list((out / "slides").iterdir())), proc.stderr


def video_minutes(out: Path) -> float:
    probe = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(out / "video.mp4")]
    return float(subprocess.run(probe, capture_output=True, text=True, check=True).stdout) / 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("storyboard", type=Path, nargs="?", default=REPO / "storyboard.yaml")
    parser.add_argument("--out", type=Path, required=True, help="a finished render's output folder (read only)")
    parser.add_argument("--cache", help="the cache of that render (default: the storyboard's)")
    parser.add_argument("--baseline", help="a git revision whose export runs alternately with this tree's")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    if not (args.out / "manifest.json").is_file():
        raise SystemExit(f"{args.out} has no manifest.json: render first")

    with tempfile.TemporaryDirectory(prefix="n2i-export-bench-") as tmp_name:
        tmp = Path(tmp_name)
        codes = {"this tree": REPO}
        if args.baseline:
            codes[f"baseline {args.baseline}"] = checkout(args.baseline, tmp)
        times: dict[str, list[float]] = {label: [] for label in codes}
        files: dict[str, int] = {}
        for r in range(args.rounds):
            for label, code in codes.items():
                out = tmp / f"out-{r}-{len(times[label])}-{label.split()[0]}"
                shutil.copytree(args.out, out, ignore=shutil.ignore_patterns("slides"))
                wall, files[label], _ = timed_export(code, args.storyboard.resolve(), out, args.cache)
                times[label].append(wall)
                shutil.rmtree(out)
                print(f"round {r + 1}  {label:<24} {wall:7.1f} s  {files[label]} files", flush=True)

    minutes = video_minutes(args.out)
    print(f"# slide export, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}")
    print(f"# {args.storyboard} ({minutes * 60:.0f} s of video), {args.rounds} round(s); "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    medians = {label: statistics.median(t) for label, t in times.items()}
    for label, seconds in medians.items():
        print(f"{label:<24} {seconds:7.1f} s  {files[label]} files  {seconds / minutes:6.1f} s per minute of video")
    if args.baseline:
        (ours, base) = medians.values()
        print(f"this tree / baseline: {ours / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
