"""The assemble stage: silent chapter clips + narration timelines -> the finished video and its side files.

The chapter clips are concatenated by stream copy (no video re-encode). The narration of all
chapters is built as ONE PCM track, each chapter's audio placed at the real start of its clip
(read back from the file), and encoded to AAC once, so nothing drifts at the joins. Subtitles
and chapter markers come from the same timelines and the same real clip starts.

Outputs in `out_dir`: `video.mp4` (H.264 + AAC, chapter markers, a soft subtitle track,
+faststart), `video.srt`, `video.vtt`, `chapters.txt` and `chapters/NN-id.mp4` (with its own
subtitle track) + `chapters/NN-id.srt`. Every file is written under a temporary name and renamed
into place.

The subtitle track (`mov_text`, English, shown by default) is made from the same cues as the .srt
beside it and muxed in the same ffmpeg call that writes the file: a player shows subtitles with the
video file alone, and nothing is re-encoded for them. `subtitle_track=False` leaves it out.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render.keys import chapter_stem, narrated_clip_path, video_path
from render.media.audio import write_wav
from render.media.ffmpeg import probe, run_ffmpeg
from render.media.files import atomic_path, atomic_write
from render.media.subtitles import Cue, chapter_cues, srt_text, vtt_text
from render.progress import Progress
from render.speech import SAMPLE_RATE, ChapterTimeline, chapter_audio

AUDIO_RATE = 48000
"""Sample rate of the AAC track (the narration is resampled to it once, at the encode)."""

AUDIO_BITRATE = "128k"
AAC = ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE)]
SUBTITLE_LANGUAGE = "eng"  # ISO 639-2, as MP4 stores it: the narration is English


@dataclass(frozen=True)
class ChapterMedia:
    """One rendered chapter: its silent H.264 clip and the narration timeline it was rendered to."""

    id: str
    title: str
    clip: Path
    timeline: ChapterTimeline


@dataclass(frozen=True)
class AssemblyResult:
    """What `assemble` wrote, and where each chapter really starts in `video`."""

    video: Path
    srt: Path
    vtt: Path
    chapters_txt: Path
    chapter_clips: list[Path]
    chapter_subtitles: list[Path]
    chapter_starts: list[float]
    duration: float


@dataclass(frozen=True)
class ClipInfo:
    """The facts of a silent chapter clip that assembly relies on."""

    duration: float
    fps: float
    frames: int
    codec: tuple  # (codec, profile, pixel format, width, height, fps): equal for clips joined by stream copy

    @property
    def width(self) -> int:
        return self.codec[3]


def clip_info(clip: Path) -> ClipInfo:
    """Read a clip's real duration, frame rate and codec settings back from the file."""
    video = probe(clip)["video"]
    if video is None:
        raise ValueError(f"{clip}: no video stream")
    if not video["fps"] or not video["frames"]:
        raise ValueError(f"{clip}: cannot read its frame rate and frame count")
    duration = video["duration"] or video["frames"] / video["fps"]
    codec = (video["codec"], video["profile"], video["pix_fmt"], video["width"], video["height"], video["fps"])
    return ClipInfo(duration=duration, fps=video["fps"], frames=video["frames"], codec=codec)


