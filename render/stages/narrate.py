"""The narrate stage: speak every beat (cached per text and voice) and lay each chapter's beats on a timeline."""

from __future__ import annotations

from render.session import Session
from render.speech import ChapterTimeline, plan_chapter_timeline
from render.stages.plan import ChapterPlan


def narrate(session: Session, chapters: list[ChapterPlan], fps: int) -> dict[str, ChapterTimeline]:
    """Each chapter's timeline, by chapter id; beats not in the cache are spoken now."""
    pause = session.storyboard.narration.pause
    timelines = {}
    for chapter in chapters:
        beats = [session.speech.speak(text, session.narration_dir) for text in chapter.chapter.narration]
        timelines[chapter.id] = plan_chapter_timeline(beats, pause, fps=fps)
    return timelines
