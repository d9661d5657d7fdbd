"""The stages in order, each skipped when its output for the same inputs is already stored.

    load + check -> plan -> generate -> analyse -> narrate -> render clips -> assemble -> export, web

Each command of the CLI is one function here. Keys and output paths come from render/keys.py,
through the session (render/session.py); the stages live in render/stages/, one module each, and
send their heavy work to an executor (render/executors/).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from render.executors import Executor, LocalExecutor
from render.keys import out_lock_name, slides_dir, web_dir
from render.progress import available_cores, say
from render.session import Manifest, Session, check_out_folder, load_checked, open_session
from render.stages.plan import ChapterPlan, Plan, describe_plan
from render.words import plural


def check(path: Path) -> None:
    """Validate a storyboard, in full and against this machine, without loading the model."""
    storyboard = load_checked(path)
    say(f"{path}: valid ({plural(len(storyboard.chapters), 'chapter')}, model {storyboard.model.id})")


def plan_text(path: Path, cache: str | None = None) -> str:
    """The planned generation requests: cached or to do, and which chapters use them."""
    session = open_session(path, cache)
    return describe_plan(session.plan, session.cache.has_trajectory)


def verify(path: Path, cache: str | None = None, chapters: list[str] | None = None, strict: bool = False,
           executor: Executor | None = None) -> int:  # fmt: skip
    """Generate and analyse what is missing, print every stated claim's measurement; 1 if any fails."""
    from render.stages.analyse import analyse
    from render.stages.verify import checked_claims, claims_table, failures

    session = open_session(path, cache, executor=executor)
    selected = session.select(chapters)
    session.plan.only({c.id for c in selected})
    generate(session, executor=executor)
    analyse(session, selected)
    rows = checked_claims(session, selected)
    print(claims_table(rows))
    return 1 if failures(rows, strict) else 0


def generate(
    session: Session, batch_size: int | None = None, executor: Executor | None = None, plan: Plan | None = None
) -> int:
    """Record every trajectory of `plan` (default: the session's) that the cache does not hold; returns
    how many were made."""
    from render.stages.generate import run_generate

    return run_generate(plan or session.plan, session.cache, executor or LocalExecutor(),
                        model_id=session.storyboard.model.id, notice=session.runtime_notice,
                        batch_size=batch_size, progress=sys.stderr.isatty())  # fmt: skip


@dataclass(frozen=True)
class RenderOptions:
    """How `render` runs, built once from the command line (render/cli.py)."""

    cache: str | None = None  # the cache folder (default: $NOISE2IMAGE_CACHE, else build/cache)
    out: Path | None = None  # the output folder (default: build/<storyboard name>)
    chapters: tuple[str, ...] | None = None  # the chapters to make and assemble (None: all)
    quality: str | None = None  # overrides video.quality
    jobs: int = 1  # clips rendered at once on this machine
    dry_run: bool = False  # say what would be redone and why, do nothing
    slides: bool = False  # also export slide clips
    batch_size: int | None = None  # requests per generation batch (default: by device)
    web: bool = False  # also write the web page ...
    web_clips: bool = True  # ... with the narrated clips
    strict: bool = False  # a stated claim that fails (or cannot be checked) stops the render
    subtitle_track: bool = True  # video.mp4 and the chapter clips carry the subtitles as a soft track too


