"""ffmpeg and ffprobe: running them (argument lists, never a shell) and reading media files back."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

# How Manim encodes a chapter clip (`manim render --encoder-option`, on top of Manim's libx264 at crf 23):
# without x264's macroblock-tree rate control. With it, renders of the same scene from the same data
# wrote different bytes (the same decoded frames, one keyframe coded differently) in about one render
# of four on a busy machine; without it, 26 of 26 were identical (and files about a fifth larger).
CLIP_ENCODER_OPTIONS = {"x264-params": "mbtree=0"}


class MediaError(RuntimeError):
    """ffmpeg failed, or a media file is not what it should be."""


def tool(name: str) -> str:
    """The path of `ffmpeg` or `ffprobe`, or a MediaError saying how to install it."""
    path = shutil.which(name)
    if path is None:
        raise MediaError(f"{name} is not on PATH: install it with `sudo apt-get install ffmpeg`")
    return path


def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version` (the build decides encoded bytes)."""
    proc = subprocess.run([tool("ffmpeg"), "-hide_banner", "-version"], capture_output=True, text=True)
    return proc.stdout.splitlines()[0] if proc.stdout else "unknown"


def run_ffmpeg(args: list[str]) -> None:
    """Run ffmpeg with `args`; raise MediaError with its message on failure."""
    cmd = [tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")


def _rate(value: str | None) -> float | None:
    if not value or value in ("0/0", "N/A"):
        return None
    return float(Fraction(value))


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _stream(s: dict) -> dict:
    frames = s.get("nb_read_packets") or s.get("nb_frames")
    return {
        "index": s["index"],
        "type": s.get("codec_type"),
        "codec": s.get("codec_name"),
        "profile": s.get("profile"),
        "pix_fmt": s.get("pix_fmt"),
        "width": s.get("width"),
        "height": s.get("height"),
        "fps": _rate(s.get("r_frame_rate")) or _rate(s.get("avg_frame_rate")),
        "sample_rate": int(s["sample_rate"]) if "sample_rate" in s else None,
        "channels": s.get("channels"),
        "start": _float(s.get("start_time")),
        "duration": _float(s.get("duration")),
        "frames": int(frames) if frames else None,
        "tags": s.get("tags", {}),
    }


def probe(path: Path, *, count_frames: bool = True) -> dict:
    """Read a media file back with ffprobe.

    Returns `{"duration", "streams", "video", "audio", "chapters", "tags"}`: each stream as
    `{"index", "type", "codec", "profile", "pix_fmt", "width", "height", "fps", "sample_rate",
    "channels", "start", "duration", "frames", "tags"}` (`frames` counted from the packets when
    `count_frames`), `video`/`audio` the first stream of that type (or None) and each chapter as
    `{"start", "end", "title"}`.
    """
    cmd = [tool("ffprobe"), "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json"]
    if count_frames:
        cmd.append("-count_packets")
    proc = subprocess.run([*cmd, str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffprobe cannot read {path}: {proc.stderr.strip()}")
    raw = json.loads(proc.stdout)
    streams = [_stream(s) for s in raw.get("streams", [])]
    chapters = [
        {"start": float(c["start_time"]), "end": float(c["end_time"]), "title": c.get("tags", {}).get("title", "")}
        for c in raw.get("chapters", [])
    ]
    fmt = raw.get("format", {})
    return {
        "duration": _float(fmt.get("duration")),
        "streams": streams,
        "video": next((s for s in streams if s["type"] == "video"), None),
        "audio": next((s for s in streams if s["type"] == "audio"), None),
        "chapters": chapters,
        "tags": fmt.get("tags", {}),
    }


def keyframe_times(path: Path) -> list[float]:
    """Presentation times (seconds) of the first video stream's keyframe packets, in file order."""
    cmd = [tool("ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
           "-of", "csv=p=0", str(path)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffprobe cannot read the packets of {path}: {proc.stderr.strip()}")
    times = []
    for line in proc.stdout.splitlines():
        pts, _, flags = line.partition(",")
        if "K" in flags and pts not in ("", "N/A"):
            times.append(float(pts))
    return times


def video_info(path: Path) -> dict:
    """The first video stream of `path` with its frames counted and `duration` = frames / fps."""
    video = probe(path)["video"]
    if video is None:
        raise MediaError(f"{path} has no video stream")
    frames, fps = video["frames"] or 0, video["fps"] or 0.0
    return {**video, "frames": frames, "duration": frames / fps if fps else 0.0}
