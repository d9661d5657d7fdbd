"""Assembly: silent chapter clips + narration timelines -> the finished video and its side files.

The chapter clips are concatenated by stream copy (no video re-encode). The narration of all
chapters is built as ONE PCM track, each chapter's audio placed at the real start of its clip
(read back from the file), and encoded to AAC once, so nothing drifts at the joins. Subtitles
and chapter markers come from the same timelines and the same real clip starts.

Outputs in ``out_dir``: ``video.mp4`` (H.264 + AAC, chapter markers, +faststart), ``video.srt``,
``video.vtt``, ``chapters.txt`` and ``chapters/NN-id.mp4`` + ``chapters/NN-id.srt``. Every
file is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from render.narrate import SAMPLE_RATE, ChapterTimeline, chapter_audio

AUDIO_RATE = 48000
"""Sample rate of the AAC track (the narration is resampled to it once, at the encode)."""

AUDIO_BITRATE = "128k"
MAX_CUE_CHARS = 84
"""A longer beat is shown as several cues, split at sentence ends (two lines of 42 characters)."""


@dataclass(frozen=True)
class ChapterMedia:
    """One rendered chapter: its silent H.264 clip and the narration timeline it was rendered to."""

    id: str
    title: str
    clip: Path
    timeline: ChapterTimeline


@dataclass(frozen=True)
class Cue:
    """One subtitle: seconds from the start of the video (or chapter) and the words shown."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class AssemblyResult:
    """What ``assemble`` wrote, and where each chapter really starts in ``video``."""

    video: Path
    srt: Path
    vtt: Path
    chapters_txt: Path
    chapter_clips: list[Path]
    chapter_subtitles: list[Path]
    chapter_starts: list[float]
    duration: float


# ---------------------------------------------------------------------------------------------
# ffmpeg / ffprobe


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not on PATH: install it with `sudo apt-get install ffmpeg`")
    return path


def run_ffmpeg(args: list[str]) -> None:
    """Run ffmpeg with ``args`` (an argument list, never a shell); raise with its message on failure."""
    cmd = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")