def render(path: Path, options: RenderOptions = RenderOptions(), executor: Executor | None = None) -> None:
    """Run every stage for the chosen chapters (all by default), as `options` say.

    Generation, clips and slide encodes run on `executor` (default: this machine). A stated claim
    that fails is a warning; with `options.strict` it (or one that cannot be checked) stops the render
    before any clip is made.
    """
    from render.stages.clips import render_clips

    started = time.perf_counter()
    # 1. Load, check, plan
    session = open_session(path, options.cache, options.out, executor=executor)
    selected = session.select(list(options.chapters) if options.chapters else None)
    quality, fps = session.quality_and_fps(options.quality)
    if options.dry_run:
        say(dry_run_report(session, selected, quality, fps))
        return

    # 2. Generate the trajectories the chosen chapters need, 3. analyse, 4. narrate, 5. render clips: all
    # of them, then the clips (--strict: no clip before every claim is known to hold; on a cluster, whose
    # stages spread over its nodes and whose driver keeps to one thread); else overlapped on this machine,
    # each chapter's clip starting as soon as its data and narration exist
    if options.strict or (executor is not None and executor.name != "local"):
        timelines = _up_to_narration(session, selected, fps, options.batch_size, executor)
        _check_claims(session, selected, options.strict)
        jobs = _clip_jobs(session, selected, timelines, quality, fps)
        render_clips(session, jobs, quality, fps, options.jobs, executor)
    else:
        timelines = _overlapped(session, selected, quality, fps, options, executor)
    timings = {c.id: timelines[c.id].timing() for c in selected}
    parts = {c.id: session.clip_parts(c, timings[c.id], quality, fps) for c in selected}
    clips = {c.id: session.clip_path(c, parts[c.id]) for c in selected}

    # 6. Assemble (skipped when nothing it reads changed), and record how the video was made
    assembly_key = session.assembly_key(selected, clips, timings, options.subtitle_track)
    _assemble(session, selected, clips, timelines, assembly_key, options.subtitle_track)
    session.manifest(selected, clips, parts, timelines, quality, fps, assembly_key).to_file(session.manifest_path)
    _refresh_preview_sheet(session)

    # 7. Export for slides, and the web page
    if options.slides:
        export(path, session=session, executor=executor)
    if options.web:
        write_web(session, clips=options.web_clips)
    say(f"done in {time.perf_counter() - started:.1f} s: {session.video_path}")


def _clip_jobs(session: Session, chapters: list[ChapterPlan], timelines: dict, quality: str, fps: int) -> list:
    """(chapter, timing, clip path) of each chapter: the jobs of `render_clips`."""
    jobs = []
    for c in chapters:
        timing = timelines[c.id].timing()
        jobs.append((c, timing, session.clip_path(c, session.clip_parts(c, timing, quality, fps))))
    return jobs


def _waves(session: Session, selected: list[ChapterPlan]) -> list[list[ChapterPlan]]:
    """The chapters in the groups they are made in: first every one drawn in the shared PCA basis (it is
    fitted on all their trajectories), then the others one by one, in the storyboard's order."""
    basis = [c for c in selected if c.kind.uses_latent_basis]
    return ([basis] if basis else []) + [[c] for c in selected if not c.kind.uses_latent_basis]


def _overlapped(session: Session, selected: list[ChapterPlan], quality: str, fps: int, options, executor):
    """Generate, analyse and narrate the chapters wave by wave in a thread of its own, while this thread
    renders the clips of the waves that are ready (all that are ready at once, `options.jobs` at a time):
    no core waits for the slowest stage. Each chapter's failed claims are said before its clip starts.
    Clips stay in this thread, so Ctrl-C stops their Manim processes as it always has; the producing
    thread is a daemon that ends with the process. Returns the timelines, by chapter id."""
    import queue
    import threading

    from render.stages.analyse import analyse
    from render.stages.clips import render_clips
    from render.stages.narrate import narrate

    check_out_folder(session.out)
    session.plan.only({c.id for c in selected})
    timelines: dict = {}
    ready: queue.Queue = queue.Queue()

    def produce() -> None:
        try:
            for wave in _waves(session, selected):
                generate(session, options.batch_size, executor, plan=session.plan.subset({c.id for c in wave}))
                analyse(session, wave)
                _check_claims(session, wave, strict=False)
                made = narrate(session, wave, fps)
                timelines.update(made)
                ready.put(wave)
            ready.put(None)
        except BaseException as e:  # noqa: BLE001  (handed to the rendering thread, which raises it)
            ready.put(e)

    threading.Thread(target=produce, name="noise2image-produce", daemon=True).start()
    done = 0
    while True:
        batch = [ready.get()]
        while not ready.empty():  # everything that is ready goes into one round of clips
            batch.append(ready.get())
        if isinstance(batch[-1], BaseException):
            raise batch[-1]
        chapters = [c for wave in batch if wave is not None for c in wave]
        if chapters:
            jobs = _clip_jobs(session, chapters, timelines, quality, fps)
            render_clips(session, jobs, quality, fps, options.jobs, executor, among=(done, len(selected)))
            done += len(chapters)
        if batch[-1] is None:
            return timelines


