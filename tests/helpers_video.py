"""Small whole-video storyboards on a tiny local PRX folder, shared by the video tests and the benchmarks.

The model is tests/tiny_models.py's randomly initialised PRXPipeline saved with `save_pretrained`
(32 px): the path a user takes with a downloaded pipeline. Storyboards are written as YAML from
plain data, so a test or benchmark can edit one field (a sentence, the chapter order) and write
it again.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # the benchmarks import this module from outside pytest
    sys.path.insert(0, str(TESTS))

from tiny_models import TINY_SIZE, tiny_prx_pipeline  # noqa: E402

# Two chapters, two beats each; `seeds` reuses the ('a red circle', seed 1) request of `denoise`.
TWO_CHAPTERS: list[dict[str, Any]] = [
    {
        "id": "denoise",
        "kind": "denoising",
        "title": "From noise to image",
        "prompt": "a red circle",
        "narration": ["The model starts from noise.", "Step by step, a picture appears."],
    },
    {
        "id": "seeds",
        "kind": "seed_comparison",
        "title": "Seeds: same prompt, other pictures",
        "prompt": "a red circle",
        "seeds": [1, 2],
        "narration": ["Another seed, another start.", "Each one ends in its own picture."],
    },
]


def save_tiny_prx(folder: Path) -> Path:
    """The tiny PRX pipeline as a diffusers pipeline folder (model_index.json and one folder per part)."""
    tiny_prx_pipeline().save_pretrained(folder)
    return folder


def storyboard_data(
    model: Path | str,
    chapters: list[dict[str, Any]] | None = None,
    *,
    steps: int = 3,
    quality: str = "low",
    fps: int | None = None,
    voice: str = "espeak:en-us",
    speed: float = 2.0,
    pause: float = 0.2,
    title: str = "Video test",
) -> dict[str, Any]:
    """A storyboard as plain data (edit it, then `write_storyboard`)."""
    return {
        "title": title,
        "model": {"id": str(model), "device": "cpu"},
        "defaults": {"width": TINY_SIZE, "height": TINY_SIZE, "steps": steps, "seed": 1},
        "video": {"quality": quality, "fps": fps, "theme": "dark"},
        "narration": {"voice": voice, "speed": speed, "pause": pause, "sentence_silence": 0.1},
        "chapters": copy.deepcopy(chapters if chapters is not None else TWO_CHAPTERS),
    }


def write_storyboard(path: Path, data: dict[str, Any]) -> Path:
    """Write `data` as YAML to `path` (its folder made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def ffprobe_json(path: Path, *args: str) -> dict:
    """`ffprobe -of json` of `path` with the given -show_* arguments."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", *args, "-of", "json", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


def media_duration(path: Path) -> float:
    """The container duration of a media file, in seconds."""
    return float(ffprobe_json(path, "-show_format")["format"]["duration"])


def run_cli(*argv: object) -> tuple[int, str]:
    """`noise2image ARGV` in this process: (exit code, what it said on stderr)."""
    import contextlib
    import io

    from render.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (inode, mtime in ns) of every file under `folder` (hidden temp files excluded)."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }
