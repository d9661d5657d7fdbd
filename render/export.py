"""Slide export: each chapter as files that presentation tools and web pages play.

For chapter NN-id in ``out_dir/slides/``: ``NN-id.mp4`` (H.264 yuv420p + AAC, +faststart: plays
in PowerPoint and Keynote), ``NN-id.webm`` (VP9 + Opus), ``NN-id.gif`` (looping, own palette,
reduced frame rate and width), ``NN-id.png`` (the final frame, used as the poster), one
``NN-id-bK.mp4`` per narration beat (cut where beat K starts), and ``deck.pptx`` with a title
slide and one slide per chapter holding its movie, with the narration as speaker notes.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from render.assemble import (
    AUDIO_BITRATE,
    AUDIO_RATE,
    ChapterMedia,
    chapter_stem,
    clip_info,
    fitted_chapter_audio,
    probe,
    remove_stale,
    run_ffmpeg,
    write_wav,
    writing,
)
from render.narrate import SAMPLE_RATE

GIF_MAX_FPS = 12
GIF_MAX_WIDTH = 480

_H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "high", "-crf", "18", "-preset", "medium"]
_AAC = ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE)]


def _scale_filter(width: int | None, fps: float | None) -> list[str]:
    filters = []
    if fps:
        filters.append(f"fps={fps}")
    if width:
        filters.append(f"scale={width}:-2:flags=lanczos")  # -2: even height, as yuv420p needs
    return ["-vf", ",".join(filters)] if filters else []


def export_slides(
    chapters: list[ChapterMedia],
    out_dir: Path,
    *,
    width: int | None = None,
    fps: float | None = None,
    audio: bool = True,
    deck: bool = True,
    deck_title: str = "How text-to-image diffusion works",
) -> list[Path]:
    """Write ``out_dir/slides/`` for ``chapters`` and return the paths written, in order.

    ``width`` and ``fps`` resize and resample the video (None keeps the clip's own, and the
    H.264 stream is then copied, not re-encoded); ``audio=False`` leaves the narration out.
    """
    if not chapters:
        raise ValueError("export_slides needs at least one chapter")
    if width is not None and width < 16:
        raise ValueError(f"width must be at least 16 pixels, got {width}")
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    slides = Path(out_dir) / "slides"
    slides.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    movies: list[tuple[ChapterMedia, Path, Path]] = []

    with tempfile.TemporaryDirectory(dir=slides, prefix=".export-") as tmp_name:
        tmp = Path(tmp_name)
        for k, chapter in enumerate(chapters):
            stem = chapter_stem(k, chapter)
            info = clip_info(chapter.clip)
            video = probe(chapter.clip, count_frames=False)["video"]
            copy_video = width is None and fps is None and video["codec"] == "h264" and video["pix_fmt"] == "yuv420p"

            # 1. The chapter's narration, fitted to the clip's real length.
            pcm = fitted_chapter_audio(chapter.timeline, info.duration, info.fps) if audio else None
            wav = tmp / f"{stem}.wav"
            audio_in, audio_out = [], ["-an"]
            if pcm is not None:
                write_wav(wav, pcm)
                audio_in, audio_out = ["-i", str(wav)], ["-map", "1:a:0"]

            # 2. MP4 for presentation tools.
            mp4 = slides / f"{stem}.mp4"
            with writing(mp4) as part:
                video_codec = ["-c:v", "copy"] if copy_video else [*_H264, *_scale_filter(width, fps)]
                run_ffmpeg(
                    [
                        "-i",
                        str(chapter.clip),
                        *audio_in,
                        "-map",
                        "0:v:0",
                        *audio_out,
                        *video_codec,
                        *(_AAC if pcm is not None else []),
                        "-movflags",
                        "+faststart",
                        str(part),
                    ]
                )
            # 3. WebM (VP9 + Opus) for web pages.
            webm = slides / f"{stem}.webm"
            with writing(webm) as part:
                opus = ["-c:a", "libopus", "-b:a", "96k", "-ar", "48000"] if pcm is not None else []
                run_ffmpeg(
                    [
                        "-i",
                        str(chapter.clip),
                        *audio_in,
                        "-map",
                        "0:v:0",
                        *audio_out,
                        "-c:v",
                        "libvpx-vp9",
                        "-pix_fmt",
                        "yuv420p",
                        "-crf",
                        "32",
                        "-b:v",
                        "0",
                        "-deadline",
                        "good",
                        "-cpu-used",
                        "5",
                        "-row-mt",
                        "1",
                        *_scale_filter(width, fps),
                        *opus,
                        str(part),
                    ]
                )
            # 4. GIF: a palette computed for this clip, looping forever.
            gif = slides / f"{stem}.gif"
            gif_fps = min(fps or info.fps, GIF_MAX_FPS)
            gif_width = min(width or video["width"], GIF_MAX_WIDTH)
            with writing(gif) as part:
                graph = (
                    f"fps={gif_fps},scale={gif_width}:-1:flags=lanczos,split[a][b];"
                    f"[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5"
                )
                run_ffmpeg(["-i", str(chapter.clip), "-filter_complex", graph, "-loop", "0", str(part)])
            # 5. Poster: the final frame (decode the last second, keep the last picture written).
            png = slides / f"{stem}.png"
            with writing(png) as part:
                run_ffmpeg(
                    [
                        "-sseof",
                        f"-{min(1.0, info.duration):.3f}",
                        "-i",
                        str(chapter.clip),
                        *_scale_filter(width, None),
                        "-update",
                        "1",
                        str(part),
                    ]
                )
            written += [mp4, webm, gif, png]
            movies.append((chapter, mp4, png))

            # 6. One clip per beat, cut where each beat starts (frame-exact, so re-encoded).
            segments = chapter.timeline.segments if chapter.timeline.beats else []
            for b, (start, _) in enumerate(segments, 1):
                first = round(start * info.fps)
                last = info.frames if b == len(segments) else round(segments[b][0] * info.fps)
                if last <= first:
                    continue
                beat_clip = slides / f"{stem}-b{b}.mp4"
                beat_audio_in, beat_audio_out = [], ["-an"]
                if pcm is not None:
                    beat_wav = tmp / f"{stem}-b{b}.wav"
                    write_wav(
                        beat_wav,
                        pcm[round(first / info.fps * SAMPLE_RATE) : round(last / info.fps * SAMPLE_RATE)],
                    )
                    beat_audio_in, beat_audio_out = ["-i", str(beat_wav)], ["-map", "1:a:0", *_AAC]
                with writing(beat_clip) as part:
                    run_ffmpeg(
                        [
                            "-ss",
                            f"{first / info.fps:.6f}",
                            "-t",
                            f"{(last - first) / info.fps:.6f}",
                            "-i",
                            str(chapter.clip),
                            *beat_audio_in,
                            "-map",
                            "0:v:0",
                            *beat_audio_out,
                            *_H264,
                            *_scale_filter(width, fps),
                            "-movflags",
                            "+faststart",
                            str(part),
                        ]
                    )
                written.append(beat_clip)

    # 7. The PowerPoint deck.
    if deck:
        deck_path = slides / "deck.pptx"
        with writing(deck_path) as part:
            _write_deck(movies, deck_title, part)
        written.append(deck_path)
    remove_stale(slides, written)
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
            str(mp4),
            Emu(left),
            Emu(top),
            Emu(w),
            Emu(h),
            poster_frame_image=str(poster),
            mime_type="video/mp4",
        )
        slide.notes_slide.notes_text_frame.text = "\n\n".join(beat.text for beat in chapter.timeline.beats)
    prs.save(str(path))