def _refresh_preview_sheet(session: Session) -> None:
    """A contact sheet in the output folder is redrawn (or removed) so it matches the storyboard just rendered."""
    from render.stages.preview import refresh_sheet

    with session.cache.lock(out_lock_name(session.out), say=say):  # not beside an assembly into the same folder
        said = refresh_sheet(session)
    if said:
        say(said)


def _check_claims(session: Session, selected: list[ChapterPlan], strict: bool) -> None:
    """Warn about every stated claim that fails; with `strict`, stop (also on one that cannot be checked)."""
    from render.errors import UserFacingError
    from render.stages.verify import checked_claims, failures, warning_lines

    rows = checked_claims(session, selected)
    failed = failures(rows, strict)
    for line in warning_lines(failed):
        say(line)
    if strict and failed:
        raise UserFacingError(
            f"{len(failed)} of {plural(len(rows), 'stated claim')} do not hold (--strict): "
            f"no video made; "
            f"`noise2image verify {session.path}` shows them all"
        )


def preview(
    path: Path,
    cache: str | None = None,
    out: Path | None = None,
    chapters: list[str] | None = None,
    quality: str | None = None,
    jobs: int = 1,
    watch: bool = False,
) -> Path | None:
    """The last frame of every beat and a contact sheet (build/<name>/preview.png), without video; returns
    the sheet. With `watch`, then again each time the storyboard file is saved, until Ctrl-C (render/watch.py)."""

    def make():
        return make_preview(path, cache=cache, out=out, chapters=chapters, quality=quality, jobs=jobs)

    if watch:
        import threading

        from render.watch import file_changes
        from render.watch import watch as watch_file

        stop = threading.Event()  # set by nobody here: Ctrl-C ends the command
        changes = file_changes(path, stop)  # from the file as it is now: a save during the first build counts
        watch_file(path, make, stop, changes)
        return None
    result = make()
    say(f"preview: done in {result.seconds:.1f} s: {result.sheet} (frames in {result.sheet.parent / 'preview'})")
    return result.sheet


def make_preview(
    path: Path,
    cache: str | None = None,
    out: Path | None = None,
    chapters: list[str] | None = None,
    quality: str | None = None,
    jobs: int = 1,
):
    """The preview's work; returns a PreviewResult (render/watch.py): the sheet, its chapters, how many redone."""
    from render.stages.preview import BEATS_JSON, SheetRow, publish, render_previews
    from render.watch import PreviewResult

    started = time.perf_counter()
    session = open_session(path, cache, out)
    selected = session.select(chapters)
    quality, fps = session.quality_and_fps(quality)
    timelines = _up_to_narration(session, selected, fps)  # the beats fall where they fall in the video
    folders = {}
    for c in selected:
        timing = timelines[c.id].timing()
        folders[c.id] = (timing, session.preview_folder(c, session.preview_parts(c, timing, quality, fps)))
    previews = [(c, *folders[c.id]) for c in selected]
    redone = sum(not (folder / BEATS_JSON).is_file() for _, _, folder in previews)  # what render_previews makes
    render_previews(session, previews, quality, fps, jobs)
    number = {c.id: n for n, c in enumerate(session.plan.chapters, start=1)}  # the storyboard's numbers
    rows = [SheetRow(number[c.id], c.id, c.title, folders[c.id][1]) for c in selected]
    sheet = publish(session.out, rows, quality)
    return PreviewResult(sheet, len(selected), redone, time.perf_counter() - started)


