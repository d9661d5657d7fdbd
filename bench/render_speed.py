"""Rendering speed: each chapter kind's scene versus a plain Manim scene showing the same pictures.

For one chapter of every kind in a storyboard (default: the first chapter of each kind in
storyboard.yaml, which has all eleven; or --chapters) the engine makes the chapter data and the
narration timing with its own stages (cached in --cache), then this process renders, with the same
Manim config (resolution, frame rate, no caching, mp4):

- the project's scene (scenes/<kind>.py), and
- a plain scene (bench/plain_scenes.py, whose docstring lists what each kind's shows): the same
  pictures from the chapter's data bundle, one `ImageMobject` each in a simple grid, made anew as
  often as the project's scene changes them and held with a frozen `self.wait` in between, for the
  same number of frames; for embedding_map, which has no images, its dots and prompt labels, still.

Only `scene.render()` is timed (setup, construct, encoding), in this one process, alternating the
two scenes and keeping the best of --repeat runs. The project's scenes keep their texts in a text
cache (scenes/texts.py) as clips do, filled by the first run: later runs load them, as a clip made
again finds them (`--repeat 1` measures a first render). Prints, per chapter, the seconds of each, the
plain scene's number of states (pictures drawn anew) and the ratio project time / plain time
(target <= 1.1), then the worst kind and the median ratio.

    .venv/bin/python bench/render_speed.py --quality low --repeat 1          # every kind, storyboard.yaml
    .venv/bin/python bench/render_speed.py --quality low --chapters denoising,summary --cache /tmp/n2i-bench
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def prepare(storyboard: Path, cache: str, chapter_ids: list[str] | None, fps: int, work: Path):
    """(chapter, data folder, timing file) per chosen chapter, made by the engine's own stages."""
    from render.chapter_data import write_timing
    from render.run import generate
    from render.session import open_session
    from render.stages.analyse import analyse
    from render.stages.narrate import narrate

    session = open_session(storyboard, cache, work / "out")
    if chapter_ids:
        chosen = session.select(chapter_ids)
    else:
        first = {}  # the first chapter of each kind, in storyboard order
        for chapter in session.plan.chapters:
            first.setdefault(chapter.kind.name, chapter)
        chosen = list(first.values())
    session.plan.only({c.id for c in chosen})
    generate(session)
    data = analyse(session, chosen)
    timelines = narrate(session, chosen, fps)
    return [(c, data[c.id], write_timing(work / f"{c.id}.timing.json", timelines[c.id].timing())) for c in chosen]


def project_scene(kind: str):
    from render.kinds import KINDS as REGISTRY

    scene = REGISTRY[kind].scene
    spec = importlib.util.spec_from_file_location(f"scenes.{scene.file.stem}", scene.file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, scene.cls)


def render_once(scene_class, media: Path, name: str, quality: str, fps: int) -> tuple[Path, float]:
    from manim import config, tempconfig

    settings = {
        "quality": f"{quality}_quality",  # Manim's names: low_quality ... fourk_quality
        "frame_rate": fps,
        "media_dir": str(media),
        "disable_caching": True,
        "format": "mp4",
        "progress_bar": "none",
        "verbosity": "WARNING",
        "output_file": name,
    }
    with tempconfig(settings):
        scene = scene_class()
        start = time.perf_counter()
        scene.render()
        seconds = time.perf_counter() - start
        assert config.frame_rate == fps
        return Path(scene.renderer.file_writer.movie_file_path), seconds


def main(argv: list[str] | None = None) -> int:
    from render.storyboard import QUALITY_PRESETS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("storyboard", type=Path, nargs="?", default=REPO / "storyboard.yaml")
    parser.add_argument("--chapters", help="comma-separated chapter ids (default: the first of each kind)")
    parser.add_argument("--quality", default="medium", choices=list(QUALITY_PRESETS))
    parser.add_argument("--fps", type=int, help="frame rate (default: the quality preset's)")
    parser.add_argument("--repeat", type=int, default=2, help="renders of each scene; the best is kept")
    parser.add_argument("--cache", help="engine cache for trajectories/narration (default: a temp folder)")
    args = parser.parse_args(argv)

    fps = args.fps or QUALITY_PRESETS[args.quality].fps
    with tempfile.TemporaryDirectory(prefix="n2i-render-speed-") as tmp:
        work = Path(tmp)
        cache = args.cache or str(work / "cache")
        chapters = prepare(args.storyboard, cache, args.chapters.split(",") if args.chapters else None, fps, work)
        print(f"# render speed, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}")
        print(f"# {args.storyboard}, quality {args.quality}, {fps} fps, best of {args.repeat}")
        print(f"{'chapter':<20} {'kind':<20} {'size':>9} {'frames':>6} {'states':>6} "
              f"{'project s':>9} {'plain s':>8} {'ratio':>6}", flush=True)  # fmt: skip
        ratios = {}
        for chapter, data_dir, timing in chapters:
            kind = chapter.kind.name
            ratios[kind] = measure(chapter.id, kind, data_dir, timing, fps, args, work)
    worst = max(ratios, key=ratios.get)
    print(f"# worst: {worst} {ratios[worst]:.2f}; median ratio {median(ratios.values()):.2f} over {len(ratios)} kinds; "
          f"{sum(r > 1.1 for r in ratios.values())} above 1.1; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print("# ratio = project time / plain time (target <= 1.1; below 1 is a speed-up)")
    return 0


def measure(chapter_id: str, kind: str, data_dir: Path, timing: Path, fps: int, args, work: Path) -> float:
    """Render the chapter's scene and its plain baseline alternately; print its row; the ratio of the best times."""
    from plain_scenes import plain_scene  # bench/, this script's folder

    from render.chapter_data import load_timing
    from render.media.ffmpeg import video_info

    os.environ["N2I_CHAPTER"], os.environ["N2I_TIMING"] = str(data_dir), str(timing)
    os.environ["N2I_TEXT_CACHE"] = str(work / "text")
    frames = round(load_timing(timing).total * fps)
    plain, states = plain_scene(kind, data_dir, timing, fps, frames)
    scenes = {"project": project_scene(kind), "plain": plain}
    best: dict[str, float] = {}
    counted: dict[str, dict] = {}
    for r in range(args.repeat):
        for label, scene_class in scenes.items():
            name = f"{chapter_id}-{label}-{r}"
            path, seconds = render_once(scene_class, work / f"media-{label}", name, args.quality, fps)
            counted[label] = video_info(path)
            best[label] = min(best.get(label, float("inf")), seconds)
    meta = counted["project"]
    if any(counted["plain"][k] != meta[k] for k in ("frames", "width", "height")):
        raise SystemExit(f"{chapter_id}: the two renders differ: {counted}")
    ratio = best["project"] / best["plain"]
    size = f"{meta['width']}x{meta['height']}"
    print(f"{chapter_id:<20} {kind:<20} {size:>9} {meta['frames']:>6} {states:>6} "
          f"{best['project']:>9.1f} {best['plain']:>8.1f} {ratio:>6.2f}", flush=True)  # fmt: skip
    return ratio


if __name__ == "__main__":
    sys.exit(main())
