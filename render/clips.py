"""Render one chapter's silent clip with Manim, in a subprocess, and check the result.

Each call gets its own fresh media folder (Manim's text/SVG caches must not be shared between
parallel renders), the output is checked (a video stream, frames, the duration of the timing)
and only then renamed into place, so a truncated file never sits under the final name.
Renders started with a `ClipRenders` can all be stopped at once (`stop()`), which is how an
interrupted `render` ends its Manim processes instead of waiting for them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

from render.chapter_data import load_timing

ROOT = Path(__file__).resolve().parent.parent

# kind -> (module under scenes/, scene class)
SCENES: dict[str, tuple[str, str]] = {
    "noise_sampling": ("scenes/noise_sampling.py", "NoiseSamplingScene"),
    "denoising": ("scenes/denoising.py", "DenoisingScene"),
    "latent_space": ("scenes/latent_space.py", "LatentSpaceScene"),
    "embedding_map": ("scenes/embedding_map.py", "EmbeddingMapScene"),
    "seed_comparison": ("scenes/seed_comparison.py", "SeedComparisonScene"),
    "step_comparison": ("scenes/step_comparison.py", "StepComparisonScene"),
    "prompt_detail": ("scenes/prompt_detail.py", "PromptDetailScene"),
    "prompt_length": ("scenes/prompt_length.py", "PromptLengthScene"),
    "interpolation": ("scenes/interpolation.py", "InterpolationScene"),
    "guidance_comparison": ("scenes/guidance_comparison.py", "GuidanceComparisonScene"),
    "summary": ("scenes/summary.py", "SummaryScene"),
}

QUALITY_FLAGS = {"low": "l", "medium": "m", "high": "h", "production": "p", "fourk": "k"}


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
    kind: str,
    chapter_dir: Path,
    timing_path: Path,
    out_mp4: Path,
    quality: str,
    fps: int | None = None,
    resolution: tuple[int, int] | None = None,
    renders: ClipRenders | None = None,
) -> Path:
    """Render `kind`'s scene for a chapter bundle, timed by `timing_path`, to `out_mp4`.

    `quality` is a storyboard quality name (low|medium|high|production|fourk); `fps` overrides the
    preset's frame rate, `resolution` (width, height) its size (tests use tiny ones). Pass a shared
    `renders` to be able to stop this render from another thread.
    Raises ClipError with the tail of Manim's log when rendering or the check fails.
    """
    if kind not in SCENES:
        raise ClipError(f"no scene for chapter kind {kind!r}; known: {', '.join(sorted(SCENES))}")
    if quality not in QUALITY_FLAGS:
        raise ClipError(f"unknown quality {quality!r}; expected one of {', '.join(QUALITY_FLAGS)}")
    module, scene_class = SCENES[kind]
    out_mp4 = Path(out_mp4)
    out_mp4.parent.mkdir(parents=True, exist_ok=True)
    total = float(load_timing(Path(timing_path))["total"])

    media = Path(tempfile.mkdtemp(prefix=f".manim-{kind}-", dir=out_mp4.parent))
    try:
        cmd = [
            sys.executable, "-m", "manim", "render",
            f"-q{QUALITY_FLAGS[quality]}",
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
        cmd += [str(ROOT / module), scene_class]
        env = {
            **os.environ,
            "N2I_CHAPTER": str(Path(chapter_dir).resolve()),
            "N2I_TIMING": str(Path(timing_path).resolve()),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        returncode, log = (renders or ClipRenders()).run(cmd, cwd=media, env=env)
        produced = list(media.rglob("clip.mp4"))
        if returncode != 0 or not produced:
            raise ClipError(f"manim failed for {kind} (exit {returncode}):\n{_tail(log)}")
        check_clip(produced[0], total)
        os.replace(produced[0], out_mp4)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return out_mp4


def probe(path: Path) -> dict:
    """Video stream metadata: width, height, fps (float), frames (counted), duration (s)."""
    cmd = [
        "ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
        "-show_entries", "stream=codec_name,width,height,r_frame_rate,nb_read_frames",
        "-of", "json", str(path),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ClipError(f"ffprobe cannot read {path}: {proc.stderr.strip()}")
    streams = json.loads(proc.stdout).get("streams", [])
    if not streams:
        raise ClipError(f"{path} has no video stream")
    s = streams[0]
    fps = float(Fraction(s["r_frame_rate"]))
    frames = int(s.get("nb_read_frames", 0))
    return {
        "codec": s.get("codec_name"),
        "width": int(s["width"]),
        "height": int(s["height"]),
        "fps": fps,
        "frames": frames,
        "duration": frames / fps if fps else 0.0,
    }


def check_clip(path: Path, total: float) -> dict:
    """Raise ClipError unless `path` has frames and lasts `total` seconds to within one frame."""
    meta = probe(path)
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