def _rate(value: str | None) -> float | None:
    if not value or value in ("0/0", "N/A"):
        return None
    return float(Fraction(value))


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def probe(path: Path, *, count_frames: bool = True) -> dict:
    """Read a media file back with ffprobe.

    Returns ``{"duration", "streams", "video", "audio", "chapters", "tags"}``: each stream as
    ``{"index", "type", "codec", "profile", "pix_fmt", "width", "height", "fps", "sample_rate",
    "channels", "start", "duration", "frames"}`` (``frames`` counted from the packets when
    ``count_frames``), ``video``/``audio`` the first stream of that type (or None) and each
    chapter as ``{"start", "end", "title"}``.
    """
    cmd = [_tool("ffprobe"), "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json"]
    if count_frames:
        cmd.append("-count_packets")
    proc = subprocess.run([*cmd, str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffprobe could not read {path}: {proc.stderr.strip()}")
    raw = json.loads(proc.stdout)
    streams = []
    for s in raw.get("streams", []):
        frames = s.get("nb_read_packets") or s.get("nb_frames")
        streams.append(
            {
                "index": s["index"],
                "type": s.get("codec_type"),
                "codec": s.get("codec_name"),
                "profile": s.get("profile"),
                "pix_fmt": s.get("pix_fmt"),
                "width": s.get("width"),
                "height": s.get("height"),
                "fps": _rate(s.get("r_frame_rate")) or _rate(s.get("avg_frame_rate")),
                "sample_rate": int(s["sample_rate"]) if "sample_rate" in s else None,
                "channels": s.get("channels"),
                "start": _float(s.get("start_time")),
                "duration": _float(s.get("duration")),
                "frames": int(frames) if frames else None,
                "tags": s.get("tags", {}),
            }
        )
    chapters = [
        {
            "start": float(c["start_time"]),
            "end": float(c["end_time"]),
            "title": c.get("tags", {}).get("title", ""),
        }
        for c in raw.get("chapters", [])
    ]
    fmt = raw.get("format", {})
    return {
        "duration": _float(fmt.get("duration")),
        "streams": streams,
        "video": next((s for s in streams if s["type"] == "video"), None),
        "audio": next((s for s in streams if s["type"] == "audio"), None),
        "chapters": chapters,
        "tags": fmt.get("tags", {}),
    }


@contextlib.contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Yield a temporary name next to ``path`` (same suffix) and rename it into place on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_wav(path: Path, pcm: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write mono int16 PCM as a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.astype("<i2").tobytes())


# ---------------------------------------------------------------------------------------------
# Clips and audio


@dataclass(frozen=True)
class ClipInfo:
    """The facts of a silent chapter clip that assembly relies on."""

    duration: float
    fps: float
    frames: int
    codec: tuple


def clip_info(clip: Path) -> ClipInfo:
    """Read a clip's real duration, frame rate and codec settings back from the file."""
    info = probe(clip)
    video = info["video"]
    if video is None:
        raise ValueError(f"{clip}: no video stream")
    if not video["fps"] or not video["frames"]:
        raise ValueError(f"{clip}: cannot read its frame rate and frame count")
    duration = video["duration"] or video["frames"] / video["fps"]
    codec = (
        video["codec"],
        video["profile"],
        video["pix_fmt"],
        video["width"],
        video["height"],
        video["fps"],
    )
    return ClipInfo(duration=duration, fps=video["fps"], frames=video["frames"], codec=codec)


def fitted_chapter_audio(
    timeline: ChapterTimeline, duration: float, fps: float, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """The chapter's narration PCM padded with silence or trimmed to exactly ``duration`` seconds.

    Only silence may be trimmed: a clip that ends more than a frame before the last beat does
    was rendered to the wrong timeline, and that is an error.
    """
    pcm = chapter_audio(timeline, sample_rate)
    n = round(duration * sample_rate)
    if timeline.beats:
        speech_end = timeline.starts[-1] + timeline.beats[-1].duration_s
        if speech_end > duration + 1 / fps:
            raise ValueError(
                f"clip lasts {duration:.3f}s but its narration runs to {speech_end:.3f}s: "
                f"render the chapter to its timeline ({timeline.total:.3f}s)"
            )
    if pcm.size >= n:
        return pcm[:n]
    return np.concatenate([pcm, np.zeros(n - pcm.size, np.int16)])


def _mux_with_audio(video: Path, wav: Path, out: Path, extra: list[str] | None = None) -> None:
    """Copy ``video``'s video stream, encode ``wav`` to AAC once, +faststart."""
    run_ffmpeg(
        [
            "-i",
            str(video),
            "-i",
            str(wav),
            *(extra or []),
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            "-b:a",
            AUDIO_BITRATE,
            "-ar",
            str(AUDIO_RATE),
            "-movflags",
            "+faststart",
            str(out),
        ]
    )


def _check_av_gap(path: Path) -> None:
    info = probe(path, count_frames=False)
    video, audio = info["video"], info["audio"]
    gap = abs(video["duration"] - audio["duration"])
    if gap > 1 / video["fps"] + 1e-6:
        raise RuntimeError(
            f"{path}: audio ({audio['duration']:.3f}s) and video ({video['duration']:.3f}s) "
            f"differ by more than one frame"
        )


# ---------------------------------------------------------------------------------------------
# Text side files


def _split_beat(text: str, start: float, end: float) -> list[Cue]:
    """One cue for a short beat; a long one split at sentence ends, timed by character share."""
    text = " ".join(text.split())
    if len(text) <= MAX_CUE_CHARS:
        return [Cue(start, end, text)]
    groups: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if groups and len(groups[-1]) + 1 + len(sentence) <= MAX_CUE_CHARS:
            groups[-1] += " " + sentence
        else:
            groups.append(sentence)
    total_chars = sum(len(g) for g in groups)
    cues, t, chars = [], start, 0
    for i, group in enumerate(groups):
        chars += len(group)
        t_end = end if i == len(groups) - 1 else start + (end - start) * chars / total_chars
        cues.append(Cue(t, t_end, group))
        t = t_end
    return cues


def chapter_cues(timeline: ChapterTimeline, offset: float = 0.0, until: float | None = None) -> list[Cue]:
    """Subtitle cues of a chapter: the beats' real audio spans, shifted by ``offset``."""
    cues: list[Cue] = []
    for beat, start in zip(timeline.beats, timeline.starts, strict=True):
        end = start + beat.duration_s
        if until is not None:
            end = min(end, until)
        if end > start:
            cues.extend(_split_beat(beat.text, offset + start, offset + end))
    return cues


def _wrap(text: str, width: int = 42) -> str:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _timestamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_text(cues: list[Cue]) -> str:
    """SubRip text of ``cues``, lines wrapped at 42 characters."""
    blocks = [
        f"{i}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n{_wrap(c.text.replace('-->', '->'))}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def vtt_text(cues: list[Cue]) -> str:
    """WebVTT text of ``cues`` (``&``, ``<``, ``>`` escaped, as the format requires)."""

    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = [f"{_timestamp(c.start, '.')} --> {_timestamp(c.end, '.')}\n{_wrap(escape(c.text))}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _ffmetadata(title: str, chapters: list[ChapterMedia], starts: list[float], total: float) -> str:
    def escape(value: str) -> str:
        return re.sub(r"([=;#\\\n])", r"\\\1", value)

    lines = [";FFMETADATA1", f"title={escape(title)}"]
    ends = [*starts[1:], total]
    for chapter, start, end in zip(chapters, starts, ends, strict=True):
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(start * 1000)}",
            f"END={round(end * 1000)}",
            f"title={escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def _concat_quote(path: Path) -> str:
    """Quote a path for an ffconcat list (a quote inside is closed, escaped, reopened)."""
    return "'" + str(path).replace("'", "'\\''") + "'"


def remove_stale(folder: Path, keep: list[Path]) -> None:
    """Delete the numbered outputs (`NN-*`) in `folder` that this run did not write (an earlier order's)."""
    kept = {Path(p).resolve() for p in keep}
    for path in Path(folder).glob("[0-9][0-9]-*"):
        if path.is_file() and path.resolve() not in kept:
            path.unlink()


def chapter_stem(index: int, chapter: ChapterMedia) -> str:
    """``NN-id``, numbered from 01."""
    return f"{index + 1:02d}-{chapter.id}"


# ---------------------------------------------------------------------------------------------


def assemble(chapters: list[ChapterMedia], out_dir: Path, title: str) -> AssemblyResult:
    """Join the chapter clips into ``out_dir/video.mp4`` with one narration track, and write
    the subtitles, the chapter list and one narrated clip per chapter."""
    if not chapters:
        raise ValueError("assemble needs at least one chapter")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # 1. Read the clips back; stream copy needs identical codec settings.
    infos = [clip_info(c.clip) for c in chapters]
    for chapter, info in zip(chapters, infos, strict=True):
        if info.codec != infos[0].codec:
            raise ValueError(
                f"chapter {chapter.id!r}: clip {chapter.clip} has codec settings {info.codec}, but "
                f"{chapters[0].clip} has {infos[0].codec}; "
                "all clips must match to be joined without re-encoding"
            )
    fps = infos[0].fps
    starts = [float(sum(i.duration for i in infos[:k])) for k in range(len(infos))]
    total = sum(i.duration for i in infos)

    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".assemble-") as tmp_name:
        tmp = Path(tmp_name)

        # 2. Concatenate the video by stream copy, each clip lasting its real duration.
        concat_list = tmp / "concat.txt"
        concat_list.write_text(
            "ffconcat version 1.0\n"
            + "".join(
                f"file {_concat_quote(c.clip.resolve())}\nduration {i.duration:.6f}\n"
                for c, i in zip(chapters, infos, strict=True)
            )
        )
        joined = tmp / "joined.mp4"
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(concat_list), "-map", "0:v:0", "-c", "copy", str(joined)])
        joined_info = clip_info(joined)
        if joined_info.frames != sum(i.frames for i in infos):
            raise RuntimeError(
                f"concatenation has {joined_info.frames} frames, the clips {sum(i.frames for i in infos)}"
            )
        if abs(joined_info.duration - total) > 1 / fps:
            raise RuntimeError(f"concatenation lasts {joined_info.duration:.3f}s, the clips {total:.3f}s")
        total = joined_info.duration

        # 3. One narration track for the whole video, each chapter at its clip's real start.
        track = np.zeros(round(total * SAMPLE_RATE), np.int16)
        for chapter, info, start in zip(chapters, infos, starts, strict=True):
            a, b = round(start * SAMPLE_RATE), min(round((start + info.duration) * SAMPLE_RATE), track.size)
            segment = fitted_chapter_audio(chapter.timeline, info.duration, info.fps)[: b - a]
            track[a : a + segment.size] = segment  # rounding may leave one sample of silence
        narration = tmp / "narration.wav"
        write_wav(narration, track)

        # 4. Mux: video copied, audio encoded once, chapter markers, faststart.
        metadata = tmp / "chapters.ffmeta"
        metadata.write_text(_ffmetadata(title, chapters, starts, total), encoding="utf-8")
        video = out_dir / "video.mp4"
        with writing(video) as part:
            _mux_with_audio(
                joined,
                narration,
                part,
                ["-f", "ffmetadata", "-i", str(metadata), "-map_metadata", "2", "-map_chapters", "2"],
            )
            _check_av_gap(part)

        # 5. One narrated clip per chapter, with its own subtitles.
        chapter_clips, chapter_subtitles = [], []
        for k, (chapter, info, start) in enumerate(zip(chapters, infos, starts, strict=True)):
            stem = chapter_stem(k, chapter)
            a = round(start * SAMPLE_RATE)
            wav = tmp / f"{stem}.wav"
            write_wav(wav, track[a : a + round(info.duration * SAMPLE_RATE)])
            clip_out = out_dir / "chapters" / f"{stem}.mp4"
            with writing(clip_out) as part:
                _mux_with_audio(chapter.clip, wav, part, ["-metadata", f"title={chapter.title}"])
                _check_av_gap(part)
            srt = out_dir / "chapters" / f"{stem}.srt"
            with writing(srt) as part:
                part.write_text(srt_text(chapter_cues(chapter.timeline, until=info.duration)), encoding="utf-8")
            chapter_clips.append(clip_out)
            chapter_subtitles.append(srt)

    # 6. Subtitles and chapter list of the whole video.
    cues = [
        cue
        for chapter, info, start in zip(chapters, infos, starts, strict=True)
        for cue in chapter_cues(chapter.timeline, offset=start, until=info.duration)
    ]
    outputs = {
        "video.srt": srt_text(cues),
        "video.vtt": vtt_text(cues),
        "chapters.txt": "".join(f"{_clock(s)} {c.title}\n" for c, s in zip(chapters, starts, strict=True)),
    }
    for name, text in outputs.items():
        with writing(out_dir / name) as part:
            part.write_text(text, encoding="utf-8")
    remove_stale(out_dir / "chapters", chapter_clips + chapter_subtitles)

    return AssemblyResult(
        video=out_dir / "video.mp4",
        srt=out_dir / "video.srt",
        vtt=out_dir / "video.vtt",
        chapters_txt=out_dir / "chapters.txt",
        chapter_clips=chapter_clips,
        chapter_subtitles=chapter_subtitles,
        chapter_starts=starts,
        duration=total,
    )