def fitted_chapter_audio(
    timeline: ChapterTimeline, duration: float, fps: float, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """The chapter's narration PCM padded with silence or trimmed to exactly `duration` seconds.

    Only silence may be trimmed: a clip that ends more than a frame before the last beat does
    was rendered to the wrong timeline, and that is an error.
    """
    pcm = chapter_audio(timeline, sample_rate)
    n = round(duration * sample_rate)
    if timeline.beats:
        speech_end = timeline.beats[-1].start + timeline.beats[-1].duration
        if speech_end > duration + 1 / fps:
            raise ValueError(
                f"clip lasts {duration:.3f}s but its narration runs to {speech_end:.3f}s: "
                f"render the chapter to its timeline ({timeline.total:.3f}s)"
            )
    if pcm.size >= n:
        return pcm[:n]
    return np.concatenate([pcm, np.zeros(n - pcm.size, np.int16)])


def mux_with_audio(
    video: Path,
    wav: Path,
    out: Path,
    *,
    metadata: Path | None = None,
    title: str | None = None,
    subtitles: Path | None = None,
) -> None:
    """Copy `video`'s video stream, encode `wav` to AAC once, +faststart; check that the two streams agree.

    `metadata`: an ffmetadata file whose title and chapter markers the output takes; `title`: the
    output's title; `subtitles`: an .srt muxed as a soft subtitle track (`mov_text`, English, shown by
    default), converted, not re-timed.
    """
    inputs = [["-i", str(video)], ["-i", str(wav)]]
    options = ["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *AAC]
    if subtitles is not None:
        options += ["-map", f"{len(inputs)}:s:0", "-c:s", "mov_text",
                    "-metadata:s:s:0", f"language={SUBTITLE_LANGUAGE}", "-disposition:s:0", "default"]  # fmt: skip
        inputs.append(["-i", str(subtitles)])
    if metadata is not None:
        options += ["-map_metadata", str(len(inputs)), "-map_chapters", str(len(inputs))]
        inputs.append(["-f", "ffmetadata", "-i", str(metadata)])
    if title is not None:
        options += ["-metadata", f"title={title}"]
    run_ffmpeg([*(arg for i in inputs for arg in i), *options, "-movflags", "+faststart", str(out)])
    info = probe(out, count_frames=False)
    v, a = info["video"], info["audio"]
    if abs(v["duration"] - a["duration"]) > 1 / v["fps"] + 1e-6:
        raise RuntimeError(
            f"{out}: audio ({a['duration']:.3f}s) and video ({v['duration']:.3f}s) differ by more than one frame"
        )


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _ffmetadata(title: str, chapters: list[ChapterMedia], starts: list[float], total: float) -> str:
    def escape(value: str) -> str:
        return re.sub(r"([=;#\\\n])", r"\\\1", value)

    lines = [";FFMETADATA1", f"title={escape(title)}"]
    ends = [*starts[1:], total]
    for chapter, start, end in zip(chapters, starts, ends, strict=True):
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(start * 1000)}", f"END={round(end * 1000)}",
                  f"title={escape(chapter.title)}"]  # fmt: skip
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


# ---- the stage -----------------------------------------------------------------------------------


def assemble(chapters: list[ChapterMedia], out_dir: Path, title: str, *, subtitle_track: bool = True) -> AssemblyResult:
    """Join the chapter clips into `out_dir/video.mp4` with one narration track, and write
    the subtitles, the chapter list and one narrated clip per chapter (with progress on stderr).
    `subtitle_track`: the video and the clips carry their subtitles as a soft track too."""
    if not chapters:
        raise ValueError("assemble needs at least one chapter")
    with Progress("assemble", 3 + len(chapters), unit="file") as progress:
        return _assemble(chapters, Path(out_dir), title, progress, subtitle_track)


def _assemble(
    chapters: list[ChapterMedia], out_dir: Path, title: str, progress: Progress, subtitle_track: bool
) -> AssemblyResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    # 1. Read the clips back; stream copy needs identical codec settings.
    infos = _matching_clips(chapters)
    starts = [float(sum(i.duration for i in infos[:k])) for k in range(len(infos))]
    cues = [
        cue
        for chapter, info, start in zip(chapters, infos, starts, strict=True)
        for cue in chapter_cues(chapter.timeline, offset=start, until=info.duration)
    ]
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".assemble-") as tmp_name:
        tmp = Path(tmp_name)
        # 2. Concatenate the video by stream copy, each clip lasting its real duration.
        joined, total = _concatenate(chapters, infos, tmp)
        progress.done("video joined")
        # 3. One narration track for the whole video, each chapter at its clip's real start.
        track = _narration_track(chapters, infos, starts, total)
        write_wav(tmp / "narration.wav", track, SAMPLE_RATE)
        # 4. Mux: video copied, audio encoded once, subtitles, chapter markers, faststart.
        metadata = tmp / "chapters.ffmeta"
        metadata.write_text(_ffmetadata(title, chapters, starts, total), encoding="utf-8")
        subtitles = _subtitle_input(tmp / "video.srt", cues) if subtitle_track else None
        video = video_path(out_dir)
        with atomic_path(video) as part:
            mux_with_audio(joined, tmp / "narration.wav", part, metadata=metadata, subtitles=subtitles)
        progress.done("video.mp4")
        # 5. One narrated clip per chapter, with its own subtitles.
        chapter_files = _chapter_clips(chapters, infos, starts, track, out_dir, tmp, progress, subtitle_track)
    # 6. Subtitles and chapter list of the whole video.
    listing = "".join(f"{_clock(s)} {c.title}\n" for c, s in zip(chapters, starts, strict=True))
    remove_stale(out_dir / "chapters", chapter_files)
    result = AssemblyResult(
        video=video,
        srt=atomic_write(video.with_suffix(".srt"), srt_text(cues)),
        vtt=atomic_write(video.with_suffix(".vtt"), vtt_text(cues)),
        chapters_txt=atomic_write(out_dir / "chapters.txt", listing),
        chapter_clips=chapter_files[::2],
        chapter_subtitles=chapter_files[1::2],
        chapter_starts=starts,
        duration=total,
    )
    progress.done("subtitles and chapter list")
    return result


