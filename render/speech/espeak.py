"""espeak-ng (`espeak:NAME`): a small robotic voice that is always there (Debian's espeak-ng)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from render.media.audio import read_wav, resample
from render.speech.base import SAMPLE_RATE, SpeechService, join_sentences
from render.speech.text import split_sentences

ESPEAK_BASE_WPM = 175
INSTALL_ESPEAK = "install it with `sudo apt-get install espeak-ng`"


def _executable() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


@functools.cache
def _voice_names(executable: str) -> frozenset[str]:
    """Every name espeak accepts for `-v`: language codes, voice names and voice files."""
    listing = subprocess.run([executable, "--voices"], capture_output=True, text=True, check=True).stdout
    names: set[str] = set()
    for line in listing.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 5:
            continue
        language, voice_name, voice_file = cols[1], cols[3], cols[4]
        names.update({language, voice_name, voice_file, voice_file.rsplit("/", 1)[-1]})
        names.update(cols[5:])  # other languages, printed as "(en 2)" style pairs
    return frozenset(n.strip("()").lower() for n in names)


class EspeakService(SpeechService):
    """One espeak-ng call per sentence, so sentence_silence means the same as with Piper."""

    def problem(self) -> str | None:
        voice = self.settings.voice
        executable = _executable()
        if executable is None:
            return f"voice {voice!r} needs the espeak-ng program, which is not on PATH: {INSTALL_ESPEAK}"
        base = self.argument.split("+", 1)[0].lower()  # "en-us+m3": voice plus variant
        if base not in _voice_names(executable):
            return f"voice {voice!r}: espeak-ng has no voice {base!r} (`espeak-ng --voices` lists them)"
        return None

    def engine_version(self) -> str:
        out = subprocess.run([_executable(), "--version"], capture_output=True, text=True, check=True).stdout
        return out.split(" Data at:")[0].strip()

    def synthesize(self, text: str) -> np.ndarray:
        rate = str(round(ESPEAK_BASE_WPM * self.settings.speed))
        sentences = []
        with tempfile.TemporaryDirectory(prefix="espeak-") as tmp:
            out = Path(tmp) / "sentence.wav"
            for sentence in split_sentences(text):
                cmd = [_executable(), "-b", "1", "-v", self.argument, "-s", rate, "-w", str(out), "--stdin"]
                subprocess.run(cmd, input=sentence.encode("utf-8"), capture_output=True, check=True)
                pcm, sample_rate = read_wav(out)
                sentences.append(resample(pcm, sample_rate, SAMPLE_RATE))
        return join_sentences(sentences, self.settings.sentence_silence)