def _up_to_narration(
    session: Session,
    selected: list[ChapterPlan],
    fps: int,
    batch_size: int | None = None,
    executor: Executor | None = None,
):
    """The stages a video and a preview both need: the output folder checked, then the selected
    chapters' trajectories generated, analysed and narrated. Returns their timelines, by chapter id."""
    from render.stages.analyse import analyse
    from render.stages.narrate import narrate

    check_out_folder(session.out)
    session.plan.only({c.id for c in selected})
    generate(session, batch_size=batch_size, executor=executor)
    analyse(session, selected)
    return narrate(session, selected, fps)


def _assemble(
    session: Session, chapters: list[ChapterPlan], clips, timelines, assembly_key: str, subtitle_track: bool
) -> None:
    from render.stages.assemble import ChapterMedia, assemble

    with session.cache.lock(out_lock_name(session.out), say=say):  # one assembly per out folder at a time
        session.out.mkdir(parents=True, exist_ok=True)
        previous = Manifest.from_file(session.manifest_path)
        if previous is not None and previous.assembly_key == assembly_key and session.video_path.is_file():
            say("assemble: nothing changed; the video is up to date")
            return
        start = time.perf_counter()
        media = [ChapterMedia(c.id, c.title, clips[c.id], timelines[c.id]) for c in chapters]
        result = assemble(media, session.out, session.storyboard.title, subtitle_track=subtitle_track)
        say(f"assemble: {result.duration:.1f} s of video in {time.perf_counter() - start:.1f} s")


def export(
    path: Path, cache=None, out=None, width=None, fps=None, audio=True, deck=True, session=None, executor=None
) -> None:
    """Slide clips for every chapter of the last render (rendering first if there is none)."""
    from render.stages.assemble import ChapterMedia
    from render.stages.export import export_slides

    session = session or open_session(path, cache, out, executor=executor)
    manifest = _last_render(session, path, cache, out, executor)
    media = [ChapterMedia(i, manifest.chapters[i].title, manifest.chapters[i].clip, manifest.chapters[i].timeline)
             for i in manifest.order]  # fmt: skip
    written = export_slides(media, session.out, width=width, fps=fps, audio=audio, deck=deck,
                            deck_title=session.storyboard.title, executor=executor)  # fmt: skip
    say(f"export: {plural(len(written), 'file')} in {slides_dir(session.out)}")


def _last_render(session: Session, path: Path, cache, out, executor: Executor | None = None) -> Manifest:
    """The manifest of the last render into the session's output folder (rendering first if there is none)."""
    manifest = Manifest.from_file(session.manifest_path)
    if manifest is None or not manifest.chapters:
        say(f"export: no render in {session.out} yet; rendering first")
        render(path, RenderOptions(cache=cache, out=out, jobs=available_cores()), executor)
        manifest = Manifest.from_file(session.manifest_path)
    return manifest


def export_web(path: Path, cache=None, out=None, clips: bool = True) -> None:
    """The web page of the last render (rendering first if there is none)."""
    session = open_session(path, cache, out)
    _last_render(session, path, cache, out)
    write_web(session, clips=clips)


def write_web(session: Session, clips: bool = True) -> None:
    """The interactive web page (out/web/) of the render recorded in the output folder's manifest."""
    from render.stages.web import WebChapter, write_site

    manifest = Manifest.from_file(session.manifest_path)
    chapters = []
    for chapter_id in manifest.order:
        entry = manifest.chapters[chapter_id]
        narrated = session.out / entry.narrated if clips else None  # where the last render says it wrote it
        chapters.append(WebChapter(chapter_id, entry.data, narrated, entry.timeline))
    theme, model = manifest.storyboard["video"]["theme"], manifest.storyboard["model"]["id"]
    if Path(model).is_dir():  # a local pipeline folder: its name, not a path of this machine on a published page
        model = Path(model).name
    video = session.out / manifest.video
    with session.cache.lock(out_lock_name(session.out), say=say):  # not beside an assembly into the same folder
        report = write_site(web_dir(session.out), manifest.title, theme, model, chapters, video=video)
    made = f"{plural(len(report.written), 'chapter figure')} written, {len(report.reused)} up to date"
    if report.without_figure:
        made += f", {len(report.without_figure)} without one ({', '.join(report.without_figure)})"
    size = f"{report.bytes_without_media / 1e6:.1f} MB without clips, {report.bytes_total / 1e6:.1f} MB in all"
    say(f"web: {made}; {size}: {report.folder / 'index.html'}")


