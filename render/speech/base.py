"""The speech service base class: speak a beat into the cache, named by what decides its sound.

Shaped like manim-voiceover's `SpeechService` (`manim_voiceover/services/base.py`): the base
class normalises the text, names the cache entry and writes it; each engine subclass says whether
it can speak here (`problem`), what identifies its output (`engine_version`) and how it turns
text into PCM (`synthesize`). The base never imports its subclasses: choosing one for a voice
string belongs one level up (render/speech/services.py), as in manim-voiceover.

Each beat is cached as a mono 16-bit WAV at `SAMPLE_RATE` under `{slug}-{key[:10]}.wav`, and its
duration is always read back from the cached file's header, never from a fresh synthesis.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from render.keys import narration_key, narration_wav
from render.media.audio import wav_frames, write_wav
from render.speech.text import count_words, normalize_text, speakable
from render.storyboard.schema import NarrationConfig

SAMPLE_RATE = 22050
"""The one sample rate of all narration in the project (Piper's medium voices speak at it)."""

WORDS_PER_SECOND = 2.6
"""Speaking rate assumed by the silent voice, and for text with nothing to say."""


class SpokenBeat(BaseModel):
    """One synthesised beat: the text as written, its cached WAV and that file's real duration."""

    model_config = ConfigDict(frozen=True)

    text: str
    wav: Path
    duration: float
    sample_rate: int


class SpeechService(ABC):
    """One speech engine with the storyboard's narration settings."""

    def __init__(self, settings: NarrationConfig, argument: str = ""):
        self.settings = settings
        self.argument = argument  # what follows "engine:" in the voice string

    @abstractmethod
    def problem(self) -> str | None:
        """None if this voice can speak on this machine, else what is missing and how to fix it."""

    @abstractmethod
    def engine_version(self) -> str:
        """What identifies the engine and its voice model (part of every cache key)."""

    @abstractmethod
    def synthesize(self, text: str) -> np.ndarray:
        """Speak normalised, speakable `text` as mono int16 PCM at SAMPLE_RATE."""

    @functools.cached_property
    def _version(self) -> str:
        problem = self.problem()
        if problem:
            raise RuntimeError(problem)
        return self.engine_version()

    def cache_key(self, text: str) -> str:
        """sha256 of everything that changes the spoken audio (render/keys.py `narration_key`)."""
        s = self.settings
        return narration_key(text, s.voice, s.speed, s.sentence_silence, SAMPLE_RATE, self._version)

    def wav_path(self, text: str, cache_dir: Path) -> Path:
        """Where the beat `text` is cached."""
        return narration_wav(cache_dir, text, self.cache_key(text))

    def cached(self, text: str, cache_dir: Path) -> SpokenBeat | None:
        """The cached beat, or None if it has not been spoken (or its file is torn)."""
        path = self.wav_path(text, cache_dir)
        frames = wav_frames(path, SAMPLE_RATE)
        if frames is None:
            return None
        return SpokenBeat(text=text, wav=path, duration=frames / SAMPLE_RATE, sample_rate=SAMPLE_RATE)

    def speak(self, text: str, cache_dir: Path) -> SpokenBeat:
        """Speak one beat into the cache, or reuse the cached file (a missing or torn one is made again)."""
        beat = self.cached(text, cache_dir)
        if beat is not None:
            return beat
        path = self.wav_path(text, cache_dir)
        normal = normalize_text(text)
        pcm = self.synthesize(normal) if speakable(normal) else silence_for(normal, self.settings.speed)
        write_wav(path, pcm, SAMPLE_RATE)
        beat = self.cached(text, cache_dir)
        if beat is None:
            raise RuntimeError(f"{path}: cached narration is not a valid mono 16-bit WAV at {SAMPLE_RATE} Hz")
        return beat


def silence_for(text: str, speed: float) -> np.ndarray:
    """Silence as long as `text` would take to say at WORDS_PER_SECOND (at least half a second)."""
    seconds = max(0.5, count_words(text) / (WORDS_PER_SECOND * speed))
    return np.zeros(round(seconds * SAMPLE_RATE), np.int16)


def join_sentences(sentences: list[np.ndarray], silence_s: float) -> np.ndarray:
    """Sentences' PCM end to end with `silence_s` seconds between them."""
    gap = np.zeros(round(silence_s * SAMPLE_RATE), np.int16)
    parts: list[np.ndarray] = []
    for i, pcm in enumerate(sentences):
        if i:
            parts.append(gap)
        parts.append(pcm)
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)
