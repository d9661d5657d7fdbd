"""Chapters for the assembly and export tests: espeak narration and silent test-pattern clips of the right length."""

from __future__ import annotations

import subprocess
from pathlib import Path

from render.speech import plan_chapter_timeline, speech_service
from render.stages.assemble import ChapterMedia
from render.storyboard import NarrationConfig

FPS = 15
SETTINGS = NarrationConfig(voice="espeak:en-us", speed=2.0, pause=0.2)


def make_clip(path: Path, frames: int, size: str = "320x180", keyframes: list[float] | None = None) -> Path:
    """A silent H.264 clip like Manim's: testsrc, yuv420p, default x264 settings (B-frames); with
    `keyframes` (seconds), IDR frames there too (Manim starts every animation on one)."""
    forced = ["-force_key_frames", ",".join(f"{t:.6f}" for t in keyframes), "-forced-idr", "1"] if keyframes else []
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={FPS}",
           "-frames:v", str(frames), "-c:v", "libx264", "-pix_fmt", "yuv420p", *forced, str(path)]  # fmt: skip
    subprocess.run(cmd, check=True)
    return path


def make_chapters(
    root: Path, chapters: list[tuple[str, str, list[str]]], keyframes_at_beats: bool = False
) -> list[ChapterMedia]:
    """(id, title, beats) -> ChapterMedia with spoken beats and a clip exactly as long as the timeline
    (with `keyframes_at_beats`, one that has a keyframe where each beat starts, as Manim's have)."""
    speech = speech_service(SETTINGS)
    media = []
    for chapter_id, title, texts in chapters:
        beats = [speech.speak(text, root / "cache") for text in texts]
        timeline = plan_chapter_timeline(beats, SETTINGS.pause, lead_in=0.2, tail=0.3, fps=FPS)
        keyframes = timeline.starts if keyframes_at_beats else None
        clip = make_clip(root / f"{chapter_id}.mp4", round(timeline.total * FPS), keyframes=keyframes)
        media.append(ChapterMedia(chapter_id, title, clip, timeline))
    return media
