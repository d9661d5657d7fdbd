"""Ray's overhead on the clip stage: `render --executor ray` on a local 2-CPU Ray instance against `--jobs 2`.

One local render fills a cache (generation, analysis, narration, clips). Then, alternating, the
same `noise2image render` command re-renders every chapter clip from a copy of that cache without
its clips, once per variant per round:

- `local`: `--jobs 2` (two Manim processes at a time on this machine);
- `ray`: `--executor ray --ray-address ADDR`, a 2-CPU Ray head node on 127.0.0.1 that the benchmark
  started before the first round, as a user's cluster would be running already;
- `ray-start`: `--executor ray --jobs 2` without an address: the command starts and stops its own
  local 2-CPU Ray instance.

Printed per run: the clip stage's wall time (from the line announcing the clips to the last clip
stored, read from the render's log as it comes) and the whole command's; then the medians and the
ratios against `local` (target for the clip stage on a running instance: <= 1.15).

    .venv/bin/python bench/ray_overhead.py storyboard.yaml --quality low --rounds 2

`--tiny` renders a four-chapter storyboard on the tests' tiny PRX model instead (tests/helpers_video.py):
generation takes seconds, the clips are as long as their narration, as on any model.

    .venv/bin/python bench/ray_overhead.py --tiny --rounds 2
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

from helpers_ray import ray_head, short_temp_dir  # noqa: E402
from helpers_video import TWO_CHAPTERS, save_tiny_prx, storyboard_data, write_storyboard  # noqa: E402
from render_speed import machine  # noqa: E402

CLI = [sys.executable, "-m", "render.cli", "render"]
ANNOUNCED = re.compile(r"^render: (\d+) chapter clip\(s\) to render")
STORED = re.compile(r"^render: \[(\d+)/(\d+)\]")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `command`; returns (clip stage seconds, whole command seconds, its log)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    announced = stored = None
    lines = []
    for line in proc.stderr:
        now = time.perf_counter()
        lines.append(line)
        if ANNOUNCED.match(line):
            announced = now
        elif (m := STORED.match(line)) and m.group(1) == m.group(2):
            stored = now
    proc.wait()
    log = "".join(lines)
    if proc.returncode != 0 or announced is None or stored is None:
        raise SystemExit(f"{' '.join(command)} failed (exit {proc.returncode}):\n{log}")
    return stored - announced, time.perf_counter() - start, log


def without_clips(base: Path, target: Path) -> Path:
    """`base` with hard links to its files, minus the clips (nothing rewrites a cache file in place)."""
    shutil.copytree(base, target, copy_function=os.link, ignore=lambda d, n: ["clips"] if Path(d) == base else [])
    return target


TINY_CHAPTERS = [
    *TWO_CHAPTERS,
    {"id": "guidance", "kind": "guidance_comparison", "title": "Guidance", "prompt": "a blue star",
     "guidance_scales": [1.0, 4.0, 9.0], "narration": ["Guidance pushes the image towards the prompt.",
                                                       "Too much of it, and colours burn out."]},
    {"id": "latents", "kind": "latent_space", "title": "Latent space", "prompt": "a blue star",
     "narration": ["The model works in a smaller space.", "Each latent pixel stands for a patch of the image."]},
]  # fmt: skip


def tiny_storyboard(folder: Path) -> Path:
    """Four chapters on the tests' tiny PRX model, with narration at the normal speed."""
    model = save_tiny_prx(folder / "tiny-prx")
    return write_storyboard(folder / "tiny.yaml", storyboard_data(model, TINY_CHAPTERS, speed=1.0, pause=0.4))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("storyboard", type=Path, nargs="?", default=REPO / "storyboard.yaml")
    parser.add_argument("--quality", default="low")
    parser.add_argument("--chapters", help="comma-separated chapter ids (default: all)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tiny", action="store_true", help="a four-chapter storyboard on a tiny model instead")
    args = parser.parse_args(argv)

    extra = ["--quality", args.quality] + (["--chapters", args.chapters] if args.chapters else [])
    times: dict[str, list[tuple[float, float]]] = {"local": [], "ray": [], "ray-start": []}
    print(f"# ray overhead, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}")
    with tempfile.TemporaryDirectory(prefix="n2i-ray-bench-") as tmp, ray_head(cpus=2) as head:
        work, own_instance = Path(tmp), short_temp_dir()
        base = work / "base"
        if args.tiny:
            args.storyboard = tiny_storyboard(work)
        _, seconds, _ = timed([*CLI, str(args.storyboard), "--cache", str(base), "--out", str(work / "out"),
                               "--jobs", "2", *extra], head.env)  # fmt: skip
        print(f"# prepared the cache in {seconds:.1f} s (a local render from scratch)")
        variants = {
            "local": ["--jobs", "2"],
            "ray": ["--executor", "ray", "--ray-address", head.address],
            "ray-start": ["--executor", "ray", "--jobs", "2"],
        }
        try:
            for k in range(args.rounds):
                for name, options in variants.items():
                    cache = without_clips(base, work / f"cache-{name}-{k}")
                    out = work / f"out-{name}-{k}"
                    command = [*CLI, str(args.storyboard), "--cache", str(cache), "--out", str(out), *extra, *options]
                    env = {**head.env, "RAY_TMPDIR": str(own_instance)}
                    stage, whole, log = timed(command, env)
                    clips = re.search(ANNOUNCED.pattern, log, re.M)
                    times[name].append((stage, whole))
                    print(f"round {k + 1} {name:9s} clip stage {stage:6.1f} s   command {whole:6.1f} s   "
                          f"({clips.group(1)} clips)", flush=True)  # fmt: skip
        finally:
            shutil.rmtree(own_instance, ignore_errors=True)

    stage = {name: statistics.median(s for s, _ in runs) for name, runs in times.items()}
    whole = {name: statistics.median(w for _, w in runs) for name, runs in times.items()}
    print("\n| variant | clip stage (median) | / local | whole command (median) | / local |")
    print("|---|---|---|---|---|")
    for name in times:
        print(f"| {name} | {stage[name]:.1f} s | {stage[name] / stage['local']:.2f} | "
              f"{whole[name]:.1f} s | {whole[name] / whole['local']:.2f} |")  # fmt: skip
    verdict = "met" if stage["ray"] / stage["local"] <= 1.15 else "NOT met"
    print(f"\nclip stage on a running 2-CPU Ray instance: {stage['ray'] / stage['local']:.2f} x --jobs 2 "
          f"(target <= 1.15: {verdict})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
