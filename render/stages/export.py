"""The export stage: each chapter as files that presentation tools and web pages play.

For chapter NN-id in `out_dir/slides/`: `NN-id.mp4` (H.264 yuv420p + AAC, +faststart: plays
in PowerPoint and Keynote), `NN-id.webm` (VP9 + Opus), `NN-id.gif` (looping, own palette,
reduced frame rate and width), `NN-id.png` (the final frame, used as the poster), one
`NN-id-bK.mp4` per narration beat (cut where beat K starts), and `deck.pptx` with a title
slide and one slide per chapter holding its movie, with the narration as speaker notes.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render.executors import Executor, LocalExecutor
from render.media.audio import write_wav
from render.media.ffmpeg import probe, run_ffmpeg
from render.media.files import atomic_path
from render.speech import SAMPLE_RATE
from render.stages.assemble import (
    AAC,
    ChapterMedia,
    ClipInfo,
    chapter_stem,
    clip_info,
    fitted_chapter_audio,
    remove_stale,
)

GIF_MAX_FPS = 12
GIF_MAX_WIDTH = 480

H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "high", "-crf", "18", "-preset", "medium"]
VP9 = ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-crf", "32", "-b:v", "0", "-deadline", "good",
       "-cpu-used", "5", "-row-mt", "1"]  # fmt: skip
OPUS = ["-c:a", "libopus", "-b:a", "96k", "-ar", "48000"]


@dataclass(frozen=True)
class ExportSettings:
    """How slide clips are made: `width` and `fps` resize and resample (None keeps the clip's own)."""

    width: int | None = None
    fps: float | None = None
    audio: bool = True

    def scale_filter(self, fps: float | None = None) -> list[str]:
        filters = [f"fps={fps}"] if fps else []
        if self.width:
            filters.append(f"scale={self.width}:-2:flags=lanczos")  # -2: even height, as yuv420p needs
        return ["-vf", ",".join(filters)] if filters else []


@dataclass(frozen=True)
class PreparedChapter:
    """One chapter being exported: its media, clip facts, stem and narration (a WAV, or None)."""

    media: ChapterMedia
    info: ClipInfo
    stem: str
    pcm: np.ndarray | None
    wav: Path | None

    def audio_in(self) -> list[str]:
        return ["-i", str(self.wav)] if self.wav else []

    def audio_map(self) -> list[str]:
        return ["-map", "1:a:0"] if self.wav else ["-an"]


def export_slides(
    chapters: list[ChapterMedia],
    out_dir: Path,
    *,
    width: int | None = None,
    fps: float | None = None,
    audio: bool = True,
    deck: bool = True,
    deck_title: str = "How text-to-image diffusion works",
    executor: Executor | None = None,
) -> list[Path]:
    """Write `out_dir/slides/` for `chapters` and return the paths written, in order.

    `width` and `fps` resize and resample the video (None keeps the clip's own, and the H.264
    stream is then copied, not re-encoded); `audio=False` leaves the narration out. The encodes run
    chapter after chapter here, or one task per chapter on another `executor`'s cluster.
    """
    if not chapters:
        raise ValueError("export_slides needs at least one chapter")
    if width is not None and width < 16:
        raise ValueError(f"width must be at least 16 pixels, got {width}")
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    settings = ExportSettings(width, fps, audio)
    slides = Path(out_dir) / "slides"
    slides.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=slides, prefix=".export-") as tmp_name:
        prepared = [prepare_chapter(k, media, settings, Path(tmp_name)) for k, media in enumerate(chapters)]
        files: dict[int, list[Path]] = {}
        results = (executor or LocalExecutor()).export_chapters(prepared, slides, settings, Path(tmp_name))
        try:
            for index, paths in results:
                files[index] = paths
        finally:
            results.close()  # on Ctrl-C or a failed encode, the other chapters' encodes stop now
    written = [path for k in range(len(prepared)) for path in files[k]]
    movies = [(c.media, slides / f"{c.stem}.mp4", slides / f"{c.stem}.png") for c in prepared]
    if deck:
        with atomic_path(slides / "deck.pptx") as part:
            _write_deck(movies, deck_title, part)
        written.append(slides / "deck.pptx")
    remove_stale(slides, written)
    return written


def prepare_chapter(k: int, media: ChapterMedia, settings: ExportSettings, tmp: Path) -> PreparedChapter:
    """The chapter's clip facts and its narration fitted to the clip's real length (written as a WAV)."""
    info = clip_info(media.clip)
    stem = chapter_stem(k, media)
    pcm = fitted_chapter_audio(media.timeline, info.duration, info.fps) if settings.audio else None
    wav = write_wav(tmp / f"{stem}.wav", pcm, SAMPLE_RATE) if pcm is not None else None
    return PreparedChapter(media, info, stem, pcm, wav)


def export_chapter(chapter: PreparedChapter, slides: Path, settings: ExportSettings, tmp: Path) -> list[Path]:
    """Write one chapter's slide files into `slides`: MP4, WebM, GIF, poster PNG, then one MP4 per beat."""
    mp4, webm = _mp4(chapter, slides, settings), _webm(chapter, slides, settings)
    gif, png = _gif(chapter, slides, settings), _poster(chapter, slides, settings)
    return [mp4, webm, gif, png, *_beat_clips(chapter, slides, settings, tmp)]


