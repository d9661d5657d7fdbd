"""The whole video, made by the command line from a two-chapter storyboard and read back from the files.

One render (`render --slides`, low quality, espeak narration, a tiny PRX model folder at 32 px) is
made once for the module; each test reads one part of what it wrote: the streams and chapter
markers of video.mp4, the subtitles against the cached narration audio and the audio track
itself, the narrated chapter clips, manifest.json, and the slide deck.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers_video import TWO_CHAPTERS, ffprobe_json, run_cli, save_tiny_prx, storyboard_data, write_storyboard

from render.engine.cache import CACHE_ENV
from render.speech import speech_service
from render.storyboard import NarrationConfig

pytestmark = pytest.mark.slow

FPS = 15  # the low quality preset's frame rate (the storyboard leaves video.fps unset)
FRAME = 1 / FPS
TITLES = [c["title"] for c in TWO_CHAPTERS]
BEATS = [c["narration"] for c in TWO_CHAPTERS]


@dataclass
class Rendered:
    storyboard: Path
    data: dict
    cache: Path
    out: Path
    log: str


def run_main(*argv) -> tuple[int, str]:
    code, log = run_cli(*argv)
    assert "Traceback" not in log, log
    return code, log


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    root = tmp_path_factory.mktemp("video")
    model = save_tiny_prx(root / "tiny-prx")
    data = storyboard_data(model, steps=3, voice="espeak:en-us")
    storyboard = write_storyboard(root / "project" / "story.yaml", data)
    cache, out = root / "cache", root / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CACHE_ENV, raising=False)
        code, log = run_main(
            "render", storyboard, "--cache", cache, "--out", out, "--quality", "low", "--jobs", "2", "--slides"
        )
    assert code == 0, log
    return Rendered(storyboard, data, cache, out, log)


def beat_durations(r: Rendered) -> list[list[float]]:
    """Each beat's duration read from its cached WAV (a cache hit: nothing is spoken again)."""
    n = r.data["narration"]
    speech = speech_service(NarrationConfig(**n))
    before = sorted((r.cache / "narration").iterdir())
    durations = [[speech.speak(t, r.cache / "narration").duration for t in beats] for beats in BEATS]
    assert sorted((r.cache / "narration").iterdir()) == before, "reading a duration must not synthesise"
    return durations


_TIME = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d)"


def _seconds(match: tuple[str, ...]) -> float:
    h, m, s, ms = (int(x) for x in match)
    return h * 3600 + m * 60 + s + ms / 1000


