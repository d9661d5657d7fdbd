import json
import re
import struct
import subprocess

import helpers_media
import pytest
from helpers_media import FPS, make_clip

from render.media.ffmpeg import probe
from render.stages.assemble import ChapterMedia, assemble

FRAME = 1 / FPS
CHAPTERS = [
    ("intro", "What is diffusion?", ["Noise first."]),
    (
        "denoise",
        "Removing noise, step by step",
        [
            "The model removes a little noise.",
            "Step by step, a picture appears. The text prompt steers every step. In the end we see a cat.",
        ],
    ),
    ("outro", 'The "end" & more', ["Done!"]),
]


def make_chapters(root, chapters=CHAPTERS):
    return helpers_media.make_chapters(root, chapters)


def parse_srt(text):
    def seconds(stamp):
        h, m, s = stamp.replace(",", ".").split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        start, end = lines[1].split(" --> ")
        cues.append((seconds(start), seconds(end), " ".join(lines[2:])))
    return cues


@pytest.fixture(scope="module")
def assembled(tmp_path_factory):
    root = tmp_path_factory.mktemp("assemble")
    chapters = make_chapters(root)
    return chapters, assemble(chapters, root / "out", "Noise to image"), root / "out"


def test_video_has_one_video_one_audio_and_one_subtitle_stream(assembled):
    _, result, _ = assembled
    info = probe(result.video)
    types = [s["type"] for s in info["streams"]]
    # The mp4 muxer carries the chapter markers in a text track, which ffprobe lists as data.
    assert types.count("video") == 1 and types.count("audio") == 1 and types.count("subtitle") == 1
    assert set(types) <= {"video", "audio", "subtitle", "data"}
    assert info["video"]["codec"] == "h264" and info["audio"]["codec"] == "aac"
    assert info["tags"]["title"] == "Noise to image"


def test_faststart_puts_the_index_first(assembled):
    _, result, _ = assembled
    data, at, boxes = result.video.read_bytes(), 0, []
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        boxes.append(kind)
        at += size
    assert boxes.index(b"moov") < boxes.index(b"mdat")


def test_chapter_markers_read_back(assembled):
    chapters, result, _ = assembled
    marks = probe(result.video)["chapters"]
    assert [m["title"] for m in marks] == [c.title for c in chapters]
    assert [m["start"] for m in marks] == pytest.approx(result.chapter_starts, abs=1e-3)
    assert marks[-1]["end"] == pytest.approx(result.duration, abs=1e-3)
    lines = result.chapters_txt.read_text().splitlines()
    assert lines[0] == f"0:00 {chapters[0].title}"
    assert all(re.fullmatch(r"\d+:\d\d .+", line) for line in lines) and len(lines) == len(chapters)


def test_concatenation_is_stream_copied(assembled):
    chapters, result, _ = assembled

    def packets(path):
        out = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "packet=size,flags",
                "-of",
                "csv=p=0",
                str(path),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [(int(size), flags.startswith("K")) for size, flags in (line.split(",") for line in out.split())]

    clip_frames = [probe(c.clip)["video"]["frames"] for c in chapters]
    assert probe(result.video)["video"]["frames"] == sum(clip_frames)
    # The same packets in the same order: nothing was re-encoded. Keyframes may carry the
    # parameter sets in-band (the concat demuxer's H.264 conversion), a few dozen bytes more.
    joined = packets(result.video)
    source = [p for c in chapters for p in packets(c.clip)]
    assert [key for _, key in joined] == [key for _, key in source]
    for (size, key), (source_size, _) in zip(joined, source, strict=True):
        assert size == source_size or (key and 0 < size - source_size <= 64)


def test_audio_and_video_end_within_one_frame(assembled):
    _, result, _ = assembled
    for path in [result.video, *result.chapter_clips]:
        info = probe(path)
        assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= FRAME + 1e-6, path
        assert [s["type"] for s in info["streams"]] == ["video", "audio", "subtitle"] or path == result.video