def dry_run_report(session: Session, selected: list[ChapterPlan], quality: str, fps: int) -> str:
    """What a render would redo, stage by stage, and why (compared with the cache and the last manifest)."""
    chosen = {c.id for c in selected}
    missing = [p for p in session.plan.missing(session.cache.has_trajectory) if set(p.chapters) & chosen]
    lines = [f"generate: {len(missing)} of {plural(len(session.plan.requests), 'trajectory', 'trajectories')} to make"]
    lines += [f"  {p.request.describe()}  (new or changed; used by {', '.join(p.chapters)})" for p in missing]
    manifest = Manifest.from_file(session.manifest_path)
    redo = 0
    for chapter in selected:
        reasons = _redo_reasons(session, chapter, manifest, quality, fps)
        redo += bool(reasons)
        lines.append(f"render: {chapter.id}: " + ("; ".join(reasons) if reasons else "up to date"))
    if redo:
        lines.append(f"{redo} of {plural(len(selected), 'chapter')} would be re-rendered, then the video re-assembled")
    elif manifest is None or manifest.order != [c.id for c in selected] or manifest.title != session.storyboard.title:
        lines.append("assemble: the chapter order or the title changed; the video would be re-assembled")
    elif not session.video_path.is_file():
        lines.append("assemble: the video is missing; it would be assembled")
    else:
        lines.append("nothing to redo: the video is up to date")
    return "\n".join(lines)


def _redo_reasons(session: Session, chapter: ChapterPlan, manifest: Manifest | None, quality: str, fps: int):
    """Why this chapter's clip would be made again (nothing: it is up to date). Speaks nothing."""
    from render.chapter_data import CHAPTER_JSON
    from render.stages.narrate import cached_timeline

    timeline = cached_timeline(session, chapter, fps)
    if timeline is not None:  # everything the clip depends on is known: look its key up
        timing = timeline.timing()
        if session.clip_path(chapter, session.clip_parts(chapter, timing, quality, fps)).is_file():
            return []
    analysed = (session.data_folder(chapter) / CHAPTER_JSON).is_file()
    texts = session.spoken_beats(chapter) if analysed else chapter.chapter.beats
    spoken = [session.speech.cached(text, session.narration_dir) for text in texts]
    reasons = []
    if not all(spoken):  # the chapter data carries the narration: edited beats are re-analysed too
        reasons.append(f"{plural(spoken.count(None), 'narration beat')} new or edited (re-speak, re-analyse, re-time)")
    elif not analysed:
        reasons.append("its parameters or trajectories changed (re-analyse)")
    before = manifest.chapters.get(chapter.id) if manifest else None
    if before is None:
        reasons.append("not rendered before")
    else:
        old_quality, old_fps = before.key_parts.get("quality"), before.key_parts.get("fps")
        if (old_quality, old_fps) != (quality, fps):
            reasons.append(f"quality {old_quality}@{old_fps} -> {quality}@{fps}")
        if before.key_parts.get("scenes") != session.scene_version(chapter):
            reasons.append("scene code changed")
        if any(before.key_parts.get(part) != value for part, value in session.clip_tools().items()):
            reasons.append("Manim or its encoder settings changed")
    return reasons or ["narration timing changed (pause or speed)"]


__all__ = [
    "RenderOptions",
    "check",
    "plan_text",
    "verify",
    "generate",
    "render",
    "preview",
    "export",
    "export_web",
]
