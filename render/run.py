"""The stages in order, each skipped when its output for the same inputs is already stored.

    load + check -> plan -> generate -> analyse -> narrate -> render clips -> assemble -> export

Every stored output is named by a key that hashes its inputs (canonical JSON, sorted keys) plus
the version of the code that makes it, so editing one chapter's narration re-speaks that beat and
re-renders that chapter only, and changing the quality re-renders clips but generates nothing.
The output folder's manifest.json records each chapter's keys, which is how `--dry-run` says
what would be redone and why.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from render.cache import Cache, default_cache_dir
from render.checks import check_storyboard
from render.plan import ChapterPlan, Plan, describe_plan, make_plan
from render.requests import canonical_json, content_key
from render.storyboard import Storyboard, load_storyboard

REPO = Path(__file__).resolve().parent.parent
QUALITY_FPS = {"low": 15, "medium": 30, "high": 60, "production": 60, "fourk": 60}
BASIS_KINDS = ("latent_space", "seed_comparison")  # chapters drawn in the shared latent PCA basis


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def code_version(*paths: str) -> str:
    """A hash of source files: outputs made by other code get other keys."""
    h = hashlib.sha256()
    for rel in paths:
        for path in sorted((REPO / rel).rglob("*")) if (REPO / rel).is_dir() else [REPO / rel]:
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


# ---- load, check, plan ---------------------------------------------------------------------------


@dataclass
class Session:
    """A loaded storyboard and where its outputs go."""

    path: Path
    storyboard: Storyboard
    cache: Cache
    plan: Plan
    out: Path
    model: Any = None  # the LoadedModel, once a stage has needed it

    @property
    def name(self) -> str:
        return self.path.stem

    def load_model(self):
        """The storyboard's model, loaded on first use and shared by the stages that need it."""
        if self.model is None:
            from render.models import load_model

            m = self.storyboard.model
            say(f"loading {m.id}")
            self.model = load_model(m.id, m.device, m.dtype, say=say)
        return self.model


def load_checked(path: Path) -> Storyboard:
    """The storyboard, validated in full and against this machine (model, sizes, voice)."""
    storyboard = load_storyboard(path)
    check_storyboard(storyboard, say=say)
    return storyboard


def open_session(path: Path, cache: str | None = None, out: Path | None = None) -> Session:
    from render.models import model_identity, native_size

    storyboard = load_checked(path)
    plan = make_plan(storyboard, model_identity(storyboard.model.id), native_size(storyboard.model.id))
    cache_root = default_cache_dir(path, cache)
    out = out or Path(path).resolve().parent / "build" / Path(path).stem
    return Session(Path(path), storyboard, Cache(cache_root), plan, out)


def check(path: Path) -> None:
    storyboard = load_checked(path)
    say(f"{path}: valid ({len(storyboard.chapters)} chapters, model {storyboard.model.id})")


def plan_text(path: Path, cache: str | None = None) -> str:
    session = open_session(path, cache)
    return describe_plan(session.plan, session.cache.has_trajectory)


# ---- generate ------------------------------------------------------------------------------------


def generate(path: Path, cache: str | None = None, batch_size: int | None = None, session: Session | None = None):
    from render.generate_stage import run_generate

    session = session or open_session(path, cache)
    return run_generate(
        session.plan,
        session.cache,
        session.load_model,
        batch_size=batch_size,
        say=say,
        progress=sys.stderr.isatty(),
    )


# ---- analyse -------------------------------------------------------------------------------------


def _trajectories(session: Session, keys: list[str]):
    out = []
    for key in keys:
        planned = session.plan.requests[key]
        trajectory = session.cache.load_trajectory(planned.folder, warn=say)
        if trajectory is None:
            raise RuntimeError(f"trajectory {planned.folder} is missing from the cache; run generate again")
        out.append(trajectory)
    return out


def _basis_keys(session: Session) -> list[str]:
    return sorted(
        {key for c in session.plan.chapters if c.kind in BASIS_KINDS for keys in c.roles.values() for key in keys}
    )


def analysis_key(session: Session, chapter: ChapterPlan) -> str:
    return content_key(
        {
            "kind": chapter.kind,
            "title": chapter.title,
            "params": chapter.params,
            "roles": chapter.roles,
            "basis": _basis_keys(session) if chapter.kind in BASIS_KINDS else None,
            "model": session.plan.model,
            "theme": session.storyboard.video.theme,
            "code": code_version("render/kinds.py", "render/chapter_data.py"),
        }
    )


