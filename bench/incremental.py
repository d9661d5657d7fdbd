"""Incremental: after a full render, edit one narration sentence and render again.

Works on a temporary copy of the storyboard, with an empty temporary cache and output: renders
it in full (timed), replaces one beat of one chapter (default: the last beat of the middle chapter)
with a slightly different sentence, renders again (timed) and prints the re-render's wall time
as a share of the full render, beside the target: 1/N of it for N chapters (plus assembly, whose
time the engine reports and which is printed too). Each render is the real command in a fresh
process.

Full benchmark (the default storyboard, medium quality):

    .venv/bin/python bench/incremental.py storyboard.yaml --quality medium

Quick check on a subset:

    .venv/bin/python bench/incremental.py storyboard.yaml --chapters denoising,seeds --quality low
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from end_to_end import timed_render  # noqa: E402
from render_speed import machine  # noqa: E402


def edit_one_sentence(source: Path, target: Path, chapter_id: str | None, chapter_ids: list[str] | None) -> str:
    """Copy the storyboard to `target` with one beat of one chapter changed; returns the chapter's id."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    chapters = [c for c in data["chapters"] if not chapter_ids or c["id"] in chapter_ids]
    chapter = next(c for c in chapters if c["id"] == chapter_id) if chapter_id else chapters[len(chapters) // 2]
    beats = chapter["narration"] if isinstance(chapter["narration"], list) else [chapter["narration"]]
    beats[-1] = beats[-1].rstrip().rstrip(".") + ", as you can see."
    chapter["narration"] = beats
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return chapter["id"]


def seconds(pattern: str, log: str) -> float:
    match = re.search(pattern, log, flags=re.M)
    return float(match.group(1)) if match else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("storyboard", type=Path, nargs="?", default=REPO / "storyboard.yaml")
    parser.add_argument("--chapters", help="comma-separated chapter ids (default: all)")
    parser.add_argument("--edit", help="id of the chapter whose sentence is edited (default: the middle one)")
    parser.add_argument("--quality", default="medium")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    ids = args.chapters.split(",") if args.chapters else None
    extra = ["--quality", args.quality, "--jobs", str(args.jobs)] + (["--chapters", args.chapters] if ids else [])
    with tempfile.TemporaryDirectory(prefix="n2i-incremental-") as tmp:
        work = Path(tmp)
        # The copy sits beside the original so relative paths in it (a local model) still resolve.
        copy = args.storyboard.resolve().parent / f".bench-incremental-{os.getpid()}.yaml"
        try:
            copy.write_text(args.storyboard.read_text(encoding="utf-8"), encoding="utf-8")
            full, duration, full_log = timed_render(copy, work, extra)
            edited = edit_one_sentence(args.storyboard, copy, args.edit, ids)
            again, _, again_log = timed_render(copy, work, extra)
        finally:
            copy.unlink(missing_ok=True)

    n = len(re.findall(r"^render: \[\d+/\d+\]", full_log, flags=re.M))
    rerendered = re.findall(r"^render: \[\d+/\d+\] (\S+):", again_log, flags=re.M)
    assembly = seconds(r"^assemble: [\d.]+ s of video in ([\d.]+) s", again_log)
    target = full / n + assembly
    print(f"# incremental, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}")
    print(f"# {args.storyboard}, chapters {args.chapters or 'all'}, quality {args.quality}, --jobs {args.jobs}; "
          f"edited one sentence of {edited!r}; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"full render:   {full:7.1f} s for {duration:.1f} s of video, {n} chapters")
    print(
        f"after the edit: {again:6.1f} s  (re-rendered: {', '.join(rerendered) or 'nothing'}; "
        f"assembly {assembly:.1f} s)"
    )
    print(f"share:         {again / full:7.3f} of the full render; target <= 1/{n} + assembly = {target / full:.3f}"
          f" ({'met' if again <= target else 'missed'})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