def test_subtitles_follow_the_beats(assembled):
    chapters, result, _ = assembled
    cues = parse_srt(result.srt.read_text())
    for (s0, e0, _), (s1, _, _) in zip(cues, cues[1:], strict=False):
        assert s0 < e0 <= s1  # in order, non-overlapping
    # Each beat is covered by its cues exactly, from its real audio start to its real audio end.
    spans = []
    for chapter, offset in zip(chapters, result.chapter_starts, strict=True):
        for beat, start in zip(chapter.timeline.beats, chapter.timeline.starts, strict=True):
            spans.append((offset + start, offset + start + beat.duration, beat))
    for begin, end, beat in spans:
        inside = [c for c in cues if begin - 1e-3 <= c[0] and c[1] <= end + 1e-3]
        assert inside, beat.text
        assert inside[0][0] == pytest.approx(begin, abs=FRAME) and inside[-1][1] == pytest.approx(end, abs=FRAME)
        assert " ".join(c[2] for c in inside) == beat.text
    assert len(cues) > len(spans)  # the long beat was split into sentence cues

    vtt = result.vtt.read_text()
    assert vtt.startswith("WEBVTT\n\n") and vtt.count(" --> ") == len(cues)


def test_each_chapter_has_its_own_subtitles(assembled):
    chapters, result, _ = assembled
    for chapter, srt in zip(chapters, result.chapter_subtitles, strict=True):
        cues = parse_srt(srt.read_text())
        assert cues[0][0] == pytest.approx(chapter.timeline.starts[0], abs=1e-3)  # chapter-local times
        assert len(cues) >= len(chapter.timeline.beats)
    names = sorted(p.name for p in (result.video.parent / "chapters").iterdir())
    assert names == [
        "01-intro.mp4",
        "01-intro.srt",
        "02-denoise.mp4",
        "02-denoise.srt",
        "03-outro.mp4",
        "03-outro.srt",
    ]


def subtitle_streams(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return [s for s in json.loads(out)["streams"] if s["codec_type"] == "subtitle"]


def embedded_cues(path):
    """The cues of the file's subtitle track, read back by ffmpeg as SubRip."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return parse_srt(out)


def test_the_video_and_each_chapter_clip_carry_their_srt_as_a_soft_english_subtitle_track(assembled):
    _, result, _ = assembled
    for path, srt in [(result.video, result.srt), *zip(result.chapter_clips, result.chapter_subtitles, strict=True)]:
        (stream,) = subtitle_streams(path)
        assert stream["codec_name"] == "mov_text" and stream["tags"]["language"] == "eng", path
        assert stream["disposition"]["default"] == 1, path
        written, embedded = parse_srt(srt.read_text()), embedded_cues(path)
        assert [c[2] for c in embedded] == [c[2] for c in written], path
        times = [t for c in embedded for t in c[:2]]
        assert times == pytest.approx([t for c in written for t in c[:2]], abs=1e-3), path


def test_without_the_subtitle_track_the_files_have_none_and_the_same_side_files(assembled, tmp_path):
    chapters, result, _ = assembled
    plain = assemble(chapters, tmp_path / "out", "Noise to image", subtitle_track=False)
    for path in [plain.video, *plain.chapter_clips]:
        assert subtitle_streams(path) == [], path
    assert plain.srt.read_text() == result.srt.read_text()


def test_no_temporary_files_are_left(assembled):
    _, _, out = assembled
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_clips_with_different_codec_settings_are_refused(tmp_path):
    chapters = make_chapters(tmp_path, CHAPTERS[:1])
    other = ChapterMedia("wide", "Wide", make_clip(tmp_path / "wide.mp4", 15, size="640x360"), chapters[0].timeline)
    with pytest.raises(ValueError, match="codec settings"):
        assemble([*chapters, other], tmp_path / "out", "Mismatch")


def test_clip_shorter_than_its_narration_is_refused(tmp_path):
    chapters = make_chapters(tmp_path, CHAPTERS[1:2])
    short = ChapterMedia("short", "Short", make_clip(tmp_path / "short.mp4", 10), chapters[0].timeline)
    with pytest.raises(ValueError, match="render the chapter to its timeline"):
        assemble([short], tmp_path / "out", "Short")