def _mp4(chapter: PreparedChapter, slides: Path, settings: ExportSettings) -> Path:
    """MP4 for presentation tools: the H.264 stream copied when nothing is resized."""
    video = probe(chapter.media.clip, count_frames=False)["video"]
    resized = settings.width is not None or settings.fps is not None
    copy = not resized and video["codec"] == "h264" and video["pix_fmt"] == "yuv420p"
    codec = ["-c:v", "copy"] if copy else [*H264, *settings.scale_filter(settings.fps)]
    path = slides / f"{chapter.stem}.mp4"
    with atomic_path(path) as part:
        run_ffmpeg(["-i", str(chapter.media.clip), *chapter.audio_in(), "-map", "0:v:0", *chapter.audio_map(),
                    *codec, *(AAC if chapter.wav else []), "-movflags", "+faststart", str(part)])  # fmt: skip
    return path


def _webm(chapter: PreparedChapter, slides: Path, settings: ExportSettings) -> Path:
    """WebM (VP9 + Opus) for web pages."""
    path = slides / f"{chapter.stem}.webm"
    with atomic_path(path) as part:
        run_ffmpeg(["-i", str(chapter.media.clip), *chapter.audio_in(), "-map", "0:v:0", *chapter.audio_map(),
                    *VP9, *settings.scale_filter(settings.fps), *(OPUS if chapter.wav else []), str(part)])  # fmt: skip
    return path


def _gif(chapter: PreparedChapter, slides: Path, settings: ExportSettings) -> Path:
    """GIF: a palette computed for this clip, looping forever, at a reduced frame rate and width."""
    gif_fps = min(settings.fps or chapter.info.fps, GIF_MAX_FPS)
    gif_width = min(settings.width or chapter.info.width, GIF_MAX_WIDTH)
    graph = (
        f"fps={gif_fps},scale={gif_width}:-1:flags=lanczos,split[a][b];"
        f"[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5"
    )
    path = slides / f"{chapter.stem}.gif"
    with atomic_path(path) as part:
        run_ffmpeg(["-i", str(chapter.media.clip), "-filter_complex", graph, "-loop", "0", str(part)])
    return path


def _poster(chapter: PreparedChapter, slides: Path, settings: ExportSettings) -> Path:
    """Poster: the final frame (decode the last second, keep the last picture written)."""
    path = slides / f"{chapter.stem}.png"
    with atomic_path(path) as part:
        run_ffmpeg(["-sseof", f"-{min(1.0, chapter.info.duration):.3f}", "-i", str(chapter.media.clip),
                    *settings.scale_filter(), "-update", "1", str(part)])  # fmt: skip
    return path


def _beat_clips(chapter: PreparedChapter, slides: Path, settings: ExportSettings, tmp: Path) -> list[Path]:
    """One clip per beat, cut where each beat starts (frame-exact, so re-encoded)."""
    info, timeline = chapter.info, chapter.media.timeline
    segments = timeline.segments if timeline.beats else []
    written = []
    for b, (start, _) in enumerate(segments, 1):
        first = round(start * info.fps)
        last = info.frames if b == len(segments) else round(segments[b][0] * info.fps)
        if last <= first:
            continue
        audio_in, audio_out = [], ["-an"]
        if chapter.pcm is not None:
            pcm = chapter.pcm[round(first / info.fps * SAMPLE_RATE) : round(last / info.fps * SAMPLE_RATE)]
            audio_in = ["-i", str(write_wav(tmp / f"{chapter.stem}-b{b}.wav", pcm, SAMPLE_RATE))]
            audio_out = ["-map", "1:a:0", *AAC]
        path = slides / f"{chapter.stem}-b{b}.mp4"
        with atomic_path(path) as part:
            run_ffmpeg(["-ss", f"{first / info.fps:.6f}", "-t", f"{(last - first) / info.fps:.6f}",
                        "-i", str(chapter.media.clip), *audio_in, "-map", "0:v:0", *audio_out, *H264,
                        *settings.scale_filter(settings.fps), "-movflags", "+faststart", str(part)])  # fmt: skip
        written.append(path)
    return written


def _write_deck(movies: list[tuple[ChapterMedia, Path, Path]], title: str, path: Path) -> None:
    """A 16:9 deck: a title slide, then per chapter its title, its movie and the narration as notes."""
    from pptx import Presentation
    from pptx.util import Emu, Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    cover = prs.slides.add_slide(prs.slide_layouts[0])
    cover.shapes.title.text = title
    cover.placeholders[1].text = f"{len(movies)} chapters"

    margin, title_height = Inches(0.4), Inches(1.1)
    for chapter, mp4, poster in movies:
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
        slide.shapes.title.text = chapter.title
        video = probe(mp4, count_frames=False)["video"]
        box_w, box_h = prs.slide_width - 2 * margin, prs.slide_height - title_height - 2 * margin
        scale = min(box_w / video["width"], box_h / video["height"])
        w, h = math.floor(video["width"] * scale), math.floor(video["height"] * scale)
        left, top = (prs.slide_width - w) // 2, title_height + margin + (box_h - h) // 2
        slide.shapes.add_movie(
            str(mp4), Emu(left), Emu(top), Emu(w), Emu(h), poster_frame_image=str(poster), mime_type="video/mp4"
        )
        slide.notes_slide.notes_text_frame.text = "\n\n".join(beat.text for beat in chapter.timeline.beats)
    prs.save(str(path))
