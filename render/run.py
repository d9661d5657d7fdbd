"""The stages in order, each skipped when its output for the same inputs is already stored.

    load + check -> plan -> generate -> analyse -> narrate -> render clips -> assemble -> export

Each command of the CLI is one function here. Keys and output paths come from the session
(render/session.py); the stages live in render/stages/, one module each.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from render.progress import available_cores
from render.session import Manifest, Session, check_out_folder, load_checked, open_session, out_lock_name, say
from render.stages.plan import ChapterPlan, describe_plan


def check(path: Path) -> None:
    """Validate a storyboard, in full and against this machine, without loading the model."""
    storyboard = load_checked(path)
    say(f"{path}: valid ({len(storyboard.chapters)} chapters, model {storyboard.model.id})")


def plan_text(path: Path, cache: str | None = None) -> str:
    """The planned generation requests: cached or to do, and which chapters use them."""
    session = open_session(path, cache)
    return describe_plan(session.plan, session.cache.has_trajectory)


def generate(session: Session, batch_size: int | None = None) -> int:
    """Record every planned trajectory that the cache does not hold; returns how many were made."""
    from render.stages.generate import run_generate

    return run_generate(
        session.plan, session.cache, session.load_model, batch_size=batch_size, say=say, progress=sys.stderr.isatty()
    )


def render(
    path: Path,
    cache: str | None = None,
    out: Path | None = None,
    chapters: list[str] | None = None,
    quality: str | None = None,
    jobs: int = 1,
    dry_run: bool = False,
    slides: bool = False,
    batch_size: int | None = None,
) -> None:
    """Run every stage; `chapters` limits which chapters are made (and assembled)."""
    from render.stages.analyse import analyse
    from render.stages.clips import render_clips
    from render.stages.narrate import narrate

    started = time.perf_counter()
    # 1. Load, check, plan
    session = open_session(path, cache, out)
    selected = session.select(chapters)
    quality, fps = session.quality_and_fps(quality)
    if dry_run:
        say(dry_run_report(session, selected, quality, fps))
        return
    check_out_folder(session.out)

    # 2. Generate the trajectories the chosen chapters need
    session.plan.only({c.id for c in selected})
    generate(session, batch_size=batch_size)

    # 3. Analyse, 4. narrate, 5. render clips
    analyse(session, selected)
    timelines = narrate(session, selected, fps)
    timings = {c.id: timelines[c.id].timing() for c in selected}
    parts = {c.id: session.clip_parts(c, timings[c.id], quality, fps) for c in selected}
    clips = {c.id: session.clip_path(c, parts[c.id]) for c in selected}
    render_clips(session, [(c, timings[c.id], clips[c.id]) for c in selected], quality, fps, jobs)

    # 6. Assemble (skipped when nothing it reads changed), and record how the video was made
    assembly_key = session.assembly_key(selected, clips, timings)
    _assemble(session, selected, clips, timelines, assembly_key)
    session.manifest(selected, clips, parts, timelines, quality, fps, assembly_key).to_file(session.manifest_path)

    # 7. Export for slides
    if slides:
        export(path, session=session)
    say(f"done in {time.perf_counter() - started:.1f} s: {session.video_path}")


def _assemble(session: Session, chapters: list[ChapterPlan], clips, timelines, assembly_key: str) -> None:
    from render.stages.assemble import ChapterMedia, assemble

    with session.cache.lock(out_lock_name(session.out), say=say):  # one assembly per out folder at a time
        session.out.mkdir(parents=True, exist_ok=True)
        previous = Manifest.from_file(session.manifest_path)
        if previous is not None and previous.assembly_key == assembly_key and session.video_path.is_file():
            say("assemble: nothing changed; the video is up to date")
            return
        start = time.perf_counter()
        media = [ChapterMedia(c.id, c.title, clips[c.id], timelines[c.id]) for c in chapters]
        result = assemble(media, session.out, session.storyboard.title)
        say(f"assemble: {result.duration:.1f} s of video in {time.perf_counter() - start:.1f} s")


def export(path: Path, cache=None, out=None, width=None, fps=None, audio=True, deck=True, session=None) -> None:
    """Slide clips for every chapter of the last render (rendering first if there is none)."""
    from render.stages.assemble import ChapterMedia
    from render.stages.export import export_slides

    session = session or open_session(path, cache, out)
    manifest = Manifest.from_file(session.manifest_path)
    if manifest is None or not manifest.chapters:
        say(f"export: no render in {session.out} yet; rendering first")
        render(path, cache=cache, out=out, jobs=available_cores())
        manifest = Manifest.from_file(session.manifest_path)
    media = [ChapterMedia(i, manifest.chapters[i].title, manifest.chapters[i].clip, manifest.chapters[i].timeline)
             for i in manifest.order]  # fmt: skip
    written = export_slides(media, session.out, width=width, fps=fps, audio=audio, deck=deck,
                            deck_title=session.storyboard.title)  # fmt: skip
    say(f"export: {len(written)} files in {session.out / 'slides'}")


def dry_run_report(session: Session, selected: list[ChapterPlan], quality: str, fps: int) -> str:
    """What a render would redo, stage by stage, and why (compared with the cache and the last manifest)."""
    chosen = {c.id for c in selected}
    missing = [p for p in session.plan.missing(session.cache.has_trajectory) if set(p.chapters) & chosen]
    lines = [f"generate: {len(missing)} of {len(session.plan.requests)} trajectories to make"]
    lines += [f"  {p.request.describe()}  (new or changed; used by {', '.join(p.chapters)})" for p in missing]
    manifest = Manifest.from_file(session.manifest_path)
    redo = 0
    for chapter in selected:
        reasons = _redo_reasons(session, chapter, manifest, quality, fps)
        redo += bool(reasons)
        lines.append(f"render: {chapter.id}: " + ("; ".join(reasons) if reasons else "up to date"))
    if redo:
        lines.append(f"{redo} of {len(selected)} chapters would be re-rendered, then the video re-assembled")
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
    from render.speech import plan_chapter_timeline

    analysed = (session.data_folder(chapter) / CHAPTER_JSON).is_file()
    spoken = [session.speech.cached(text, session.narration_dir) for text in chapter.chapter.narration]
    if analysed and all(spoken):  # everything the clip depends on is known: look its key up
        timing = plan_chapter_timeline(spoken, session.storyboard.narration.pause, fps=fps).timing()
        if session.clip_path(chapter, session.clip_parts(chapter, timing, quality, fps)).is_file():
            return []
    reasons = []
    if not all(spoken):  # the chapter data carries the narration: edited beats are re-analysed too
        reasons.append(f"{spoken.count(None)} narration beat(s) new or edited (re-speak, re-analyse, re-time)")
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
    return reasons or ["narration timing changed (pause or speed)"]


__all__ = ["check", "plan_text", "generate", "render", "export"]
