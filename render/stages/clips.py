"""The clips stage: each chapter's silent clip rendered with Manim, in a subprocess, and checked.

The work it sends out is `render_clip_task`: one chapter's data bundle and timing in (as bytes,
`ClipJob`), its MP4 out (`ClipMade`), rendered where the executor runs it (render/executors/): in a
thread of this process, `--jobs` at a time, or as a Ray task. This process writes each clip and its
timing.json into the cache under the key it computed.

Each render gets its own fresh media folder (Manim's text/SVG caches must not be shared between
parallel renders), the output is checked (a video stream, frames, the duration of the timing)
and only then renamed into place, so a truncated file never sits under the final name. Manim
runs in its executor's process group, so an interrupted `render` ends the Manim processes at once
instead of waiting for them.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from render.chapter_data import Timing, write_timing
from render.errors import UserFacingError
from render.executors import Executor, LocalExecutor, processes
from render.keys import clip_timing_path, scene_version
from render.kinds.base import SceneRef
from render.media.ffmpeg import CLIP_ENCODER_OPTIONS, MediaError, video_info
from render.media.files import atomic_write
from render.paths import REPO_ROOT
from render.progress import say
from render.session import Session
from render.stages.keyed import keyed
from render.stages.plan import ChapterPlan
from render.storyboard import QUALITY_PRESETS
from render.words import plural


class ClipError(Exception):
    """Manim failed, or its output is not the clip that was asked for."""


def render_clip(
    scene: SceneRef,
    chapter_dir: Path,
    timing: Timing,
    out_mp4: Path,
    quality: str,
    fps: int | None = None,
    resolution: tuple[int, int] | None = None,
    text_cache: Path | None = None,
) -> Path:
    """Render `scene` for a chapter bundle, timed by `timing`, to `out_mp4` (timing.json is written beside it).

    `quality` is a storyboard quality name (low|medium|high|production|fourk); `fps` overrides the
    preset's frame rate, `resolution` (width, height) its size (tests use tiny ones); `text_cache` is
    where the scene keeps the texts it makes for the next render (scenes/texts.py). Manim runs in the
    current thread's process group (render/executors/processes.py), so its executor can stop it.
    Raises ClipError with the tail of Manim's log when rendering or the check fails.
    """
    if quality not in QUALITY_PRESETS:
        raise ClipError(f"unknown quality {quality!r}; expected one of {', '.join(QUALITY_PRESETS)}")
    out_mp4 = Path(out_mp4)
    timing_path = write_timing(out_mp4.with_suffix(".timing.json"), timing)
    media = Path(tempfile.mkdtemp(prefix=f".manim-{out_mp4.stem}-", dir=out_mp4.parent))
    try:
        cmd = [
            sys.executable, "-m", "manim", "render",
            f"-q{QUALITY_PRESETS[quality].flag}",
            "--media_dir", str(media),
            "--disable_caching",
            "--format", "mp4",
            "--progress_bar", "none",
            *(arg for key, value in CLIP_ENCODER_OPTIONS.items() for arg in ("--encoder-option", f"{key}={value}")),
            "-o", "clip.mp4",
        ]  # fmt: skip
        if fps:
            cmd += ["--fps", str(fps)]
        if resolution:
            cmd += ["-r", f"{resolution[0]},{resolution[1]}"]
        cmd += [str(scene.file), scene.cls]
        env = {
            **os.environ,
            "N2I_CHAPTER": str(Path(chapter_dir).resolve()),
            "N2I_TIMING": str(timing_path.resolve()),
            **({"N2I_TEXT_CACHE": str(Path(text_cache).resolve())} if text_cache else {}),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        returncode, log = processes.run(cmd, cwd=media, env=env)
        produced = list(media.rglob("clip.mp4"))
        if returncode != 0 or not produced:
            raise ClipError(f"manim failed for {scene.cls} (exit {returncode}):\n{_tail(log)}")
        check_clip(produced[0], timing.total)
        os.replace(produced[0], out_mp4)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return out_mp4


def check_clip(path: Path, total: float) -> dict:
    """Raise ClipError unless `path` has frames and lasts `total` seconds to within one frame."""
    try:
        meta = video_info(path)
    except MediaError as e:
        raise ClipError(str(e)) from e
    if meta["frames"] <= 0:
        raise ClipError(f"{path} has no frames")
    if abs(meta["duration"] - total) > 1.0 / meta["fps"] + 1e-6:
        raise ClipError(
            f"{path} lasts {meta['duration']:.3f}s ({meta['frames']} frames at {meta['fps']:g} fps); "
            f"the narration needs {total:.3f}s"
        )
    return meta


def _tail(log: str, lines: int = 40) -> str:
    return "\n".join(log.strip().splitlines()[-lines:])


# ---- the work sent out: one chapter clip -----------------------------------------------------------


@dataclass(frozen=True)
class ClipJob:
    """One chapter clip as it travels to where it is rendered: the scene (its file relative to the installation
    when it is part of it), the chapter data bundle's files, the timing, the quality and the frame rate."""

    chapter: str
    scene_file: str
    scene_class: str
    bundle: dict[str, bytes]  # relative path -> bytes
    timing: str  # timing.json
    quality: str
    fps: int

    @classmethod
    def of(cls, chapter: ChapterPlan, data_folder: Path, timing: Timing, quality: str, fps: int) -> ClipJob:
        scene = chapter.kind.scene
        bundle = {p.relative_to(data_folder).as_posix(): p.read_bytes() for p in sorted(data_folder.rglob("*"))
                  if p.is_file()}  # fmt: skip
        return cls(chapter.id, _portable(scene.file), scene.cls, bundle, timing.model_dump_json(), quality, fps)


