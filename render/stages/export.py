"""The export stage: each chapter as files that presentation tools and web pages play.

For chapter NN-id in `out_dir/slides/`: `NN-id.mp4` (H.264 yuv420p + AAC, +faststart: plays
in PowerPoint and Keynote), `NN-id.webm` (VP9 + Opus), `NN-id.gif` (looping, own palette,
reduced frame rate and width), `NN-id.png` (the final frame, used as the poster), one
`NN-id-bK.mp4` per narration beat (cut where beat K starts), and `deck.pptx` (16:9) with a title
slide and one slide per chapter holding its movie (playing when the slide shows) above a small
caption, with the narration as speaker notes.

Speed: each chapter's files are one task (`export_chapter_task`: its clip's bytes in, its files'
bytes out), run as many at a time as there are cores, the longest clip first, or as one cluster
task per chapter (render/executors/). A beat clip whose cut points are keyframes of the chapter
clip (Manim starts each animation on one, and scenes start each beat with one) is cut by stream
copy; only the others are re-encoded. VP9 uses libvpx's realtime mode (about 8x faster than `good`
here, files about a third larger).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from render.executors import Executor, LocalExecutor
from render.keys import chapter_stem, slides_dir
from render.media.audio import write_wav
from render.media.ffmpeg import keyframe_times, probe, run_ffmpeg
from render.media.files import atomic_path, atomic_write
from render.progress import Progress, available_cores
from render.speech import SAMPLE_RATE
from render.stages.assemble import (
    AAC,
    ChapterMedia,
    ClipInfo,
    clip_info,
    fitted_chapter_audio,
    mux_with_audio,
    remove_stale,
)
from render.words import plural

GIF_MAX_FPS = 12
GIF_MAX_WIDTH = 480

H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "high", "-crf", "18", "-preset", "medium"]
VP9 = ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-crf", "32", "-b:v", "0", "-deadline", "realtime",
       "-cpu-used", "8", "-row-mt", "1", "-tile-columns", "2"]  # fmt: skip
OPUS = ["-c:a", "libopus", "-b:a", "96k", "-ar", "48000"]

# The deck's layout, in EMU (914,400 an inch): 13.333 x 7.5 in slides, exactly 16:9.
EMU_PER_INCH = 914_400
SLIDE_WIDTH, SLIDE_HEIGHT = 12_192_000, 6_858_000
DECK_MARGIN = EMU_PER_INCH // 4  # around a chapter's movie and its caption
CAPTION_HEIGHT = EMU_PER_INCH * 9 // 20  # the band under the movie holding its caption
CAPTION_PT = 16  # the caption's font size; the cover's title and subtitle are larger
COVER_INSET = EMU_PER_INCH * 3 // 4


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
    """One chapter being exported: its media, clip facts, stem and narration (PCM, and the WAV written from it
    where the chapter is exported; None without narration)."""

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
    jobs: int | None = None,
) -> list[Path]:
    """Write `out_dir/slides/` for `chapters` and return the paths written, in order.

    `width` and `fps` resize and resample the video (None keeps the clip's own, and the H.264
    stream is then copied, not re-encoded); `audio=False` leaves the narration out. Each chapter's
    files are one task (`export_chapter_task`), run by `executor`: here, `jobs` at a time (default:
    the cores available), the longest clip first; or one task per chapter on a cluster. Each
    chapter's files are reported as they land.
    """
    if not chapters:
        raise ValueError("export_slides needs at least one chapter")
    if width is not None and width < 16:
        raise ValueError(f"width must be at least 16 pixels, got {width}")
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    settings = ExportSettings(width, fps, audio)
    slides = slides_dir(out_dir)
    slides.mkdir(parents=True, exist_ok=True)
    prepared = [prepare_chapter(k, media, settings) for k, media in enumerate(chapters)]
    written = [path for chapter in prepared for path in chapter_paths(chapter, slides)]  # no ffprobe here
    order = sorted(prepared, key=lambda c: -c.info.frames)  # the longest first: no long encode starts last, alone
    inputs = (ExportJob(chapter, chapter.media.clip.read_bytes(), settings) for chapter in order)
    with Progress("export", len(written) + deck, unit="file") as progress:
        executor = executor or LocalExecutor()
        results = executor.map(export_chapter_task, inputs, jobs=jobs or available_cores(), scratch=slides)
        try:
            for _, files in results:
                paths = [atomic_write(slides / name, data) for name, data in files.items()]
                progress.done(paths[-1].name if len(paths) == 1 else f"{paths[0].name} .. {paths[-1].name}", len(paths))
        finally:
            results.close()  # on Ctrl-C or a failed encode, the other encodes stop now
        if deck:
            movies = [(c.media, slides / f"{c.stem}.mp4", slides / f"{c.stem}.png") for c in prepared]
            with atomic_path(slides / "deck.pptx") as part:
                _write_deck(movies, deck_title, part)
            written.append(slides / "deck.pptx")
            progress.done("deck.pptx")
    remove_stale(slides, written)
    return written


# ---- the work sent out: one chapter's slide files ---------------------------------------------------


@dataclass(frozen=True)
class ExportJob:
    """One chapter's export as it travels to where it runs: the chapter (its clip facts and narration),
    its clip's bytes and the settings."""

    chapter: PreparedChapter
    clip: bytes
    settings: ExportSettings