def analyse(session: Session, chapters: list[ChapterPlan]) -> dict[str, Path]:
    """Chapter data bundles (cache/chapters/{id}-{key}), made where missing."""
    from render.chapter_data import CHAPTER_JSON

    folders = {
        chapter.id: session.cache.stage_dir("chapters") / f"{chapter.id}-{analysis_key(session, chapter)[:12]}"
        for chapter in chapters
    }
    if all((folder / CHAPTER_JSON).is_file() for folder in folders.values()):
        return folders
    with session.cache.lock("analyse", say=say):  # a second run waits, then finds the bundles made
        todo = [chapter for chapter in chapters if not (folders[chapter.id] / CHAPTER_JSON).is_file()]
        if todo:
            _analyse(session, todo, folders)
    return folders


def _analyse(session: Session, todo: list[ChapterPlan], folders: dict[str, Path]) -> None:
    from render.chapter_data import write_chapter_data
    from render.kinds import KINDS, AnalysisContext, ModelInfo, fit_latent_basis

    basis = None
    if any(c.kind in BASIS_KINDS for c in todo) and _basis_keys(session):
        basis = fit_latent_basis(_trajectories(session, _basis_keys(session)))
    encoder = _PromptEncoder(session)
    for chapter in todo:
        start = time.perf_counter()
        roles = {role: _trajectories(session, keys) for role, keys in chapter.roles.items()}
        any_trajectory = next((t[0] for t in roles.values() if t), None)
        model = (
            ModelInfo.from_trajectory(any_trajectory)
            if any_trajectory is not None
            else ModelInfo(session.plan.width, session.plan.height, 0, 0, 0)
        )
        context = AnalysisContext(model=model, latent_basis=basis, encode=encoder)
        info, arrays = KINDS[chapter.kind].analyse(chapter.params, roles, context)
        info = {
            **info, "kind": chapter.kind, "title": chapter.title, "params": chapter.params,
            "theme": session.storyboard.video.theme,
        }  # fmt: skip
        write_chapter_data(folders[chapter.id], info, arrays)
        say(f"analyse: {chapter.id} ({chapter.kind}) in {time.perf_counter() - start:.1f} s")


class _PromptEncoder:
    """Pooled prompt embeddings for embedding maps, cached per (model, prompt); the model loads lazily."""

    def __init__(self, session: Session):
        self.session = session

    def __call__(self, prompts: list[str]):
        import numpy as np

        folder = self.session.cache.stage_dir("embeddings")
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for prompt in prompts:
            path = folder / f"{content_key({'model': self.session.plan.model, 'prompt': prompt})[:24]}.npy"
            if not path.is_file():
                vector = self._encode(prompt)
                tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(tmp, vector)
                os.replace(tmp, path)
            out.append(np.load(path))
        return np.stack(out)

    def _encode(self, prompt: str):
        from render.generate import pooled_prompt_embedding

        model = self.session.load_model()
        return pooled_prompt_embedding(model.pipe, prompt, is_prx=model.is_prx)


# ---- narrate -------------------------------------------------------------------------------------


def narration_settings(storyboard: Storyboard):
    from render.narrate import NarrationSettings

    n = storyboard.narration
    return NarrationSettings(voice=n.voice, speed=n.speed, pause=n.pause, sentence_silence=n.sentence_silence)


def narrate(session: Session, chapters: list[ChapterPlan], fps: int) -> dict[str, Any]:
    """Speak every beat (cached per text and voice) and lay each chapter's beats on a timeline."""
    from render.narrate import plan_chapter_timeline, synthesize

    settings = narration_settings(session.storyboard)
    folder = session.cache.stage_dir("narration")
    timelines = {}
    for chapter in chapters:
        beats = [synthesize(text, settings, folder) for text in session.storyboard.chapter(chapter.id).narration]
        timelines[chapter.id] = plan_chapter_timeline(beats, settings.pause, fps=fps)
    return timelines


def timing_of(timeline) -> dict[str, Any]:
    """The scene's view of a timeline: where each beat's speech starts and how long it lasts."""
    return {
        "beats": [
            {"text": b.text, "start": round(s, 6), "duration": round(b.duration_s, 6)}
            for b, s in zip(timeline.beats, timeline.starts, strict=True)
        ],
        "total": round(timeline.total, 6),
    }


# ---- render clips --------------------------------------------------------------------------------


