"""The frame rules and the preview runs that tests/test_frames.py and tests/test_frames_fuzz.py share.

A chapter is previewed from a chapter data bundle analysed from fake trajectories (tests/conftest.py,
no model): `FrameCase` says what the bundle holds (kind, resolved params, title, narration, theme),
and `preview_cases` runs them all through the preview stage's own workers (render/stages/preview.py:
a few processes, each importing Manim once and taking chapters until none is left: most of a
preview's time is building a scene's texts, not starting Python), returning each chapter's
beats.json. The rules are read from those records:

- `beat_problems`: 480p frames, at least three beats, in time order;
- `overlap_problems`: no text overlapping another text or an image;
- `margin_problems`: everything inside the safe box (a margin on three sides, the subtitles' strip
  at the bottom);
- `size_problems`: every text at least 12 px tall (its capitals) at 480p;
- `figure_problems`: at its largest moment, the figure (images and shapes) spans a third of the frame.

Each returns what it found wrong, as sentences, so a test over many drawn chapters can report every
broken rule of every chapter at once rather than the first.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import run_analysis

from render.chapter_data import estimate_timing, write_chapter_data, write_timing
from render.kinds import KINDS
from render.stages.preview import BEATS_JSON, PreviewError, PreviewJob, run_workers

MIN_CAP_PX = 12.0
TOUCH = 0.01  # frame units two boxes may share without counting as overlapping (about 0.6 px at 480p)
WORKERS = 2  # preview processes: the CI runners and this machine have two cores


@dataclass
class FrameCase:
    """One chapter to preview: its kind, resolved params (conftest.base_params), title, narration, theme."""

    key: str  # unique among the cases of one run: names its folder
    kind: str
    params: dict[str, Any]
    title: str
    narration: list[str]
    theme: str = "dark"
    extra: dict[str, Any] = field(default_factory=dict)  # more of the bundle's info (e.g. a credit)

    def describe(self) -> str:
        """The case as a reader can rebuild it: kind, theme, title, params and narration."""
        return json.dumps(
            {"kind": self.kind, "theme": self.theme, "title": self.title, "params": self.params,
             "narration": self.narration, **self.extra},
            ensure_ascii=False,
        )  # fmt: skip


def preview_cases(
    cases: list[FrameCase], work: Path, workers: int = WORKERS, keep_going: bool = False
) -> dict[str, Any]:
    """Analyse every case with the fake generator and preview them all at 480p, 15 fps: beats.json by key.

    A case whose analysis or scene fails raises, or with `keep_going` gets the error's text instead of
    a record (the other cases still run: a worker that fails stops, so the chapters no worker
    reached run again in new workers), so one test can report every drawn chapter that fails.
    """
    records: dict[str, Any] = {}
    jobs: list[PreviewJob] = []
    for case in cases:
        try:
            jobs.append(_job(case, work / "chapters" / case.key))
        except Exception as error:  # noqa: BLE001  (any analysis error is this case's failure)
            if not keep_going:
                raise
            records[case.key] = f"the analysis failed: {type(error).__name__}: {error}"
    for attempt in itertools.count():
        todo = [job for job in jobs if job.chapter not in records]
        if not todo:
            break
        run = work / f"run-{attempt}"
        run.mkdir(parents=True)
        try:
            run_workers(todo, workers, run)
            error = ""
        except PreviewError as failed:
            if not keep_going:
                raise
            error = str(failed)
        claimed = {todo[int(p.name)].chapter for p in (run / "claims").iterdir()}
        for job in todo:
            if (job.out / BEATS_JSON).is_file():
                records[job.chapter] = json.loads((job.out / BEATS_JSON).read_text())
            elif job.chapter in claimed:  # its worker stopped on it
                records[job.chapter] = f"the scene failed: {_error_of(error, job.chapter)}"
    return records


def _job(case: FrameCase, folder: Path) -> PreviewJob:
    """Write the case's chapter data and timing under `folder`; the preview job for them."""
    info, arrays = run_analysis(case.kind, case.params)
    bundle = {
        **info,
        **case.extra,
        "kind": case.kind,
        "title": case.title,
        "params": case.params,
        "theme": case.theme,
        "narration": case.narration,
    }
    data = write_chapter_data(folder / "data", bundle, arrays)
    timing = write_timing(folder / "timing.json", estimate_timing(case.narration))
    scene = KINDS[case.kind].scene
    return PreviewJob(
        chapter=case.key,
        scene_file=scene.file,
        scene_class=scene.cls,
        data=data,
        timing=timing,
        out=folder / "frames",
        quality="low",
        fps=15,
    )


