"""Narration: text to cached WAV beats (one `SpeechService` per engine), and beats to a chapter timeline."""

from render.speech.base import SAMPLE_RATE, SpeechService, SpokenBeat
from render.speech.services import speech_service, voice_problem
from render.speech.timeline import ChapterTimeline, TimedBeat, chapter_audio, plan_chapter_timeline

__all__ = [
    "SAMPLE_RATE",
    "ChapterTimeline",
    "SpeechService",
    "SpokenBeat",
    "TimedBeat",
    "chapter_audio",
    "plan_chapter_timeline",
    "speech_service",
    "voice_problem",
]