def export_chapter_task(job: ExportJob, scratch: Path | None = None) -> dict[str, bytes]:
    """One chapter's slide files, made from its job's bytes in a temporary folder under `scratch` (else the
    system's): each file's name and bytes, in `chapter_paths` order."""
    with tempfile.TemporaryDirectory(prefix=f".export-{job.chapter.stem}-", dir=scratch) as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "clip.mp4"
        clip.write_bytes(job.clip)
        (tmp / "slides").mkdir()
        pcm = job.chapter.pcm
        wav = write_wav(tmp / f"{job.chapter.stem}.wav", pcm, SAMPLE_RATE) if pcm is not None else None
        here = replace(job.chapter, media=replace(job.chapter.media, clip=clip), wav=wav)
        return {path.name: path.read_bytes() for path in export_chapter(here, tmp / "slides", job.settings, tmp)}


def export_chapter(chapter: PreparedChapter, slides: Path, settings: ExportSettings, tmp: Path) -> list[Path]:
    """Write one chapter's slide files into `slides`, one run after another: MP4, WebM, GIF, poster PNG
    (one ffmpeg run), then one MP4 per beat. Returns their paths, in `chapter_paths` order."""
    tasks = _tasks(chapter, slides, settings, tmp)
    for task in tasks:
        task.make()
    return [path for task in tasks for path in task.paths]


@dataclass(frozen=True)
class _Task:
    """Output files and how to make them (`make()`)."""

    paths: list[Path]
    make: Callable[[], None]


def chapter_paths(chapter: PreparedChapter, slides: Path) -> list[Path]:
    """A chapter's files in their listed order: mp4, webm, gif, png, then one mp4 per beat."""
    paths = [slides / f"{chapter.stem}{suffix}" for suffix in (".mp4", ".webm", ".gif", ".png")]
    return paths + [slides / f"{chapter.stem}-b{b}.mp4" for b, _, _ in _beat_cuts(chapter)]


def _tasks(chapter: PreparedChapter, slides: Path, settings: ExportSettings, tmp: Path) -> list[_Task]:
    """How to make `chapter_paths`: one ffmpeg run for the first four, then the beat clips."""
    paths = chapter_paths(chapter, slides)[:4]
    files = _Task(paths, lambda: _chapter_files(chapter, slides, settings))
    return [files, *_beat_tasks(chapter, slides, settings, tmp)]


def prepare_chapter(k: int, media: ChapterMedia, settings: ExportSettings) -> PreparedChapter:
    """The chapter's clip facts and its narration fitted to the clip's real length (its WAV is written
    where the chapter is exported: `export_chapter_task`)."""
    info = clip_info(media.clip)
    stem = chapter_stem(k, media.id)
    pcm = fitted_chapter_audio(media.timeline, info.duration, info.fps) if settings.audio else None
    return PreparedChapter(media, info, stem, pcm, None)


def _chapter_files(chapter: PreparedChapter, slides: Path, settings: ExportSettings) -> None:
    """The chapter's MP4, WebM, GIF and poster from one ffmpeg run: the clip is decoded once."""
    names = [f"{chapter.stem}{suffix}" for suffix in (".mp4", ".webm", ".gif", ".png")]
    with ExitStack() as stack:
        mp4, webm, gif, png = (stack.enter_context(atomic_path(slides / name)) for name in names)
        outputs = [*_mp4(chapter, settings, mp4), *_webm(chapter, settings, webm), *_gif(chapter, settings, gif),
                   *_poster(chapter, settings, png)]  # fmt: skip
        run_ffmpeg(["-i", str(chapter.media.clip), *chapter.audio_in(), *outputs])