def parse_cues(text: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of every cue of an SRT or WebVTT file, in file order."""
    cues = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            m = re.fullmatch(rf"{_TIME} --> {_TIME}", line.strip())
            if m:
                g = m.groups()
                cues.append((_seconds(g[:4]), _seconds(g[4:]), " ".join(lines[i + 1 :])))
                break
    return cues


def stream_durations(path: Path) -> dict[str, float]:
    streams = ffprobe_json(path, "-show_streams")["streams"]
    return {s["codec_type"]: float(s["duration"]) for s in streams if s["codec_type"] in ("video", "audio")}


def decoded_audio(path: Path, rate: int = 16000) -> np.ndarray:
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(pcm, np.int16).astype(np.float64)


# ---- video.mp4 -----------------------------------------------------------------------------------


def test_the_video_has_one_video_and_one_audio_stream_and_lasts_as_long_as_both(rendered):
    video = rendered.out / "video.mp4"
    streams = ffprobe_json(video, "-show_streams", "-count_frames")["streams"]
    kinds = [s["codec_type"] for s in streams]
    assert kinds.count("video") == 1 and kinds.count("audio") == 1 and kinds.count("subtitle") == 1
    assert set(kinds) <= {"video", "audio", "subtitle", "data"}, kinds  # the chapter track is a data stream
    v = next(s for s in streams if s["codec_type"] == "video")
    a = next(s for s in streams if s["codec_type"] == "audio")
    assert (v["codec_name"], v["pix_fmt"], a["codec_name"]) == ("h264", "yuv420p", "aac")
    assert v["r_frame_rate"] == f"{FPS}/1"
    assert abs(int(v["nb_read_frames"]) / FPS - float(v["duration"])) <= FRAME / 2
    assert abs(float(v["duration"]) - float(a["duration"])) <= FRAME + 1e-6
    # +faststart: the index (moov) comes before the media data (mdat).
    head = video.read_bytes()[:65536]
    assert 0 <= head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head


def embedded_subtitles(path: Path) -> tuple[dict, list[tuple[float, float, str]]]:
    """The file's one subtitle stream (ffprobe) and its cues, read back by ffmpeg as SubRip."""
    (stream,) = [s for s in ffprobe_json(path, "-show_streams")["streams"] if s["codec_type"] == "subtitle"]
    srt = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return stream, parse_cues(srt)


def test_the_video_carries_its_subtitles_as_a_soft_english_track_shown_by_default(rendered):
    stream, cues = embedded_subtitles(rendered.out / "video.mp4")
    assert stream["codec_name"] == "mov_text" and stream["tags"]["language"] == "eng"
    assert stream["disposition"]["default"] == 1
    written = parse_cues((rendered.out / "video.srt").read_text(encoding="utf-8"))
    assert len(cues) == len(written) == sum(len(b) for b in BEATS)
    assert [c[2] for c in cues] == [c[2] for c in written]
    for (start, end, _), (written_start, written_end, _) in zip(cues, written, strict=True):
        assert abs(start - written_start) <= 1e-3 and abs(end - written_end) <= 1e-3


def test_the_video_plays_start_to_end_without_errors(rendered):
    proc = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(rendered.out / "video.mp4"), "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stderr == ""


def test_chapter_markers_are_read_back_with_their_titles_at_the_clip_boundaries(rendered):
    chapters = ffprobe_json(rendered.out / "video.mp4", "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == TITLES
    starts = [float(c["start_time"]) for c in chapters]
    ends = [float(c["end_time"]) for c in chapters]
    clip_lengths = [stream_durations(rendered.out / "chapters" / f"{i + 1:02d}-{c['id']}.mp4")["video"]
                    for i, c in enumerate(TWO_CHAPTERS)]  # fmt: skip
    assert starts[0] == 0.0
    assert abs(starts[1] - clip_lengths[0]) <= FRAME and ends[0] == starts[1]
    assert abs(ends[-1] - stream_durations(rendered.out / "video.mp4")["video"]) <= FRAME
    expected = [f"{int(s) // 60}:{int(s) % 60:02d} {t}" for s, t in zip(starts, TITLES, strict=True)]
    assert (rendered.out / "chapters.txt").read_text(encoding="utf-8").splitlines() == expected


# ---- subtitles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["video.srt", "video.vtt"])
def test_subtitles_are_in_order_do_not_overlap_and_last_as_long_as_each_beats_audio(rendered, name):
    text = (rendered.out / name).read_text(encoding="utf-8")
    if name.endswith(".vtt"):
        assert text.startswith("WEBVTT")
    cues = parse_cues(text)
    assert [c[2] for c in cues] == [t for beats in BEATS for t in beats]  # one cue per (short) beat
    for (_, e0, _), (s1, _, _) in zip(cues, cues[1:], strict=False):
        assert e0 <= s1, (cues, "cues overlap or are out of order")
    assert all(s < e for s, e, _ in cues)
    durations = [d for beats in beat_durations(rendered) for d in beats]
    for (start, end, words), duration in zip(cues, durations, strict=True):
        assert abs((end - start) - duration) <= FRAME, (words, end - start, duration)
    # Each chapter's cues lie inside that chapter's marker span, beats in storyboard order.
    chapters = ffprobe_json(rendered.out / "video.mp4", "-show_chapters")["chapters"]
    k = 0
    for chapter, beats in zip(chapters, BEATS, strict=True):
        for _ in beats:
            start, end, _ = cues[k]
            assert float(chapter["start_time"]) <= start and end <= float(chapter["end_time"]) + 1e-3
            k += 1


def test_the_narration_sounds_where_the_subtitles_say_and_is_silent_elsewhere(rendered):
    rate = 16000
    audio = decoded_audio(rendered.out / "video.mp4", rate)
    cues = parse_cues((rendered.out / "video.srt").read_text(encoding="utf-8"))

    def rms(a: float, b: float) -> float:
        window = audio[round(a * rate) : round(b * rate)]
        return float(np.sqrt(np.mean(window**2))) if window.size else 0.0

    for start, end, words in cues:
        assert rms(start, end) > 300, (words, rms(start, end))
    margin = 0.06  # AAC's frame of 1024 samples smears a little across a boundary
    silent = [(0.0, cues[0][0] - margin)]
    silent += [(e0 + margin, s1 - margin) for (_, e0, _), (s1, _, _) in zip(cues, cues[1:], strict=False)]
    silent.append((cues[-1][1] + margin, len(audio) / rate))
    for a, b in silent:
        if b - a > 0.02:
            assert rms(a, b) < 50, (a, b, rms(a, b))


# ---- chapter clips, manifest ---------------------------------------------------------------------


def test_every_chapter_clip_has_audio_subtitles_and_matching_durations(rendered):
    durations = beat_durations(rendered)
    for i, chapter in enumerate(TWO_CHAPTERS):
        clip = rendered.out / "chapters" / f"{i + 1:02d}-{chapter['id']}.mp4"
        kinds = [s["codec_type"] for s in ffprobe_json(clip, "-show_streams")["streams"]]
        assert kinds == ["video", "audio", "subtitle"], (clip, kinds)
        d = stream_durations(clip)
        assert abs(d["video"] - d["audio"]) <= FRAME + 1e-6, (clip, d)
        cues = parse_cues(clip.with_suffix(".srt").read_text(encoding="utf-8"))
        assert [c[2] for c in cues] == chapter["narration"]
        assert [c[2] for c in embedded_subtitles(clip)[1]] == chapter["narration"]
        assert all(abs((e - s) - dur) <= FRAME for (s, e, _), dur in zip(cues, durations[i], strict=True))
        assert cues[-1][1] <= d["video"]


def test_the_manifest_records_storyboard_versions_seeds_and_keys(rendered):
    manifest = json.loads((rendered.out / "manifest.json").read_text())
    assert manifest["storyboard"]["title"] == rendered.data["title"]
    assert [c["id"] for c in manifest["storyboard"]["chapters"]] == [c["id"] for c in TWO_CHAPTERS]
    assert [b["say"] for b in manifest["storyboard"]["chapters"][1]["narration"]] == TWO_CHAPTERS[1]["narration"]
    for tool in ("noise2image", "manim", "diffusers", "torch"):
        assert re.match(r"\d+\.\d+", manifest["tool"][tool]), tool
    assert manifest["quality"] == "low" and manifest["fps"] == FPS
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["assembly_key"])
    assert manifest["chapters"]["denoise"]["seeds"] == [1]
    assert manifest["chapters"]["seeds"]["seeds"] == [1, 2]
    for entry in manifest["chapters"].values():
        assert Path(entry["clip"]).is_file()
        assert {"data", "timing", "quality", "fps", "scenes", "manim"} <= set(entry["key_parts"])
    # The shared ('a red circle', seed 1) request is generated once and used by both chapters.
    requests = manifest["requests"].values()
    assert len(requests) == 3  # the seeds chapter also makes its first seed again
    assert sorted((r["request"]["seed"], r["request"].get("repeat", 0)) for r in requests) == [(1, 0), (1, 1), (2, 0)]
    assert any(sorted(r["chapters"]) == ["denoise", "seeds"] for r in requests)
    assert all((rendered.cache / "trajectories" / r["bundle"]).is_dir() for r in requests)


# ---- export for slides ---------------------------------------------------------------------------


def check_deck(deck: Path) -> None:
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    slides = list(Presentation(str(deck)).slides)
    with_movie = [s for s in slides if any(sh.shape_type == MSO_SHAPE_TYPE.MEDIA for sh in s.shapes)]
    assert len(with_movie) == len(TWO_CHAPTERS)
    # The clip shows its chapter's title: the slide names it only in a small caption under the movie.
    captions = [[sh.text_frame.text for sh in s.shapes if sh.name == "Caption"] for s in with_movie]
    assert captions == [[f"{k} \u00b7 {title}"] for k, title in enumerate(TITLES, 1)]
    for slide, beats in zip(with_movie, BEATS, strict=True):
        notes = slide.notes_slide.notes_text_frame.text
        assert all(beat in notes for beat in beats)


def test_render_slides_writes_clips_posters_and_a_deck_with_one_movie_per_chapter(rendered):
    slides = rendered.out / "slides"
    for i, chapter in enumerate(TWO_CHAPTERS):
        stem = f"{i + 1:02d}-{chapter['id']}"
        for suffix in (".mp4", ".webm", ".gif", ".png"):
            assert (slides / f"{stem}{suffix}").stat().st_size > 0, stem + suffix
        kinds = [s["codec_type"] for s in ffprobe_json(slides / f"{stem}.mp4", "-show_streams")["streams"]]
        assert sorted(kinds) == ["audio", "video"]
        assert sorted(p.name for p in slides.glob(f"{stem}-b*.mp4")) == [f"{stem}-b1.mp4", f"{stem}-b2.mp4"]
    check_deck(slides / "deck.pptx")


def test_export_command_remakes_the_slides_from_the_last_render_without_rendering(rendered, tmp_path):
    import shutil

    out = shutil.copytree(rendered.out, tmp_path / "out")  # the manifest names the cached clips
    shutil.rmtree(out / "slides")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CACHE_ENV, raising=False)
        code, log = run_main(
            "export", rendered.storyboard, "--cache", rendered.cache, "--out", out, "--width", "320", "--no-audio"
        )
    assert code == 0, log
    # The clips and timelines of the last render are reused: nothing is generated, spoken or rendered.
    assert "render:" not in log and "generate:" not in log and "export: " in log, log
    check_deck(out / "slides" / "deck.pptx")
    streams = ffprobe_json(out / "slides" / "01-denoise.mp4", "-show_streams")["streams"]
    assert [s["codec_type"] for s in streams] == ["video"] and streams[0]["width"] == 320