def clip_key_parts(session: Session, chapter: ChapterPlan, data_folder: Path, timing: dict, quality: str, fps: int):
    return {
        "data": data_folder.name,
        "timing": content_key(timing),
        "quality": quality,
        "fps": fps,
        "scenes": code_version("scenes", "render/clips.py", "render/chapter_data.py", "assets/fonts"),
        "manim": version("manim"),
    }


def render_clips(
    session: Session, jobs: list[tuple[ChapterPlan, Path, dict, dict]], quality: str, fps: int, n_jobs: int
):
    """Render the chapters whose clip is not cached, `n_jobs` Manim processes at a time.

    Clip rendering holds the cache's `clips` lock: a second run on the same cache waits and then
    finds the clips made, and whatever hidden temporary renders are found then were left by a
    killed run and are removed. On Ctrl-C the Manim processes are stopped at once and the finished
    clips are kept.
    """
    clip_dir = session.cache.stage_dir("clips")
    clips = {chapter.id: clip_dir / f"{chapter.id}-{content_key(parts)[:12]}.mp4" for chapter, _, _, parts in jobs}
    if all(path.is_file() for path in clips.values()):
        return clips
    with session.cache.lock("clips", say=say):
        _remove_unfinished_clips(clip_dir)
        todo = [(c, data, timing, clips[c.id]) for c, data, timing, _ in jobs if not clips[c.id].is_file()]
        if todo:
            _render_missing_clips(todo, len(jobs), clip_dir, quality, fps, n_jobs)
    return clips


def _remove_unfinished_clips(clip_dir: Path) -> None:
    """Remove the temporary renders of runs that were killed. Call only while holding the `clips` lock."""
    import shutil

    if not clip_dir.is_dir():
        return
    leftovers = [p for p in clip_dir.iterdir() if p.name.startswith(".")]
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if leftovers:
        say(f"noise2image: removed {len(leftovers)} unfinished clip render(s) left by an interrupted run")


def _render_missing_clips(todo, n_chapters: int, clip_dir: Path, quality: str, fps: int, n_jobs: int) -> None:
    from render.chapter_data import write_timing
    from render.clips import ClipRenders, render_clip

    say(f"render: {len(todo)} chapter clip(s) to render at {quality} quality, {min(n_jobs, len(todo))} at a time")
    renders = ClipRenders()

    def one(chapter, data_folder, timing, path):
        start = time.perf_counter()
        timing_path = write_timing(path.with_suffix(".timing.json"), timing)
        render_clip(chapter.kind, data_folder, timing_path, path, quality, fps=fps, renders=renders)
        return chapter.id, time.perf_counter() - start, timing["total"]

    done = 0
    pool = ThreadPoolExecutor(max_workers=max(1, n_jobs))  # each job is its own manim process
    try:
        futures = [pool.submit(one, *job) for job in todo]
        for future in as_completed(futures):
            chapter_id, seconds, total = future.result()
            done += 1
            say(f"render: [{done}/{len(todo)}] {chapter_id}: {total:.1f} s of video in {seconds:.1f} s")
    except BaseException as e:  # Ctrl-C or a failed clip: stop the other renders now, not when they end
        pool.shutdown(wait=False, cancel_futures=True)
        renders.stop()
        if isinstance(e, KeyboardInterrupt):
            finished = n_chapters - len(todo) + done
            say(
                f"render: interrupted; {finished} of {n_chapters} chapter clips finished and kept in {clip_dir}, "
                f"{n_chapters - finished} still to render"
            )
        raise
    finally:
        pool.shutdown(wait=True)


