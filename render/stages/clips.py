"""The clips stage: each chapter's silent clip rendered with Manim, in a subprocess, and checked.

Each call gets its own fresh media folder (Manim's text/SVG caches must not be shared between
parallel renders), the output is checked (a video stream, frames, the duration of the timing)
and only then renamed into place, so a truncated file never sits under the final name.
Renders started with a `ClipRenders` can all be stopped at once (`stop()`), which is how an
interrupted `render` ends its Manim processes instead of waiting for them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from render.chapter_data import Timing, write_timing
from render.executors import Executor, LocalExecutor
from render.kinds.base import SceneRef
from render.media.ffmpeg import MediaError, video_info
from render.paths import REPO_ROOT
from render.progress import Progress, say
from render.session import Session
from render.stages.plan import ChapterPlan
from render.storyboard import QUALITY_PRESETS


class ClipError(Exception):
    """Manim failed, or its output is not the clip that was asked for."""


class ClipRenders:
    """The Manim processes of a batch of renders (possibly in several threads), to stop them together.

    After `stop()` the running processes are terminated and no new one starts (ClipError instead).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self.stopped = False

    def run(self, cmd: list[str], **kwargs) -> tuple[int, str]:
        """Run `cmd` to its end: (exit code, stdout + stderr)."""
        with self._lock:
            if self.stopped:
                raise ClipError("clip rendering was stopped")
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
            self._running.add(proc)
        try:
            out, err = proc.communicate()
        except BaseException:  # interrupted in this very thread (a cancelled Ray task): Manim must not run on
            proc.kill()
            proc.wait()
            raise
        finally:
            with self._lock:
                self._running.discard(proc)
        return proc.returncode, out + err

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate every running render (killed if it has not ended after `timeout` s) and wait for it."""
        with self._lock:
            self.stopped = True
            running = list(self._running)
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def render_clip(
    scene: SceneRef,
    chapter_dir: Path,
    timing: Timing,
    out_mp4: Path,
    quality: str,
    fps: int | None = None,
    resolution: tuple[int, int] | None = None,
    renders: ClipRenders | None = None,
) -> Path:
    """Render `scene` for a chapter bundle, timed by `timing`, to `out_mp4` (timing.json is written beside it).

    `quality` is a storyboard quality name (low|medium|high|production|fourk); `fps` overrides the
    preset's frame rate, `resolution` (width, height) its size (tests use tiny ones). Pass a shared
    `renders` to be able to stop this render from another thread.
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
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        returncode, log = (renders or ClipRenders()).run(cmd, cwd=media, env=env)
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


# ---- the stage -----------------------------------------------------------------------------------


def render_clips(
    session: Session,
    jobs: list[tuple[ChapterPlan, Timing, Path]],
    quality: str,
    fps: int,
    n_jobs: int,
    executor: Executor | None = None,
):
    """Render the chapters whose clip is not cached, `n_jobs` Manim processes at a time (or on the
    cluster of another `executor`: render/executors).

    `jobs` are (chapter, timing, clip path). Clip rendering holds the cache's `clips` lock: a second
    run on the same cache waits and then finds the clips made, and whatever hidden temporary renders
    are found then were left by a killed run and are removed. On Ctrl-C the Manim processes are
    stopped at once and the finished clips are kept.
    """
    if all(path.is_file() for _, _, path in jobs):
        return
    clip_dir = session.cache.stage_dir("clips")
    with session.cache.lock("clips", say=say):
        _remove_unfinished_clips(clip_dir)
        todo = [(chapter, timing, path) for chapter, timing, path in jobs if not path.is_file()]
        if todo:
            _render_missing(session, todo, len(jobs), quality, fps, n_jobs, executor or LocalExecutor())


def _remove_unfinished_clips(clip_dir: Path) -> None:
    """Remove the temporary renders of runs that were killed. Call only while holding the `clips` lock."""
    if not clip_dir.is_dir():
        return
    leftovers = [p for p in clip_dir.iterdir() if p.name.startswith(".")]
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if leftovers:
        say(f"noise2image: removed {len(leftovers)} unfinished clip render(s) left by an interrupted run")


def _render_missing(session: Session, todo, n_chapters: int, quality: str, fps: int, n_jobs: int, executor) -> None:
    results = executor.render_clips(session, todo, quality, fps, n_jobs)
    done = 0
    progress = Progress("render", len(todo), unit="clip")
    try:
        for chapter_id, seconds, total in results:
            done += 1
            progress.done(f"{chapter_id}: {total:.1f} s of video in {seconds:.1f} s")
    except KeyboardInterrupt:
        finished = n_chapters - len(todo) + done
        say(
            f"render: interrupted; {finished} of {n_chapters} chapter clips finished and kept in "
            f"{session.cache.stage_dir('clips')}, {n_chapters - finished} still to render"
        )
        raise
    finally:
        progress.close()
        results.close()  # Ctrl-C or a failed clip: stop the other renders now, not when they end


def render_here(session: Session, todo, quality: str, fps: int, n_jobs: int):
    """The local executor's clips: `n_jobs` Manim processes at a time, each started from a thread of this
    process and writing straight into the cache. Yields (chapter id, seconds, seconds of video) per clip."""
    say(f"render: {len(todo)} chapter clip(s) to render at {quality} quality, {min(n_jobs, len(todo))} at a time")
    renders = ClipRenders()

    def one(chapter: ChapterPlan, timing: Timing, path: Path) -> tuple[str, float, float]:
        start = time.perf_counter()
        render_clip(chapter.kind.scene, session.data_folder(chapter), timing, path, quality, fps=fps, renders=renders)
        return chapter.id, time.perf_counter() - start, timing.total

    pool = ThreadPoolExecutor(max_workers=max(1, n_jobs))  # each job is its own manim process
    try:
        # The longest clips first, so that no long render starts last and runs alone at the end.
        futures = [pool.submit(one, *job) for job in sorted(todo, key=lambda job: -job[1].total)]
        for future in as_completed(futures):
            yield future.result()
    except BaseException:  # Ctrl-C, a failed clip, or the caller closing early: stop the other renders now
        pool.shutdown(wait=False, cancel_futures=True)
        renders.stop()
        raise
    finally:
        pool.shutdown(wait=True)
