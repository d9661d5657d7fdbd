"""Subtitles: narration beats as cues, written as SubRip (.srt) and WebVTT (.vtt)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from render.speech.timeline import ChapterTimeline

MAX_CUE_CHARS = 84
"""A longer beat is shown as several cues, split at sentence ends (two lines of 42 characters)."""


@dataclass(frozen=True)
class Cue:
    """One subtitle: seconds from the start of the video (or chapter) and the words shown."""

    start: float
    end: float
    text: str


def _split_beat(text: str, start: float, end: float) -> list[Cue]:
    """One cue for a short beat; a long one split at sentence ends, timed by character share."""
    text = " ".join(text.split())
    if len(text) <= MAX_CUE_CHARS:
        return [Cue(start, end, text)]
    groups: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if groups and len(groups[-1]) + 1 + len(sentence) <= MAX_CUE_CHARS:
            groups[-1] += " " + sentence
        else:
            groups.append(sentence)
    total_chars = sum(len(g) for g in groups)
    cues, t, chars = [], start, 0
    for i, group in enumerate(groups):
        chars += len(group)
        t_end = end if i == len(groups) - 1 else start + (end - start) * chars / total_chars
        cues.append(Cue(t, t_end, group))
        t = t_end
    return cues


def chapter_cues(timeline: ChapterTimeline, offset: float = 0.0, until: float | None = None) -> list[Cue]:
    """Subtitle cues of a chapter: the beats' real audio spans, shifted by `offset`, cut at `until`."""
    cues: list[Cue] = []
    for beat in timeline.beats:
        start, end = beat.start, beat.start + beat.duration
        if until is not None:
            end = min(end, until)
        if end > start:
            cues.extend(_split_beat(beat.text, offset + start, offset + end))
    return cues


def _wrap(text: str, width: int = 42) -> str:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _timestamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_text(cues: list[Cue]) -> str:
    """SubRip text of `cues`, lines wrapped at 42 characters."""
    blocks = [
        f"{i}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n{_wrap(c.text.replace('-->', '->'))}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def vtt_text(cues: list[Cue]) -> str:
    """WebVTT text of `cues` (`&`, `<`, `>` escaped, as the format requires)."""

    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = [f"{_timestamp(c.start, '.')} --> {_timestamp(c.end, '.')}\n{_wrap(escape(c.text))}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)
