"""The `none` voice: silence as long as the words would take to say."""

from __future__ import annotations

import numpy as np

from render.speech.base import WORDS_PER_SECOND, SpeechService, silence_for


class SilentService(SpeechService):
    """No speech engine at all: timelines and subtitles still work, the video is silent."""

    def problem(self) -> str | None:
        return None

    def engine_version(self) -> str:
        return f"none wps={WORDS_PER_SECOND}"

    def synthesize(self, text: str) -> np.ndarray:
        return silence_for(text, self.settings.speed)