def _mp4(chapter: PreparedChapter, settings: ExportSettings, part: Path) -> list[str]:
    """MP4 for presentation tools: the H.264 stream copied when nothing is resized."""
    codec, _, pix_fmt = chapter.info.codec[:3]
    copy = settings.width is None and settings.fps is None and codec == "h264" and pix_fmt == "yuv420p"
    video = ["-c:v", "copy"] if copy else [*H264, *settings.scale_filter(settings.fps)]
    return ["-map", "0:v:0", *chapter.audio_map(), *video, *(AAC if chapter.wav else []), "-movflags", "+faststart",
            str(part)]  # fmt: skip


def _webm(chapter: PreparedChapter, settings: ExportSettings, part: Path) -> list[str]:
    """WebM (VP9 + Opus) for web pages."""
    return ["-map", "0:v:0", *chapter.audio_map(), *VP9, *settings.scale_filter(settings.fps),
            *(OPUS if chapter.wav else []), str(part)]  # fmt: skip


def _gif(chapter: PreparedChapter, settings: ExportSettings, part: Path) -> list[str]:
    """GIF: one palette made for this clip (from the changed pixels of all its frames), looping
    forever, at a reduced frame rate and width."""
    gif_fps = min(settings.fps or chapter.info.fps, GIF_MAX_FPS)
    gif_width = min(settings.width or chapter.info.width, GIF_MAX_WIDTH)
    graph = (
        f"fps={gif_fps},scale={gif_width}:-1:flags=lanczos,split[a][b];"
        f"[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5"
    )
    return ["-map", "0:v:0", "-vf", graph, "-loop", "0", "-f", "gif", str(part)]


def _poster(chapter: PreparedChapter, settings: ExportSettings, part: Path) -> list[str]:
    """Poster: the final frame, picked by its number (the frames were counted)."""
    pick = f"select=eq(n\\,{chapter.info.frames - 1})"
    scale = f",scale={settings.width}:-2:flags=lanczos" if settings.width else ""
    return ["-map", "0:v:0", "-vf", pick + scale, "-frames:v", "1", "-update", "1", "-f", "image2", str(part)]


def _beat_tasks(chapter: PreparedChapter, slides: Path, settings: ExportSettings, tmp: Path) -> list[_Task]:
    """One clip per beat, cut where each beat starts (frame-exact). When every cut point is a
    keyframe of the chapter clip and nothing is resized, one stream-copy split makes them all;
    otherwise each beat is re-encoded."""
    cuts = _beat_cuts(chapter)
    if not cuts:
        return []
    paths = [slides / f"{chapter.stem}-b{b}.mp4" for b, _, _ in cuts]
    keyframes = _keyframe_frames(chapter, settings)
    if all(first in keyframes for _, first, _ in cuts):  # consecutive cuts from frame 0 to the end
        split = _beat_split_maker(chapter, paths, cuts, tmp)
        return [_Task(paths, split)]
    return [
        _Task([path], _beat_encode_maker(chapter, path, settings, tmp, cut))
        for path, cut in zip(paths, cuts, strict=True)
    ]


def _beat_cuts(chapter: PreparedChapter) -> list[tuple[int, int, int]]:
    """(beat number, first frame, end frame) of each beat that lasts at least one frame."""
    info, timeline = chapter.info, chapter.media.timeline
    segments = timeline.segments if timeline.beats else []
    cuts = []
    for b, (start, _) in enumerate(segments, 1):
        first = round(start * info.fps)
        last = info.frames if b == len(segments) else round(segments[b][0] * info.fps)
        if last > first:
            cuts.append((b, first, last))
    return cuts


def _keyframe_frames(chapter: PreparedChapter, settings: ExportSettings) -> set[int]:
    """The frame indices of the clip's keyframes, if its stream can be copied as it is (else none)."""
    if settings.width is not None or settings.fps is not None or chapter.info.codec[:3] != ("h264", "High", "yuv420p"):
        return set()
    fps = chapter.info.fps
    # Manim joins its partial movies with slightly drifting timestamps (a few ms): match to the frame.
    return {round(t * fps) for t in keyframe_times(chapter.media.clip) if abs(t * fps - round(t * fps)) < 0.25}


