"""Chapter data bundles: what a chapter's scene reads, and the narration timing it is fitted to.

A chapter data bundle is a folder holding

- `chapter.json`: `kind`, `title`, `narration` (the beats' texts, facts filled in),
  `narration_written` (as the storyboard has them), `facts` (name -> {value, words}), `claims` (the
  stated claims, checked), `params` (the chapter's resolved storyboard parameters), `theme`
  ("dark" | "light"), `credit` (the last chapter only: what made the pictures) and whatever the
  kind's analysis adds (see the kind's module in render/kinds/ for its keys);
- `arrays.npz`: plain numpy arrays (uint8 images at the model's size, float32 numbers).

It is written into a temporary sibling folder and renamed into place, so a folder that exists
under its final name is complete. Scenes load it with `load_chapter_data(folder)`.

The narration timing lives in its own file, `timing.json` (the `Timing` model), because the voice
can change without the analysis changing:

    {"beats": [{"text": "...", "start": 0.0, "duration": 3.2}, ...], "total": 7.1}

`start` and `duration` are seconds from the start of the chapter's clip; `total` is the clip's
length (it may exceed the end of the last beat by a trailing pause).

This module is shared by the engine and the scenes: numpy, pydantic and the standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from render.media.files import atomic_folder, atomic_write, fsync_write

CHAPTER_JSON = "chapter.json"
CHAPTER_ARRAYS = "arrays.npz"
REQUIRED_INFO = ("kind", "title", "params", "theme")

# Seconds the last chapter holds after its narration, showing the credit of what made the pictures.
CREDIT_SECONDS = 4.0
# Narration speed used when no measured timing exists (a preview render without audio).
ESTIMATED_WORDS_PER_SECOND = 2.6
# Silence between estimated beats, matching the storyboard's default `narration.pause`.
ESTIMATED_PAUSE = 0.4


class ChapterDataError(Exception):
    """A chapter data bundle or timing file is missing or malformed."""


def write_chapter_data(folder: Path, info: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """Write `info` as chapter.json and `arrays` as arrays.npz into `folder`, atomically.

    `info` must contain `kind`, `title`, `params` and `theme`. An existing `folder` is replaced.
    Returns `folder`.
    """
    missing = [k for k in REQUIRED_INFO if k not in info]
    if missing:
        raise ChapterDataError(f"chapter info lacks {', '.join(missing)}")
    with atomic_folder(Path(folder)) as tmp:
        fsync_write(tmp / CHAPTER_ARRAYS, lambda f: np.savez(f, **{name: np.asarray(a) for name, a in arrays.items()}))
        text = json.dumps(_jsonable(info), indent=2, sort_keys=True, ensure_ascii=False)
        (tmp / CHAPTER_JSON).write_text(text, encoding="utf-8")
    return Path(folder)


def load_chapter_data(folder: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a chapter bundle: (chapter.json as a dict, arrays by name)."""
    folder = Path(folder)
    try:
        info = json.loads((folder / CHAPTER_JSON).read_text(encoding="utf-8"))
        with np.load(folder / CHAPTER_ARRAYS) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as e:
        raise ChapterDataError(f"{folder}: not a readable chapter data bundle ({e})") from e
    return info, arrays


class BeatTiming(BaseModel):
    """Where one narration beat is spoken in the clip, in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    start: float
    duration: float


class Timing(BaseModel):
    """A clip's narration timing: beats in order, not overlapping, inside `total` (timing.json)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    beats: list[BeatTiming]
    total: float

    @model_validator(mode="after")
    def _beats_fit(self) -> Timing:
        if self.total <= 0:
            raise ValueError("timing needs a positive 'total'")
        end = 0.0
        for i, b in enumerate(self.beats):
            if b.duration < 0:
                raise ValueError(f"timing beat {i}: duration must be >= 0")
            if b.start < end - 1e-6:
                raise ValueError(f"timing beat {i} starts at {b.start}s, before the previous beat ends ({end}s)")
            end = b.start + b.duration
        if end > self.total + 1e-6:
            raise ValueError(f"timing beats end at {end}s, after total {self.total}s")
        return self


def make_timing(durations: list[float], texts: list[str], pause: float = ESTIMATED_PAUSE) -> Timing:
    """A timing for beats of the given durations, separated by `pause` seconds.

    The total is the end of the last beat plus one trailing pause.
    """
    if len(durations) != len(texts):
        raise ValueError("one duration per beat text")
    beats, t = [], 0.0
    for text, d in zip(texts, durations, strict=True):
        beats.append(BeatTiming(text=text, start=round(t, 6), duration=round(float(d), 6)))
        t += float(d) + pause
    return Timing(beats=beats, total=round(max(t, 0.1), 6))


def estimate_timing(texts: list[str], words_per_second: float = ESTIMATED_WORDS_PER_SECOND) -> Timing:
    """Timing estimated from word counts (for renders without narration audio)."""
    durations = [max(1.0, len(t.split()) / words_per_second) for t in texts]
    return make_timing(durations, texts)


def write_timing(path: Path, timing: Timing) -> Path:
    """Write a timing as timing.json (atomically). Returns `path`."""
    return atomic_write(Path(path), timing.model_dump_json(indent=2))


def load_timing(path: Path) -> Timing:
    """Read and check a timing.json."""
    try:
        return Timing.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as e:
        raise ChapterDataError(f"{path}: unreadable timing ({e})") from e


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays inside `value` to plain Python for json."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
