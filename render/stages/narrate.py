"""The narrate stage: speak every beat (cached per text and voice) and lay each chapter's beats on a timeline."""

from __future__ import annotations

from render.chapter_data import CHAPTER_JSON
from render.session import Session
from render.speech import ChapterTimeline, plan_chapter_timeline
from render.stages.keyed import keyed
from render.stages.plan import ChapterPlan


def narrate(session: Session, chapters: list[ChapterPlan], fps: int) -> dict[str, ChapterTimeline]:
    """Each chapter's timeline, by chapter id; beats not in the cache are spoken now (with progress)."""
    pause, speech, folder = session.storyboard.narration.pause, session.speech, session.narration_dir
    spoken = {chapter.id: session.spoken_beats(chapter) for chapter in chapters}  # facts filled in
    texts = list(dict.fromkeys(text for chapter in chapters for text in spoken[chapter.id]))
    keyed(
        texts,
        lambda text: speech.wav_path(text, folder),
        lambda todo: ((text, speech.speak(text, folder)) for text in todo),  # the service writes its own WAV
        present=lambda text: speech.cached(text, folder) is not None,
        lock=(session.cache, "narrate"),
        progress=("narrate", "beat"),
        label=lambda text, beat: f"{beat.duration:.1f} s: {text[:40]}",
    )
    timelines = {}
    for chapter in chapters:
        beats = [speech.speak(text, folder) for text in spoken[chapter.id]]  # cached now
        timelines[chapter.id] = plan_chapter_timeline(beats, pause, tail=session.tail(chapter), fps=fps)
    return timelines


def cached_timeline(session: Session, chapter: ChapterPlan, fps: int) -> ChapterTimeline | None:
    """The chapter's timeline if making it needs no work (the chapter is analysed and every beat is
    in the narration cache), else None. Speaks nothing: for looking keys up (`--dry-run`, previews)."""
    if not (session.data_folder(chapter) / CHAPTER_JSON).is_file():
        return None
    beats = [session.speech.cached(text, session.narration_dir) for text in session.spoken_beats(chapter)]
    if not all(beats):
        return None
    return plan_chapter_timeline(beats, session.storyboard.narration.pause, tail=session.tail(chapter), fps=fps)