def _matching_clips(chapters: list[ChapterMedia]) -> list[ClipInfo]:
    infos = [clip_info(c.clip) for c in chapters]
    for chapter, info in zip(chapters, infos, strict=True):
        if info.codec != infos[0].codec:
            raise ValueError(
                f"chapter {chapter.id!r}: clip {chapter.clip} has codec settings {info.codec}, but "
                f"{chapters[0].clip} has {infos[0].codec}; all clips must match to be joined without re-encoding"
            )
    return infos


def _concatenate(chapters: list[ChapterMedia], infos: list[ClipInfo], tmp: Path) -> tuple[Path, float]:
    """The clips joined by stream copy into tmp/joined.mp4, checked; (path, its real duration)."""
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
    frames, total = sum(i.frames for i in infos), sum(i.duration for i in infos)
    if joined_info.frames != frames:
        raise RuntimeError(f"concatenation has {joined_info.frames} frames, the clips {frames}")
    if abs(joined_info.duration - total) > 1 / infos[0].fps:
        raise RuntimeError(f"concatenation lasts {joined_info.duration:.3f}s, the clips {total:.3f}s")
    return joined, joined_info.duration


def _narration_track(chapters: list[ChapterMedia], infos: list[ClipInfo], starts: list[float], total: float):
    track = np.zeros(round(total * SAMPLE_RATE), np.int16)
    for chapter, info, start in zip(chapters, infos, starts, strict=True):
        a, b = round(start * SAMPLE_RATE), min(round((start + info.duration) * SAMPLE_RATE), track.size)
        segment = fitted_chapter_audio(chapter.timeline, info.duration, info.fps)[: b - a]
        track[a : a + segment.size] = segment  # rounding may leave one sample of silence
    return track


def _subtitle_input(path: Path, cues: list[Cue]) -> Path | None:
    """The cues as an .srt for ffmpeg to mux (the same text as the .srt written beside the video);
    None when there is nothing to show (an empty .srt is not a subtitle stream ffmpeg can read)."""
    return atomic_write(path, srt_text(cues)) if cues else None


def _chapter_clips(
    chapters, infos, starts, track: np.ndarray, out_dir: Path, tmp: Path, progress, subtitle_track: bool
) -> list[Path]:
    """chapters/NN-id.mp4 (the clip with its share of the narration track and, with `subtitle_track`,
    its subtitles) and NN-id.srt, for each chapter."""
    written = []
    for k, (chapter, info, start) in enumerate(zip(chapters, infos, starts, strict=True)):
        stem = chapter_stem(k, chapter.id)
        a = round(start * SAMPLE_RATE)
        wav = write_wav(tmp / f"{stem}.wav", track[a : a + round(info.duration * SAMPLE_RATE)], SAMPLE_RATE)
        cues = chapter_cues(chapter.timeline, until=info.duration)
        subtitles = _subtitle_input(tmp / f"{stem}.srt", cues) if subtitle_track else None
        clip = narrated_clip_path(out_dir, k, chapter.id)
        with atomic_path(clip) as part:
            mux_with_audio(chapter.clip, wav, part, title=chapter.title, subtitles=subtitles)
        srt = atomic_write(clip.with_suffix(".srt"), srt_text(cues))
        written += [clip, srt]
        progress.done(f"chapters/{stem}.mp4")
    return written
