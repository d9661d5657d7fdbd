"""Chapter data bundles: what a chapter's scene reads, and the narration timing it is fitted to.

A chapter data bundle is a folder holding

- `chapter.json`: `kind`, `title`, `params` (the chapter's resolved storyboard parameters),
  `theme` ("dark" | "light") and whatever the kind's analysis adds (see render/kinds.py for the
  keys per kind);
- `arrays.npz`: plain numpy arrays (uint8 images at the model's size, float32 numbers).

It is written into a temporary sibling folder and renamed into place, so a folder that exists
under its final name is complete. Scenes load it with `load_chapter_data(folder)`.

The narration timing lives in its own file, `timing.json`, because the voice can change without
the analysis changing:

    {"beats": [{"text": "...", "start": 0.0, "duration": 3.2}, ...], "total": 7.1}

`start` and `duration` are seconds from the start of the chapter's clip; `total` is the clip's
length (it may exceed the end of the last beat by a trailing pause).

This module is shared by the engine and the scenes: numpy and the standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np

CHAPTER_JSON = "chapter.json"
CHAPTER_ARRAYS = "arrays.npz"
TIMING_JSON = "timing.json"

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
    missing = [k for k in ("kind", "title", "params", "theme") if k not in info]
    if missing:
        raise ChapterDataError(f"chapter info lacks {', '.join(missing)}")
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # A unique sibling made with mkdir, so its permissions follow the umask (mkdtemp's are private).
    tmp = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        with open(tmp / CHAPTER_ARRAYS, "wb") as f:
            np.savez(f, **{name: np.asarray(a) for name, a in arrays.items()})
            f.flush()
            os.fsync(f.fileno())
        text = json.dumps(_jsonable(info), indent=2, sort_keys=True, ensure_ascii=False)
        (tmp / CHAPTER_JSON).write_text(text, encoding="utf-8")
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, old / "x")
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


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


def make_timing(durations: list[float], texts: list[str], pause: float = ESTIMATED_PAUSE) -> dict[str, Any]:
    """A timing dict for beats of the given durations, separated by `pause` seconds.

    The total is the end of the last beat plus one trailing pause.
    """
    if len(durations) != len(texts):
        raise ValueError("one duration per beat text")
    beats, t = [], 0.0
    for text, d in zip(texts, durations, strict=True):
        beats.append({"text": text, "start": round(t, 6), "duration": round(float(d), 6)})
        t += float(d) + pause
    return {"beats": beats, "total": round(max(t, 0.1), 6)}


def estimate_timing(texts: list[str], words_per_second: float = ESTIMATED_WORDS_PER_SECOND) -> dict[str, Any]:
    """Timing estimated from word counts (for renders without narration audio)."""
    durations = [max(1.0, len(t.split()) / words_per_second) for t in texts]
    return make_timing(durations, texts)


def write_timing(path: Path, timing: dict[str, Any]) -> Path:
    """Check and write a timing dict as JSON (temp file + rename)."""
    check_timing(timing)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(timing, f, indent=2, ensure_ascii=False)
    os.replace(tmp, path)
    return path


def load_timing(path: Path) -> dict[str, Any]:
    """Read and check a timing.json."""
    try:
        timing = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ChapterDataError(f"{path}: unreadable timing ({e})") from e
    check_timing(timing)
    return timing


def check_timing(timing: dict[str, Any]) -> None:
    """Raise ChapterDataError unless beats are in order, non-overlapping and inside `total`."""
    beats = timing.get("beats")
    total = timing.get("total")
    if not isinstance(beats, list) or not isinstance(total, int | float) or total <= 0:
        raise ChapterDataError("timing needs a list 'beats' and a positive 'total'")
    end = 0.0
    for i, b in enumerate(beats):
        start, dur = b.get("start"), b.get("duration")
        if not isinstance(start, int | float) or not isinstance(dur, int | float) or dur < 0:
            raise ChapterDataError(f"timing beat {i}: needs numeric start and duration >= 0")
        if start < end - 1e-6:
            raise ChapterDataError(f"timing beat {i} starts at {start}s, before the previous beat ends ({end}s)")
        end = start + dur
    if end > total + 1e-6:
        raise ChapterDataError(f"timing beats end at {end}s, after total {total}s")


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
