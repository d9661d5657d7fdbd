"""Rendering speed: this project's chapter scenes versus a plain Manim scene showing the same images.

For the denoising and seed-comparison chapters of a storyboard (default: the first chapter of each
kind in storyboard.yaml) the engine makes the chapter data and the narration timing (cached in
--cache), then this process renders, with the same Manim config (resolution, frame rate, no
caching, mp4):

- the project's scene (scenes/denoising.py, scenes/seed_comparison.py), and
- a plain scene that shows the same images with `ImageMobject` in the simplest way: one
  ImageMobject per image (denoising: the noisy state and the prediction side by side; seeds:
  one per seed in a grid), replaced at every step and held with `self.wait`, for the same
  number of frames.

Only `scene.render()` is timed (setup, construct, encoding), in this one process, alternating the
two scenes and keeping the best of --repeat runs. Prints frames per second of each and the ratio
project time / plain time (target <= 1.1).

    .venv/bin/python bench/render_speed.py                      # medium quality, storyboard.yaml
    .venv/bin/python bench/render_speed.py --quality low --repeat 3 --cache /tmp/n2i-bench-cache
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

KINDS = ("denoising", "seed_comparison")


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
        chosen = [next(c for c in session.plan.chapters if c.kind.name == kind) for kind in KINDS]
    session.plan.only({c.id for c in chosen})
    generate(session)
    data = analyse(session, chosen)
    timelines = narrate(session, chosen, fps)
    return [(c, data[c.id], write_timing(work / f"{c.id}.timing.json", timelines[c.id].timing())) for c in chosen]


# ---- the plain scenes ----------------------------------------------------------------------------


def plain_scene(kind: str, chapter_dir: Path, frames: int):
    """A Manim Scene class showing the chapter's images with plain ImageMobjects for `frames` frames."""
    import numpy as np
    from manim import Group, ImageMobject, Scene, config

    from render.chapter_data import load_chapter_data

    _, arrays = load_chapter_data(chapter_dir)
    if kind == "denoising":
        previews, x0 = arrays["previews"], arrays["x0_previews"]
        # step 0 shows the noise and the first prediction; step i the state after i steps
        pictures = [[previews[i], x0[min(i, len(x0) - 1)]] for i in range(len(previews))]
    else:
        previews = arrays["previews"]  # [seeds, steps + 1, H, W, 3]
        pictures = [list(previews[:, i]) for i in range(previews.shape[1])]

    class PlainImages(Scene):
        def construct(self) -> None:
            fps = config.frame_rate
            n = len(pictures)
            for i, images in enumerate(pictures):
                group = Group(*[ImageMobject(np.ascontiguousarray(img)).set_height(3) for img in images])
                group.arrange_in_grid(cols=min(len(images), 4), buff=0.3)
                group.scale_to_fit_width(min(group.width, config.frame_width - 1))
                self.add(group)
                hold = round((i + 1) * frames / n) - round(i * frames / n)
                if hold:  # a still picture: Manim writes one frame `hold` times (what wait() picks by itself)
                    self.wait((hold + 0.5) / fps, frozen_frame=True)
                self.remove(group)

    return PlainImages


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

    from render.chapter_data import load_timing
    from render.media.ffmpeg import video_info

    fps = args.fps or QUALITY_PRESETS[args.quality].fps
    with tempfile.TemporaryDirectory(prefix="n2i-render-speed-") as tmp:
        work = Path(tmp)
        cache = args.cache or str(work / "cache")
        chapters = prepare(args.storyboard, cache, args.chapters.split(",") if args.chapters else None, fps, work)
        rows = []
        for chapter, data_dir, timing in chapters:
            os.environ["N2I_CHAPTER"], os.environ["N2I_TIMING"] = str(data_dir), str(timing)
            frames = round(load_timing(timing).total * fps)
            kind = chapter.kind.name
            scenes = {"project": project_scene(kind), "plain": plain_scene(kind, data_dir, frames)}
            best: dict[str, float] = {}
            counted: dict[str, dict] = {}
            for r in range(args.repeat):
                for label, scene_class in scenes.items():
                    path, seconds = render_once(scene_class, work / f"media-{label}", f"{chapter.id}-{label}-{r}",
                                                args.quality, fps)  # fmt: skip
                    counted[label] = video_info(path)
                    best[label] = min(best.get(label, float("inf")), seconds)
            meta = counted["project"]
            if counted["plain"]["frames"] != meta["frames"] or counted["plain"]["width"] != meta["width"]:
                raise SystemExit(f"{chapter.id}: the two renders differ: {counted}")
            rows.append((chapter.id, kind, meta, best))

    print(f"# render speed, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}")
    print(f"# {args.storyboard}, quality {args.quality}, best of {args.repeat}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'chapter':<16} {'kind':<16} {'size':>9} {'frames':>6} {'project fps':>11} {'plain fps':>9} {'ratio':>6}")
    for chapter_id, kind, meta, best in rows:
        size = f"{meta['width']}x{meta['height']}"
        print(
            f"{chapter_id:<16} {kind:<16} {size:>9} {meta['frames']:>6} {meta['frames'] / best['project']:>11.1f} "
            f"{meta['frames'] / best['plain']:>9.1f} {best['project'] / best['plain']:>6.2f}"
        )
    print("# ratio = project time / plain time (target <= 1.1; below 1 is a speed-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