@dataclass(frozen=True)
class ClipMade:
    """A rendered clip's MP4, and what drew it: the hash of the scene code and Manim's version there."""

    mp4: bytes
    scenes: str
    manim: str
    seconds: float
    node: str


def render_clip_task(job: ClipJob, scratch: Path | None = None) -> ClipMade:
    """Render one chapter clip from its job's bytes, in a temporary folder under `scratch` (else the system's),
    keeping its texts for the next render in the cache's text folder, beside `scratch` (its clips folder)."""
    scene_file = Path(job.scene_file) if Path(job.scene_file).is_absolute() else REPO_ROOT / job.scene_file
    start = time.perf_counter()
    texts = scratch.parent / "text" if scratch is not None else None
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".clip-{job.chapter}-", dir=scratch) as tmp:
        chapter_dir = Path(tmp) / "chapter"
        for name, data in job.bundle.items():
            (chapter_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (chapter_dir / name).write_bytes(data)
        timing = Timing.model_validate_json(job.timing)
        clip = render_clip(SceneRef(scene_file, job.scene_class), chapter_dir, timing, Path(tmp) / "clip.mp4",
                           job.quality, fps=job.fps, text_cache=texts)  # fmt: skip
        return ClipMade(
            clip.read_bytes(), scene_version(scene_file), version("manim"), time.perf_counter() - start,
            socket.gethostname(),
        )  # fmt: skip


def _portable(path: Path) -> str:
    """A scene file as a worker finds it: relative to the installation when it is part of it."""
    path = Path(path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


# ---- the stage -----------------------------------------------------------------------------------


def render_clips(
    session: Session,
    jobs: list[tuple[ChapterPlan, Timing, Path]],
    quality: str,
    fps: int,
    n_jobs: int,
    executor: Executor | None = None,
    *,
    among: tuple[int, int] | None = None,
) -> None:
    """Render the chapters whose clip is not cached, `n_jobs` at a time (or on the cluster of another
    `executor`: render/executors), the longest first. `among`: (clips finished before, clips in all)
    when these jobs are one round of a render that makes its clips in several (what Ctrl-C reports).

    `jobs` are (chapter, timing, clip path). Clip rendering holds the cache's `clips` lock: a second
    run on the same cache waits and then finds the clips made, and whatever hidden temporary renders
    are found then were left by a killed run and are removed. On Ctrl-C the Manim processes are
    stopped at once and the finished clips are kept.
    """
    executor = executor or LocalExecutor()
    before, total = among or (0, len(jobs))
    clip_dir = session.cache.stage_dir("clips")
    manim = version("manim")

    def make(todo):
        todo = sorted(todo, key=lambda job: -job[1].total)  # the longest first: no long render starts last, alone
        how = executor.describe_map(n_jobs, len(todo))
        say(f"render: {plural(len(todo), 'chapter clip')} to render at {quality} quality, {how}")
        inputs = (ClipJob.of(c, session.data_folder(c), timing, quality, fps) for c, timing, _ in todo)
        results = executor.map(render_clip_task, inputs, jobs=n_jobs, scratch=clip_dir)
        try:
            for k, made in results:
                chapter, timing, _ = todo[k]
                _check_drawn_here(made, chapter, session.scene_version(chapter), manim)
                yield todo[k], (made, timing)
        finally:
            results.close()  # Ctrl-C or a failed clip: stop the other renders now, not when they end

    def store(path: Path, result: tuple[ClipMade, Timing]) -> None:
        made, timing = result
        write_timing(clip_timing_path(path), timing)  # beside the clip: the timing it was rendered to
        atomic_write(path, made.mp4)

    keyed(
        jobs,
        lambda job: job[2],
        make,
        store=store,
        present=lambda job: job[2].is_file(),
        lock=(session.cache, "clips"),
        leftovers=(clip_dir, "clip render"),
        progress=("render", "clip"),
        label=lambda job, result: f"{job[0].id}: {job[1].total:.1f} s of video in {result[0].seconds:.1f} s",
        interrupted=lambda done, missing: (
            f"render: interrupted; {before + len(jobs) - missing + done} of {plural(total, 'chapter clip')} "
            f"finished and kept in {clip_dir}, {total - before - len(jobs) + missing - done} still to render"
        ),
    )


def _check_drawn_here(made: ClipMade, chapter: ChapterPlan, scenes: str, manim: str) -> None:
    """Stop if a worker drew the clip with other scene code or another Manim than this machine's (its key
    describes this machine's)."""
    if made.node == socket.gethostname() and made.scenes != scenes:
        raise UserFacingError(
            f"the scene code changed while this render ran ({chapter.id} was drawn by {made.scenes}, the run began "
            f"with {scenes}): render again to draw every clip with the code as it is now"
        )
    if (made.scenes, made.manim) != (scenes, manim):
        raise UserFacingError(
            f"the worker on {made.node} renders {chapter.id} with other scene code or Manim than this machine "
            f"(scenes {made.scenes}, Manim {made.manim} there; {scenes}, {manim} here): install the same "
            "noise2image and Manim on every node (see README, 'Running on a Ray cluster')"
        )