# ---- the whole run -------------------------------------------------------------------------------


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
    from render.assemble import ChapterMedia, assemble

    started = time.perf_counter()
    # 1. Load, check, plan
    session = open_session(path, cache, out)
    sb = session.storyboard
    selected = _select(session, chapters)
    quality = quality or sb.video.quality
    fps = sb.video.fps or QUALITY_FPS[quality]
    if dry_run:
        say(dry_run_report(session, selected, quality, fps))
        return
    _check_out_folder(session.out)

    # 2. Generate the trajectories the chosen chapters need
    session.plan.requests = {
        k: p for k, p in session.plan.requests.items() if set(p.chapters) & {c.id for c in selected}
    }
    generate(path, session=session, batch_size=batch_size)

    # 3. Analyse, 4. narrate, 5. render clips
    data = analyse(session, selected)
    timelines = narrate(session, selected, fps)
    jobs_list, parts_by_chapter = [], {}
    for c in selected:
        timing = timing_of(timelines[c.id])
        parts = clip_key_parts(session, c, data[c.id], timing, quality, fps)
        parts_by_chapter[c.id] = parts
        jobs_list.append((c, data[c.id], timing, parts))
    clips = render_clips(session, jobs_list, quality, fps, jobs)

    # 6. Assemble (skipped when nothing it reads changed)
    media = [ChapterMedia(c.id, c.title, clips[c.id], timelines[c.id]) for c in selected]
    assembly_key = content_key(
        {"title": sb.title, "clips": [str(clips[c.id].name) for c in selected],
         "timelines": [timing_of(timelines[c.id]) for c in selected], "code": code_version("render/assemble.py")}
    )  # fmt: skip
    video = session.out / "video.mp4"
    with session.cache.lock(_out_lock_name(session.out), say=say):  # one assembly per out folder at a time
        session.out.mkdir(parents=True, exist_ok=True)
        previous = _read_manifest(session.out / "manifest.json")
        if previous.get("assembly_key") == assembly_key and video.is_file():
            say("assemble: nothing changed; the video is up to date")
        else:
            start = time.perf_counter()
            result = assemble(media, session.out, sb.title)
            say(f"assemble: {result.duration:.1f} s of video in {time.perf_counter() - start:.1f} s")
        _write_manifest(session, selected, parts_by_chapter, data, timelines, quality, fps, assembly_key)

    # 7. Export for slides
    if slides:
        export(path, session=session, media=media)
    say(f"done in {time.perf_counter() - started:.1f} s: {video}")


def export(path: Path, cache=None, out=None, width=None, fps=None, audio=True, deck=True, session=None, media=None):
    """Slide clips for every chapter of the last render (rendering first if there is none)."""
    from render.export import export_slides

    if media is None:
        session = open_session(path, cache, out)
        manifest = _read_manifest(session.out / "manifest.json")
        if not manifest.get("chapters"):
            say(f"export: no render in {session.out} yet; rendering first")
            render(path, cache=cache, out=out, jobs=os.cpu_count() or 1)
            manifest = _read_manifest(session.out / "manifest.json")
        media = _media_from_manifest(manifest)
    written = export_slides(media, session.out, width=width, fps=fps, audio=audio, deck=deck,
                            deck_title=session.storyboard.title)  # fmt: skip
    say(f"export: {len(written)} files in {session.out / 'slides'}")


def _media_from_manifest(manifest: dict):
    """The chapters of the last render, with the clips and narration timelines it used."""
    from render.assemble import ChapterMedia
    from render.narrate import BeatAudio, ChapterTimeline

    media = []
    for chapter_id in manifest["order"]:
        entry = manifest["chapters"][chapter_id]
        t = entry["timeline"]
        beats = [BeatAudio(b["text"], Path(b["wav"]), b["duration"], b["sample_rate"]) for b in t["beats"]]
        timeline = ChapterTimeline(
            beats=beats, starts=[b["start"] for b in t["beats"]], total=t["total"], lead_in=t["lead_in"],
            tail=t["tail"], pause=t["pause"], fps=t["fps"],
        )  # fmt: skip
        media.append(ChapterMedia(chapter_id, entry["title"], Path(entry["clip"]), timeline))
    return media


def _select(session: Session, ids: list[str] | None) -> list[ChapterPlan]:
    if not ids:
        return session.plan.chapters
    known = {c.id for c in session.plan.chapters}
    unknown = [i for i in ids if i not in known]
    if unknown:
        from render.cli import UserFacingError

        raise UserFacingError(f"no chapter with id {', '.join(unknown)}; the storyboard has: {', '.join(known)}")
    return [c for c in session.plan.chapters if c.id in ids]


def _check_out_folder(out: Path) -> None:
    """Make the output folder, or fail now (before any work) with a message naming it."""
    from render.cli import UserFacingError

    out.mkdir(parents=True, exist_ok=True)  # an OSError names the path (see cli._run)
    if not os.access(out, os.W_OK | os.X_OK):
        raise UserFacingError(f"cannot write to the output folder {out}")