def _beat_audio(chapter: PreparedChapter, tmp: Path, b: int, first: int, last: int) -> Path | None:
    """The narration of frames [first, last) as a WAV (None without narration)."""
    if chapter.pcm is None:
        return None
    fps = chapter.info.fps
    pcm = chapter.pcm[round(first / fps * SAMPLE_RATE) : round(last / fps * SAMPLE_RATE)]
    return write_wav(tmp / f"{chapter.stem}-b{b}.wav", pcm, SAMPLE_RATE)


def _beat_split_maker(chapter: PreparedChapter, paths: list[Path], cuts: list[tuple[int, int, int]], tmp: Path):
    def make() -> None:
        parts = tmp / f"{chapter.stem}-parts"
        parts.mkdir()
        if len(cuts) > 1:  # the segment muxer splits at the first keyframe at or after each frame: exact here
            frames = ",".join(str(first) for _, first, _ in cuts[1:])
            run_ffmpeg(["-i", str(chapter.media.clip), "-map", "0:v:0", "-c", "copy", "-f", "segment",
                        "-segment_frames", frames, "-reset_timestamps", "1", "-avoid_negative_ts", "disabled",
                        "-segment_format", "mp4", str(parts / "%03d.mp4")])  # fmt: skip
        for k, (path, (b, first, last)) in enumerate(zip(paths, cuts, strict=True)):
            video = parts / f"{k:03d}.mp4" if len(cuts) > 1 else chapter.media.clip
            wav = _beat_audio(chapter, tmp, b, first, last)
            with atomic_path(path) as part:
                if wav is None:
                    run_ffmpeg(["-i", str(video), "-c", "copy", "-movflags", "+faststart", str(part)])
                else:
                    mux_with_audio(video, wav, part)

    return make


def _beat_encode_maker(
    chapter: PreparedChapter, path: Path, settings: ExportSettings, tmp: Path, cut: tuple[int, int, int]
):
    b, first, last = cut
    fps = chapter.info.fps

    def make() -> None:
        wav = _beat_audio(chapter, tmp, b, first, last)
        audio = ["-i", str(wav), "-map", "0:v:0", "-map", "1:a:0", *AAC] if wav else ["-map", "0:v:0", "-an"]
        with atomic_path(path) as part:
            run_ffmpeg(["-ss", f"{first / fps:.6f}", "-t", f"{(last - first) / fps:.6f}",
                        "-i", str(chapter.media.clip), *audio, *H264, *settings.scale_filter(settings.fps),
                        "-movflags", "+faststart", str(part)])  # fmt: skip

    return make


def _write_deck(movies: list[tuple[ChapterMedia, Path, Path]], title: str, path: Path) -> None:
    """A 16:9 deck laid out here, on blank slides (no template placeholder left empty or off the
    slide): a cover with the deck's title and its chapter count, then per chapter its movie as large
    as fits, started when the slide shows, with a small caption below it (number and title: the clip
    shows the title itself) and the narration as speaker notes (a paragraph per beat, a blank one
    between)."""
    from pptx import Presentation

    inch = EMU_PER_INCH
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    blank = prs.slide_layouts[6]
    cover = prs.slides.add_slide(blank)
    text_width, chapters = SLIDE_WIDTH - 2 * COVER_INSET, plural(len(movies), "chapter")
    _add_text(cover, "Title", title, (COVER_INSET, round(2.2 * inch), text_width, round(1.7 * inch)), 44,
              bold=True, anchor="bottom")  # fmt: skip
    _add_text(cover, "Subtitle", chapters, (COVER_INSET, 4 * inch, text_width, round(0.7 * inch)), 24, grey=True)

    for number, (chapter, mp4, poster) in enumerate(movies, 1):
        slide = prs.slides.add_slide(blank)
        info = probe(mp4, count_frames=False)
        left, top, width, height = _movie_box(info["video"]["width"], info["video"]["height"])
        movie = slide.shapes.add_movie(
            str(mp4), left, top, width, height, poster_frame_image=str(poster), mime_type="video/mp4"
        )
        movie.element.nvPicPr.cNvPr.set("descr", chapter.title)  # the movie's alternative text
        _add_text(slide, "Caption", _caption(number, chapter.title), (left, top + height, width, CAPTION_HEIGHT),
                  CAPTION_PT, grey=True, align="left")  # fmt: skip
        _autoplay(slide, movie.shape_id, info["duration"])  # last: python-pptx numbers shapes past the timing's ids
        slide.notes_slide.notes_text_frame.text = "\n\n".join(beat.text for beat in chapter.timeline.beats)
    prs.save(str(path))


