"""A chapter's narration timeline: where each spoken beat sits, and the chapter's audio built from it."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict

from render.chapter_data import BeatTiming, Timing
from render.media.audio import read_wav, resample
from render.speech.base import SAMPLE_RATE, SpokenBeat


class TimedBeat(SpokenBeat):
    """A spoken beat and where its speech starts, in seconds from the chapter's start."""

    start: float


class ChapterTimeline(BaseModel):
    """The beats of one chapter laid end to end: lead-in, beat, pause, beat, ..., beat, tail.

    `total` is the chapter clip's length. This is the one timing record of the engine: the scene
    gets its view of it (`timing()`), assembly and subtitles read it, the manifest stores it.
    """

    model_config = ConfigDict(frozen=True)

    beats: list[TimedBeat]
    total: float
    lead_in: float
    tail: float
    pause: float
    fps: float | None = None

    @property
    def starts(self) -> list[float]:
        return [beat.start for beat in self.beats]

    @property
    def segments(self) -> list[tuple[float, float]]:
        """(start, duration) of one contiguous piece of [0, total] per beat: the lead-in goes to the
        first beat, each pause and the tail to the beat before (where slides cut a chapter)."""
        bounds = [0.0, *self.starts[1:], self.total]
        return [(a, b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def timing(self) -> Timing:
        """The scene's view: each beat's text, start and duration, and the total (to the microsecond)."""
        return Timing(
            beats=[BeatTiming(text=b.text, start=round(b.start, 6), duration=round(b.duration, 6)) for b in self.beats],
            total=round(self.total, 6),
        )


def plan_chapter_timeline(
    beats: list[SpokenBeat], pause: float, lead_in: float = 0.5, tail: float = 1.0, *, fps: float | None = None
) -> ChapterTimeline:
    """Lay beats end to end: `lead_in`, beat, `pause`, beat, ..., beat, `tail`.

    With `fps` every beat starts on a frame and `total` is a whole number of frames (the gaps only
    ever grow), so scenes can render each segment to the exact frame.
    """
    if pause < 0 or lead_in < 0 or tail < 0:
        raise ValueError(f"pause, lead_in and tail must be >= 0, got {pause}, {lead_in}, {tail}")

    def on_frame(t: float) -> float:
        return t if fps is None else math.ceil(t * fps - 1e-6) / fps

    timed: list[TimedBeat] = []
    t = lead_in
    for i, beat in enumerate(beats):
        start = on_frame(t if i == 0 else t + pause)
        timed.append(TimedBeat(**beat.model_dump(), start=start))
        t = start + beat.duration
    return ChapterTimeline(beats=timed, total=on_frame(t + tail), lead_in=lead_in, tail=tail, pause=pause, fps=fps)


def chapter_audio(timeline: ChapterTimeline, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The chapter's narration as mono int16 PCM of `round(total * sample_rate)` samples."""
    out = np.zeros(round(timeline.total * sample_rate), np.int16)
    for beat in timeline.beats:
        pcm, rate = read_wav(beat.wav)
        pcm = resample(pcm, rate, sample_rate)
        at = round(beat.start * sample_rate)
        if at + pcm.size > out.size:
            raise ValueError(f"beat {beat.text[:40]!r} ends after the chapter (timeline total {timeline.total}s)")
        out[at : at + pcm.size] = pcm
    return out