def _out_lock_name(out: Path) -> str:
    return "assemble-" + hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_manifest(session, selected, parts_by_chapter, data, timelines, quality, fps, assembly_key) -> None:
    sb = session.storyboard
    clip_dir = session.cache.stage_dir("clips")

    def timeline(c):
        t = timelines[c.id].to_dict()
        for beat, audio in zip(t["beats"], timelines[c.id].beats, strict=True):
            beat["sample_rate"] = audio.sample_rate
        return t

    manifest = {
        "tool": {"noise2image": version("noise2image"), "manim": version("manim"), "diffusers": version("diffusers"),
                 "torch": version("torch")},
        "storyboard": sb.model_dump(mode="json"),
        "model": session.plan.model,
        "quality": quality,
        "fps": fps,
        "assembly_key": assembly_key,
        "title": sb.title,
        "order": [c.id for c in selected],
        "requests": {k: {"request": p.request.model_dump(mode="json"), "chapters": p.chapters, "bundle": p.folder}
                     for k, p in session.plan.requests.items()},
        "chapters": {
            c.id: {"kind": c.kind, "title": c.title, "data": data[c.id].name, "key_parts": parts_by_chapter[c.id],
                   "timeline": timeline(c),
                   "clip": str(clip_dir / f"{c.id}-{content_key(parts_by_chapter[c.id])[:12]}.mp4"),
                   "seeds": sorted({session.plan.requests[k].request.seed for ks in c.roles.values() for k in ks})}
            for c in selected
        },
    }  # fmt: skip
    tmp = session.out / f".manifest.{os.getpid()}.json"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False))
    os.replace(tmp, session.out / "manifest.json")


def dry_run_report(session: Session, selected: list[ChapterPlan], quality: str, fps: int) -> str:
    """What a render would redo, stage by stage, and why (compared with the cache and the last manifest)."""
    from render.chapter_data import CHAPTER_JSON
    from render.narrate import cache_key, plan_chapter_timeline, synthesize

    lines = []
    chosen = {c.id for c in selected}
    missing = [p for p in session.plan.missing(session.cache.has_trajectory) if set(p.chapters) & chosen]
    lines.append(f"generate: {len(missing)} of {len(session.plan.requests)} trajectories to make")
    lines += [f"  {p.request.describe()}  (new or changed; used by {', '.join(p.chapters)})" for p in missing]
    manifest = _read_manifest(session.out / "manifest.json")
    previous = manifest.get("chapters", {})
    settings = narration_settings(session.storyboard)
    narration_dir = session.cache.stage_dir("narration")
    scenes_version = code_version("scenes", "render/clips.py", "render/chapter_data.py", "assets/fonts")
    redo = 0
    for c in selected:
        data_folder = session.cache.stage_dir("chapters") / f"{c.id}-{analysis_key(session, c)[:12]}"
        texts = session.storyboard.chapter(c.id).narration
        unspoken = [t for t in texts if not list(narration_dir.glob(f"*-{cache_key(t, settings)[:10]}.wav"))]
        if not unspoken and (data_folder / CHAPTER_JSON).is_file():
            # Everything the clip depends on is known: look its key up (cached beats are read, not spoken).
            timeline = plan_chapter_timeline([synthesize(t, settings, narration_dir) for t in texts], settings.pause,
                                             fps=fps)  # fmt: skip
            parts = clip_key_parts(session, c, data_folder, timing_of(timeline), quality, fps)
            if (session.cache.stage_dir("clips") / f"{c.id}-{content_key(parts)[:12]}.mp4").is_file():
                lines.append(f"render: {c.id}: up to date")
                continue
        reasons = []
        if not (data_folder / CHAPTER_JSON).is_file():
            reasons.append("its parameters or trajectories changed (re-analyse)")
        if unspoken:
            reasons.append(f"{len(unspoken)} narration beat(s) new or edited (re-speak, re-time)")
        before = previous.get(c.id, {}).get("key_parts")
        if before is None:
            reasons.append("not rendered before")
        else:
            if before.get("quality") != quality or before.get("fps") != fps:
                reasons.append(f"quality {before.get('quality')}@{before.get('fps')} -> {quality}@{fps}")
            if before.get("scenes") != scenes_version:
                reasons.append("scene code changed")
        if not reasons:
            reasons.append("narration timing changed (pause or speed)")
        redo += 1
        lines.append(f"render: {c.id}: " + "; ".join(reasons))
    order = [c.id for c in selected]
    if redo:
        lines.append(f"{redo} of {len(selected)} chapters would be re-rendered, then the video re-assembled")
    elif manifest.get("order") != order or manifest.get("title") != session.storyboard.title:
        lines.append("assemble: the chapter order or the title changed; the video would be re-assembled")
    elif not (session.out / "video.mp4").is_file():
        lines.append("assemble: the video is missing; it would be assembled")
    else:
        lines.append("nothing to redo: the video is up to date")
    return "\n".join(lines)


__all__ = ["check", "plan_text", "generate", "render", "export", "canonical_json"]
