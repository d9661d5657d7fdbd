"""The preview stage: the last frame of every beat of every chapter, and a contact sheet, without video.

Each chapter's scene runs in preview mode (scenes/common.py, scenes/snapshot.py: Manim's
`skip_animations`, every animation put in its end state without being played, and the frame saved
at the end of each beat). It runs on the narration's timing, so every frame is the one the video
shows at the end of that beat (tests/test_preview.py compares them). A chapter's
frames (`NN-beat.png` and `beats.json`, the boxes of what is on screen) are cached like its clip,
under a key of the same inputs (`Session.preview_folder`).

A few worker processes (`--jobs`) each import Manim once and claim chapters until none is left:
most of a preview's time is building the scenes (Manim's texts above all), not drawing. The
workers import this module, so its top level imports only what they need (no torch, no
scikit-learn, no Manim before they run).

Outputs in build/<name>/: `preview.png` (one row per chapter: its title and the last frame of each
beat) and `preview/NN-<chapter id>/NN-<beat>.png` with the chapter's `beats.json` (each beat's time
and what was on screen). NN is the chapter's place in the storyboard, whichever chapters were
chosen, so `--chapters seeds` writes the same `05-seeds` as a preview of all of them. `preview/sheet.json`
records which cached previews the sheet shows: a render uses it to bring the sheet up to date
(`refresh_sheet`), so a sheet in an output folder never shows an older storyboard than its video.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel

from render.chapter_data import Timing, write_timing
from render.errors import UserFacingError
from render.keys import chapter_stem, preview_frames_dir, preview_sheet_path
from render.media.files import atomic_folder, atomic_path
from render.paths import FONT_DIR, REPO_ROOT
from render.progress import Progress
from render.words import plural

if TYPE_CHECKING:
    from render.session import Session
    from render.stages.plan import ChapterPlan

BEATS_JSON = "beats.json"  # written by the scene in preview mode (scenes/snapshot.py)
SHEET_JSON = "sheet.json"  # in out/preview/: what the contact sheet shows (`SheetRecord`)
THUMB_WIDTH = 320  # pixels of one frame on the contact sheet
DONE = "noise2image-preview-done"  # a worker's line on stdout when a chapter is finished: DONE k seconds


class PreviewError(UserFacingError):
    """A scene failed in preview mode."""


class PreviewJob(BaseModel):
    """One chapter for a worker: its scene, its chapter data and timing, where its frames go."""

    chapter: str
    scene_file: Path
    scene_class: str
    data: Path
    timing: Path
    out: Path
    quality: str  # a storyboard quality name (low, medium, ...)
    fps: int


class PreviewJobs(BaseModel):
    """The file the workers read: every job, in order, and the folder where they claim them."""

    jobs: list[PreviewJob]
    claims: Path  # a worker does job k if it is the one that makes claims/k (mkdir is atomic)


class SheetRow(NamedTuple):
    """One chapter on the contact sheet: its place in the storyboard (from 1), id, title, cached preview."""

    number: int
    id: str
    title: str
    folder: Path


class SheetRecord(BaseModel):
    """out/preview/sheet.json: the quality of the sheet's frames and, per row, the cached preview it shows."""

    quality: str
    rows: list[tuple[int, str, str]]  # (number, chapter id, preview folder name)

    @classmethod
    def of(cls, quality: str, rows: list[SheetRow]) -> SheetRecord:
        return cls(quality=quality, rows=[(r.number, r.id, r.folder.name) for r in rows])

    @classmethod
    def read(cls, out: Path) -> SheetRecord | None:
        """The record of the sheet in `out`, or None (no sheet, or one made before sheets had records)."""
        try:
            return cls.model_validate_json((preview_frames_dir(out) / SHEET_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def beat_frames(folder: Path) -> list[Path]:
    """The frames of one chapter's preview (a folder with its beats.json), in beat order."""
    beats = json.loads((folder / BEATS_JSON).read_text(encoding="utf-8"))["beats"]
    return [folder / beat["frame"] for beat in beats]


# ---- the stage -----------------------------------------------------------------------------------


def render_previews(
    session: Session, jobs: list[tuple[ChapterPlan, Timing, Path]], quality: str, fps: int, n_jobs: int
) -> None:
    """Make the chapter previews that are not cached: `jobs` are (chapter, timing, preview folder)."""
    from render.progress import say
    from render.stages.keyed import keyed

    previews = session.cache.stage_dir("previews")

    def make(todo: list[tuple[ChapterPlan, Timing, Path]]):
        workers = min(n_jobs, len(todo))
        say(f"preview: {plural(len(todo), 'chapter')} to preview at {quality} quality, {plural(workers, 'worker')}")
        previews.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".preview-", dir=previews))
        try:
            specs = []
            for chapter, timing, folder in todo:
                timing_path = write_timing(work / f"{chapter.id}.timing.json", timing)
                scene = chapter.kind.scene
                data = session.data_folder(chapter)
                specs.append(
                    PreviewJob(
                        chapter=chapter.id,
                        scene_file=scene.file,
                        scene_class=scene.cls,
                        data=data,
                        timing=timing_path,
                        out=folder,
                        quality=quality,
                        fps=fps,
                    )
                )
            with Progress("preview", len(specs), unit="chapter") as progress:
                run_workers(specs, n_jobs, work, progress)  # each worker writes its chapters' folders, atomically
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return [(job, None) for job in todo]

    keyed(
        jobs,
        lambda job: job[2],
        make,
        present=lambda job: (job[2] / BEATS_JSON).is_file(),
        lock=(session.cache, "previews"),
        leftovers=(previews, "preview"),
    )