def _error_of(message: str, chapter: str) -> str:
    """The part of a PreviewError's message about `chapter` (its worker's last lines)."""
    for part in message.split("\n\n"):
        if f"preview of chapter {chapter} " in part:
            return part.strip()[-3000:]
    return message[-3000:]


# ---- the rules -------------------------------------------------------------------------------------


def overlap(a: list[float], b: list[float]) -> bool:
    """Whether boxes [left, bottom, right, top] share more than a sliver."""
    return a[0] < b[2] - TOUCH and b[0] < a[2] - TOUCH and a[1] < b[3] - TOUCH and b[1] < a[3] - TOUCH


def each_beat(record: dict) -> Iterator[tuple[str, list[dict]]]:
    """(beat name, what was on screen) of every beat of a chapter's beats.json."""
    for beat in record["beats"]:
        yield beat["name"], beat["mobjects"]


def beat_problems(record: dict, theme: str | None = None) -> list[str]:
    """Frames at 480p (in `theme`, if given), at least three beats, each later than the one before."""
    found = []
    if theme is not None and record["theme"] != theme:
        found.append(f"the frames are in the {record['theme']} theme, not {theme}")
    size = (record["frame"]["width_px"], record["frame"]["height_px"])
    if size != (854, 480):
        found.append(f"the frames are {size[0]} x {size[1]}, not 854 x 480")
    if len(record["beats"]) < 3:
        found.append(f"only {len(record['beats'])} beats")
    times = [beat["time"] for beat in record["beats"]]
    if times != sorted(times) or len(set(times)) != len(times):
        found.append(f"the beats' times are not increasing: {times}")
    return found


def overlap_problems(record: dict) -> list[str]:
    """Every text that overlaps another text or an image, beat by beat."""
    found = []
    for name, mobjects in each_beat(record):
        texts = [m for m in mobjects if m["kind"] == "text"]
        images = [m for m in mobjects if m["kind"] == "image"]
        for a, b in itertools.combinations(texts, 2):
            if overlap(a["box"], b["box"]):
                found.append(f"{name}: {a['text']!r} overlaps {b['text']!r}")
        for text, image in itertools.product(texts, images):
            if overlap(text["box"], image["box"]):
                found.append(f"{name}: {text['text']!r} overlaps an image")
    return found


def margin_problems(record: dict) -> list[str]:
    """Everything that leaves the safe box (side or top margin, or the subtitles' strip), beat by beat."""
    left, right, bottom, top = record["frame"]["safe"]
    found = []
    for name, mobjects in each_beat(record):
        for m in mobjects:
            x0, y0, x1, y1 = m["box"]
            what = m.get("text", m["kind"])
            if not (x0 >= left - TOUCH and x1 <= right + TOUCH):
                found.append(f"{name}: {what!r} leaves the frame's side margin")
            if not (y0 >= bottom - TOUCH and y1 <= top + TOUCH):
                found.append(f"{name}: {what!r} leaves the top margin or enters the subtitles")
    return found


def size_problems(record: dict) -> list[str]:
    """Every text whose capitals are under 12 px at 480p, beat by beat."""
    return [
        f"{name}: {m['text']!r} is {m['cap_px']} px tall"
        for name, mobjects in each_beat(record)
        for m in mobjects
        if m["kind"] == "text" and m["cap_px"] < MIN_CAP_PX
    ]


def figure_share(record: dict) -> float:
    """The largest share of the frame the chapter's figure (images and shapes, not the header) spans at a beat's end."""
    frame_area = record["frame"]["frame_width"] * record["frame"]["frame_height"]
    largest = 0.0
    for _, mobjects in each_beat(record):
        figure = [m["box"] for m in mobjects if m["kind"] != "text" and not m["header"]]
        if figure:
            x0, y0 = min(b[0] for b in figure), min(b[1] for b in figure)
            x1, y1 = max(b[2] for b in figure), max(b[3] for b in figure)
            largest = max(largest, (x1 - x0) * (y1 - y0))
    return largest / frame_area


def figure_problems(record: dict) -> list[str]:
    """A figure that never spans a third of the frame."""
    share = figure_share(record)
    return [] if share >= 1 / 3 else [f"the figure spans at most {share:.0%} of the frame"]


RULES: dict[str, Callable[[dict], list[str]]] = {
    "beats": beat_problems,
    "overlaps": overlap_problems,
    "margins": margin_problems,
    "text size": size_problems,
    "figure": figure_problems,
}


def all_problems(record: dict, theme: str | None = None) -> list[str]:
    """What every rule finds wrong with one chapter's preview, each line prefixed with its rule."""
    found = [f"beats: {p}" for p in beat_problems(record, theme)]
    for rule, check in RULES.items():
        if rule != "beats":
            found += [f"{rule}: {p}" for p in check(record)]
    return found
