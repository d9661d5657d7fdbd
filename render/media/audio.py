"""Mono 16-bit PCM: WAV files and resampling (libswresample, through PyAV)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from render.media.files import atomic_path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a mono 16-bit PCM WAV as (samples, sample rate)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(
                f"{path}: expected mono 16-bit PCM, got {wav.getnchannels()} channels of {8 * wav.getsampwidth()} bits"
            )
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16), wav.getframerate()


def write_wav(path: Path, pcm: np.ndarray, sample_rate: int) -> Path:
    """Write mono int16 PCM as a WAV file, atomically."""
    with atomic_path(Path(path)) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.astype("<i2").tobytes())
    return Path(path)


def wav_frames(path: Path, sample_rate: int) -> int | None:
    """The number of samples of a complete mono 16-bit WAV at `sample_rate`; None if it is not one."""
    try:
        with wave.open(str(path), "rb") as wav:
            ok = wav.getnchannels() == 1 and wav.getsampwidth() == 2 and wav.getframerate() == sample_rate
            frames = wav.getnframes()
        if ok and path.stat().st_size == 44 + 2 * frames:
            return frames
    except (OSError, EOFError, wave.Error):
        pass
    return None


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample mono int16 PCM."""
    if src_rate == dst_rate or samples.size == 0:
        return samples
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=dst_rate)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.reshape(1, -1)), format="s16", layout="mono")
    frame.sample_rate = src_rate
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.int16) if parts else np.zeros(0, np.int16)


def float_to_int16(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16 PCM."""
    return (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype(np.int16)