def run_workers(jobs: list[PreviewJob], n_jobs: int, work: Path, progress: Progress | None = None) -> None:
    """Run `jobs` in `n_jobs` worker processes; raise PreviewError if one fails.

    Every worker goes through all the jobs and takes those no other worker has claimed yet, so a
    worker that drew quick chapters takes on more of them (scenes differ a lot in cost). A worker
    says on stdout when it has finished a chapter (`DONE`): one reader thread per worker turns that
    into `progress` and keeps the rest of what it printed for the error message.
    """
    spec = work / "jobs.json"
    (work / "claims").mkdir()
    spec.write_text(PreviewJobs(jobs=jobs, claims=work / "claims").model_dump_json(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-c", "import sys; from render.stages.preview import work; work(sys.argv[1])", str(spec)]
    procs = []
    try:
        for k in range(min(max(1, n_jobs), len(jobs))):
            media = work / f"media-{k}"  # Manim's text cache, one per process
            media.mkdir()
            procs.append(
                subprocess.Popen(cmd, cwd=media, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            )
        logs: list[list[str]] = [[] for _ in procs]
        readers = [
            threading.Thread(target=_follow, args=(proc, log, jobs, progress), daemon=True)
            for proc, log in zip(procs, logs, strict=True)
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        failures = []
        for proc, log in zip(procs, logs, strict=True):
            if proc.wait() != 0:
                failures.append("".join(log[-30:]).strip())
    finally:
        for proc in procs:  # Ctrl-C or an error: no worker outlives the stage
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if failures:
        raise PreviewError("a scene failed in preview mode:\n" + "\n\n".join(failures))


def _follow(proc: subprocess.Popen, log: list[str], jobs: list[PreviewJob], progress: Progress | None) -> None:
    """Read a worker's output to its end: `DONE k seconds` lines become progress, the others `log`."""
    for line in proc.stdout:
        marker, _, rest = line.partition(" ")
        if marker == DONE:
            k, seconds = rest.split()
            if progress is not None:
                progress.done(f"{jobs[int(k)].chapter} in {float(seconds):.1f} s")
        else:
            log.append(line)


def publish(out: Path, rows: list[SheetRow], quality: str) -> Path:
    """Copy each chapter's frames (and beats.json) to out/preview/NN-<id>/ and draw out/preview.png;
    returns its path.

    `rows` are in storyboard order, numbered by their place in the storyboard; out/preview/ is
    replaced, so it holds exactly the frames of the sheet (and the sheet's record, `SheetRecord`).
    """
    frames_dir = preview_frames_dir(out)
    names = [chapter_stem(row.number - 1, row.id) for row in rows]
    with atomic_folder(frames_dir) as staging:
        for name, row in zip(names, rows, strict=True):
            (staging / name).mkdir()
            for frame in [*beat_frames(row.folder), row.folder / BEATS_JSON]:
                shutil.copy2(frame, staging / name / frame.name)
        (staging / SHEET_JSON).write_text(SheetRecord.of(quality, rows).model_dump_json(), encoding="utf-8")
    labelled = [
        (f"{row.number}. {row.title}", beat_frames(frames_dir / name)) for name, row in zip(names, rows, strict=True)
    ]
    sheet = preview_sheet_path(out)
    with atomic_path(sheet) as tmp:
        contact_sheet(labelled).save(tmp, format="PNG")
    return sheet


def remove_sheet(out: Path) -> None:
    """Delete the contact sheet of `out` and its frames (out/preview/)."""
    preview_sheet_path(out).unlink(missing_ok=True)
    shutil.rmtree(preview_frames_dir(out), ignore_errors=True)


def refresh_sheet(session: Session) -> str | None:
    """After a render: bring the output folder's contact sheet up to date, or remove it; says what it did.

    The sheet shows the chapters it showed before, as the storyboard now has them (a chapter no longer
    in it is dropped), redrawn from the cached previews at the sheet's quality: copying frames, no
    scene is run. When a chapter's preview is not cached (its narration, data or scene changed since
    it was previewed) the sheet cannot be made cheaply, and a sheet of an older storyboard beside the
    new video would mislead: it is removed, and the message says how to make it again. None: there
    is no sheet, or it is up to date.
    """
    sheet = preview_sheet_path(session.out)
    if not sheet.is_file():
        return None
    record = SheetRecord.read(session.out)
    rows = _cached_rows(session, record) if record is not None else None
    if not rows:
        remove_sheet(session.out)
        return (
            f"preview: removed {sheet}: it showed chapters whose previews are not cached as they are now; "
            f"`noise2image preview {session.path}` makes it again"
        )
    if SheetRecord.of(record.quality, rows) == record:
        return None
    publish(session.out, rows, record.quality)
    return f"preview: {sheet} redrawn from cached previews ({plural(len(rows), 'chapter')})"


def _cached_rows(session: Session, record: SheetRecord) -> list[SheetRow] | None:
    """The sheet's chapters that are still in the storyboard, with their cached previews at the
    record's quality; None if one is not cached. Speaks, analyses and renders nothing."""
    from render.stages.narrate import cached_timeline

    shown = {chapter_id for _, chapter_id, _ in record.rows}
    quality, fps = session.quality_and_fps(record.quality)
    rows = []
    for number, chapter in enumerate(session.plan.chapters, start=1):
        if chapter.id not in shown:
            continue
        timeline = cached_timeline(session, chapter, fps)
        if timeline is None:
            return None
        folder = session.preview_folder(chapter, session.preview_parts(chapter, timeline.timing(), quality, fps))
        if not (folder / BEATS_JSON).is_file():
            return None
        rows.append(SheetRow(number, chapter.id, chapter.title, folder))
    return rows


def contact_sheet(rows: list[tuple[str, list[Path]]], thumb_width: int = THUMB_WIDTH) -> Image.Image:
    """One row per chapter: its label ("5. Title") over the last frame of each of its beats, left to right.

    The sheet takes the frames' background colour (their top-left pixel) and a text colour that
    contrasts with it.
    """
    first = Image.open(rows[0][1][0]).convert("RGB")
    thumb_height = round(thumb_width * first.height / first.width)
    background = first.getpixel((1, 1))
    ink = (20, 20, 24) if sum(background) > 3 * 128 else (236, 236, 241)
    font = ImageFont.truetype(str(_font_file()), 20)
    pad, gap, title_h = 24, 10, 34
    columns = max(len(frames) for _, frames in rows)
    width = 2 * pad + columns * thumb_width + (columns - 1) * gap
    height = 2 * pad + len(rows) * (title_h + thumb_height) + (len(rows) - 1) * 2 * gap
    sheet = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(sheet)
    y = pad
    for label, frames in rows:
        draw.text((pad, y + 4), label, fill=ink, font=font)
        y += title_h
        for k, frame in enumerate(frames):
            thumb = Image.open(frame).convert("RGB").resize((thumb_width, thumb_height), Image.Resampling.LANCZOS)
            x = pad + k * (thumb_width + gap)
            sheet.paste(thumb, (x, y))
            draw.rectangle((x - 1, y - 1, x + thumb_width, y + thumb_height), outline=_mix(background, ink, 0.25))
        y += thumb_height + 2 * gap
    return sheet


def _mix(a: tuple[int, ...], b: tuple[int, ...], t: float) -> tuple[int, ...]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _font_file() -> Path:
    fonts = sorted(FONT_DIR.glob("*.[ot]tf"))
    semibold = [f for f in fonts if "semibold" in f.name.lower()]
    return (semibold or fonts)[0]


# ---- the worker ----------------------------------------------------------------------------------


def work(jobs_file: str) -> None:
    """Worker entry point: run the jobs of `jobs_file` (a PreviewJobs) that this process claims, in order.

    Each chapter's frames are written into a hidden sibling of its folder, which is renamed into
    place when the scene has finished, so a folder under its final name is complete.
    """
    from manim import tempconfig

    spec = PreviewJobs.model_validate_json(Path(jobs_file).read_text(encoding="utf-8"))
    for k, job in enumerate(spec.jobs):
        try:
            (spec.claims / f"{k:04d}").mkdir()
        except FileExistsError:  # another worker has it
            continue
        start = time.perf_counter()
        try:
            with atomic_folder(job.out) as tmp:
                os.environ.update(
                    {"N2I_CHAPTER": str(job.data), "N2I_TIMING": str(job.timing), "N2I_PREVIEW": str(tmp)}
                )
                with tempconfig(_manim_settings(job)):
                    scene_class(job.scene_file, job.scene_class)().render()
                if not (tmp / BEATS_JSON).is_file():
                    raise PreviewError(f"{job.scene_class} wrote no {BEATS_JSON}: is it a ChapterScene?")
        except BaseException:
            print(f"preview of chapter {job.chapter} ({job.scene_class}) failed:", file=sys.stderr)
            traceback.print_exc()
            sys.exit(1)
        sys.stderr.flush()  # what the scene said comes before the line that ends its chapter
        print(f"{DONE} {k} {time.perf_counter() - start:.3f}", flush=True)


def _manim_settings(job: PreviewJob) -> dict:
    """Manim's config for a preview: the job's quality and frame rate, no output file of its own."""
    settings = {
        "quality": f"{job.quality}_quality",  # Manim's names: low_quality ... fourk_quality
        "frame_rate": job.fps,
        "media_dir": str(Path.cwd()),
        "dry_run": True,  # no video file: the scene saves its own frames
        "disable_caching": True,
        "progress_bar": "none",
        "verbosity": "WARNING",
    }
    return settings


def scene_class(file: Path, name: str) -> type:
    """The scene class `name` from the Python file `file`, imported once per process."""
    module_name = f"_n2i_preview_{Path(file).stem}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return getattr(module, name)