def _caption(number: int, title: str) -> str:
    """The caption under chapter `number`'s movie in the deck."""
    return f"{number} \u00b7 {title}"


def _movie_box(video_width: int, video_height: int) -> tuple[int, int, int, int]:
    """(left, top, width, height) of a movie on a chapter slide: as large as fits inside the margins
    with the caption band below it, the video's aspect ratio kept, centred with its caption."""
    box_w, box_h = SLIDE_WIDTH - 2 * DECK_MARGIN, SLIDE_HEIGHT - 2 * DECK_MARGIN - CAPTION_HEIGHT
    scale = min(box_w / video_width, box_h / video_height)
    width, height = math.floor(video_width * scale), math.floor(video_height * scale)
    return (SLIDE_WIDTH - width) // 2, DECK_MARGIN + (box_h - height) // 2, width, height


def _add_text(slide, name: str, text: str, box: tuple[int, int, int, int], points: int, *, bold: bool = False,
              grey: bool = False, align: str = "center", anchor: str = "top") -> None:  # fmt: skip
    """A text box named `name` at `box` (left, top, width, height, EMU) holding `text` in one paragraph
    (wrapped to the box's width), `points` large."""
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Pt

    shape = slide.shapes.add_textbox(*box)
    shape.name = name
    frame = shape.text_frame
    frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE  # the box stays as laid out
    frame.vertical_anchor = MSO_ANCHOR.BOTTOM if anchor == "bottom" else MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = 0
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT if align == "left" else PP_ALIGN.CENTER
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold = Pt(points), bold
    if grey:
        run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _autoplay(slide, movie_id: int, duration: float | None) -> None:
    """Start the movie (shape `movie_id`) when the slide shows: the slide's timing becomes the one
    PowerPoint writes for "Start: Automatically" (python-pptx's add_movie writes only the media node,
    which plays on a click of the movie)."""
    from pptx.oxml import parse_xml

    ms = max(1, round(duration * 1000)) if duration else "indefinite"
    timing = parse_xml(_AUTOPLAY_TIMING.format(spid=movie_id, ms=ms))
    sld = slide.element
    if sld.timing is None:
        sld.append(timing)  # no p:extLst on a new slide: p:timing comes last
    else:
        sld.replace(sld.timing, timing)


# The timing tree of a slide whose movie plays on entry: the main sequence's first (and only) step
# starts with the slide (`onBegin` of the sequence) and calls playFrom(0.0) on the movie after the
# previous effect (none); the p:video media node is the one add_movie writes.
_AUTOPLAY_TIMING = """\
<p:timing xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">
  <p:tnLst><p:par><p:cTn id="1" dur="indefinite" restart="never" nodeType="tmRoot"><p:childTnLst>
    <p:seq concurrent="1" nextAc="seek">
      <p:cTn id="2" dur="indefinite" nodeType="mainSeq"><p:childTnLst>
        <p:par><p:cTn id="3" fill="hold">
          <p:stCondLst>
            <p:cond delay="indefinite"/><p:cond evt="onBegin" delay="0"><p:tn val="2"/></p:cond>
          </p:stCondLst>
          <p:childTnLst><p:par><p:cTn id="4" fill="hold">
            <p:stCondLst><p:cond delay="0"/></p:stCondLst>
            <p:childTnLst><p:par>
              <p:cTn id="5" presetID="1" presetClass="mediacall" presetSubtype="0" fill="hold" nodeType="afterEffect">
                <p:stCondLst><p:cond delay="0"/></p:stCondLst>
                <p:childTnLst><p:cmd type="call" cmd="playFrom(0.0)"><p:cBhvr>
                  <p:cTn id="6" dur="{ms}" fill="hold"/>
                  <p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl>
                </p:cBhvr></p:cmd></p:childTnLst>
              </p:cTn>
            </p:par></p:childTnLst>
          </p:cTn></p:par></p:childTnLst>
        </p:cTn></p:par>
      </p:childTnLst></p:cTn>
      <p:prevCondLst><p:cond evt="onPrev" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:prevCondLst>
      <p:nextCondLst><p:cond evt="onNext" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:nextCondLst>
    </p:seq>
    <p:video><p:cMediaNode vol="80000">
      <p:cTn id="7" fill="hold" display="0"><p:stCondLst><p:cond delay="indefinite"/></p:stCondLst></p:cTn>
      <p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl>
    </p:cMediaNode></p:video>
  </p:childTnLst></p:cTn></p:par></p:tnLst>
</p:timing>"""
