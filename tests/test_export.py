import zipfile

import av
import helpers_media
import numpy as np
import pytest
from helpers_media import FPS
from lxml import etree
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from render.media.ffmpeg import probe
from render.stages.export import CAPTION_PT, GIF_MAX_FPS, export_slides

P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
CHAPTERS = [
    ("noise", "Noise", ["Pure noise.", "Then less noise."]),
    ("image", "An image", ["A cat appears."]),
]


def make_chapters(root):
    return helpers_media.make_chapters(root, CHAPTERS)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    chapters = make_chapters(root)
    return (
        chapters,
        export_slides(chapters, root / "out", deck_title="Noise to image"),
        root / "out" / "slides",
    )


def test_every_file_is_written(exported):
    _, paths, slides = exported
    names = [p.name for p in paths]
    assert names == [
        "01-noise.mp4",
        "01-noise.webm",
        "01-noise.gif",
        "01-noise.png",
        "01-noise-b1.mp4",
        "01-noise-b2.mp4",
        "02-image.mp4",
        "02-image.webm",
        "02-image.gif",
        "02-image.png",
        "02-image-b1.mp4",
        "deck.pptx",
    ]
    assert sorted(p.name for p in slides.iterdir()) == sorted(names)  # and no temporary files left


def test_mp4_and_webm_play_everywhere(exported):
    chapters, _, slides = exported
    for chapter, stem in zip(chapters, ["01-noise", "02-image"], strict=True):
        source_frames = probe(chapter.clip)["video"]["frames"]
        mp4 = probe(slides / f"{stem}.mp4")
        assert (mp4["video"]["codec"], mp4["video"]["pix_fmt"], mp4["audio"]["codec"]) == (
            "h264",
            "yuv420p",
            "aac",
        )
        assert mp4["video"]["frames"] == source_frames
        assert abs(mp4["video"]["duration"] - mp4["audio"]["duration"]) <= 1 / FPS
        webm = probe(slides / f"{stem}.webm")
        assert (webm["video"]["codec"], webm["audio"]["codec"]) == ("vp9", "opus")
        assert webm["video"]["frames"] == source_frames


def test_gif_loops_at_reduced_rate(exported):
    _, _, slides = exported
    gif = slides / "01-noise.gif"
    assert b"NETSCAPE2.0" in gif.read_bytes()  # the looping extension
    info = probe(gif)["video"]
    assert info["codec"] == "gif" and info["width"] == 320
    source = probe(slides / "01-noise.mp4")["video"]
    assert info["frames"] <= source["frames"] * GIF_MAX_FPS / FPS + 1


def test_poster_is_the_final_frame(exported):
    chapters, _, slides = exported
    with av.open(str(chapters[0].clip)) as clip:
        last = [frame.to_ndarray(format="rgb24") for frame in clip.decode(video=0)][-1]
    with av.open(str(slides / "01-noise.png")) as png:
        poster = next(png.decode(video=0)).to_ndarray(format="rgb24")
    assert poster.shape == last.shape
    assert np.abs(poster.astype(int) - last.astype(int)).mean() < 4


def test_beat_clips_cut_at_beat_starts(exported):
    chapters, _, slides = exported
    timeline = chapters[0].timeline
    b1, b2 = probe(slides / "01-noise-b1.mp4"), probe(slides / "01-noise-b2.mp4")
    assert b1["video"]["frames"] == round(timeline.starts[1] * FPS)
    assert b1["video"]["frames"] + b2["video"]["frames"] == probe(chapters[0].clip)["video"]["frames"]
    for info in (b1, b2):
        assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 1 / FPS


def shape_box(shape):
    return shape.left, shape.top, shape.left + shape.width, shape.top + shape.height


def overlaps(a, b):
    (l1, t1, r1, b1), (l2, t2, r2, b2) = a, b
    return l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1


def font_sizes(shape):
    return [run.font.size.pt for p in shape.text_frame.paragraphs for run in p.runs if run.font.size]


def test_deck_has_one_movie_slide_per_chapter(exported):
    chapters, _, slides = exported
    deck = Presentation(str(slides / "deck.pptx"))
    assert deck.slide_width * 9 == deck.slide_height * 16  # 16:9
    assert len(deck.slides) == 1 + len(chapters)
    cover = {shape.name: shape.text_frame.text for shape in deck.slides[0].shapes}
    assert cover == {"Title": "Noise to image", "Subtitle": "2 chapters"}
    for slide in deck.slides:
        assert not list(slide.placeholders)  # laid out here: no template box, empty or off the slide
        for shape in slide.shapes:
            left, top, right, bottom = shape_box(shape)
            assert left >= 0 and top >= 0 and right <= deck.slide_width and bottom <= deck.slide_height, shape.name
    for number, (slide, chapter) in enumerate(zip(list(deck.slides)[1:], chapters, strict=True), 1):
        movies = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.MEDIA]
        assert len(movies) == 1
        movie = movies[0]
        assert movie.width >= deck.slide_width * 0.8  # as large as fits, with a small margin
        assert movie.width * 9 == pytest.approx(movie.height * 16, abs=16)  # the clip's aspect ratio
        others = [s for s in slide.shapes if s != movie]
        assert [(s.name, s.text_frame.text) for s in others] == [("Caption", f"{number} \u00b7 {chapter.title}")]
        assert not any(overlaps(shape_box(s), shape_box(movie)) for s in others)
        assert all(size <= CAPTION_PT for s in others for size in font_sizes(s))  # no big title over the clip
        paragraphs = [p.text for p in slide.notes_slide.notes_text_frame.paragraphs]
        assert [p for p in paragraphs if p] == [b.text for b in chapter.timeline.beats]  # a paragraph per beat


def test_deck_movies_play_when_the_slide_shows(exported):
    """Each chapter slide's timing starts its movie on entry: the main sequence's first step begins
    with the slide and calls playFrom(0.0) on the movie, whose media node is there too."""
    chapters, _, slides = exported
    deck = Presentation(str(slides / "deck.pptx"))
    movies = {
        slide.part.partname.lstrip("/"): next(s.shape_id for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.MEDIA)
        for slide in list(deck.slides)[1:]
    }
    assert len(movies) == len(chapters)
    with zipfile.ZipFile(slides / "deck.pptx") as pptx:
        for partname, movie_id in movies.items():
            sld = etree.fromstring(pptx.read(partname))
            (timing,) = sld.findall(f"{P}timing")
            (seq,) = timing.iter(f"{P}seq")
            assert seq.find(f"{P}cTn").get("nodeType") == "mainSeq"
            step = seq.find(f"{P}cTn/{P}childTnLst/{P}par/{P}cTn")
            assert [c.get("evt") for c in step.find(f"{P}stCondLst")] == [None, "onBegin"]  # not on a click
            (effect,) = [c for c in timing.iter(f"{P}cTn") if c.get("presetClass") == "mediacall"]
            assert effect.get("nodeType") in ("afterEffect", "withEffect")
            (cmd,) = effect.iter(f"{P}cmd")
            assert (cmd.get("type"), cmd.get("cmd")) == ("call", "playFrom(0.0)")
            assert [t.get("spid") for t in cmd.iter(f"{P}spTgt")] == [str(movie_id)]
            (media,) = timing.iter(f"{P}cMediaNode")
            assert [t.get("spid") for t in media.iter(f"{P}spTgt")] == [str(movie_id)]
            ids = [c.get("id") for c in timing.iter(f"{P}cTn")]
            assert len(ids) == len(set(ids))  # time node ids are unique


def test_smaller_silent_export_without_deck(tmp_path):
    chapters = make_chapters(tmp_path)[1:]
    paths = export_slides(chapters, tmp_path / "out", width=160, fps=10, audio=False, deck=False)
    assert "deck.pptx" not in [p.name for p in paths]
    mp4 = probe(tmp_path / "out" / "slides" / "01-image.mp4")
    assert mp4["audio"] is None and mp4["video"]["width"] == 160 and mp4["video"]["fps"] == 10
    assert probe(tmp_path / "out" / "slides" / "01-image.webm")["audio"] is None


def packets(path):
    """(size, keyframe) of each video packet, in decode order."""
    with av.open(str(path)) as f:
        return [(p.size, p.is_keyframe) for p in f.demux(video=0) if p.size]


def frames_rgb(path):
    with av.open(str(path)) as f:
        return [frame.to_ndarray(format="rgb24") for frame in f.decode(video=0)]


def test_beat_clips_are_stream_copies_where_beats_start_on_keyframes(tmp_path):
    """Cut points on keyframes: the beat clips hold the chapter clip's own packets, frame-exact."""
    chapters = helpers_media.make_chapters(tmp_path, CHAPTERS[:1], keyframes_at_beats=True)
    export_slides(chapters, tmp_path / "out", deck=False)
    slides, clip, timeline = tmp_path / "out" / "slides", chapters[0].clip, chapters[0].timeline
    cut = round(timeline.starts[1] * FPS)
    source, b1, b2 = packets(clip), packets(slides / "01-noise-b1.mp4"), packets(slides / "01-noise-b2.mp4")
    assert b1 + b2 == source  # the same encoded frames, none re-encoded, none lost
    assert len(frames_rgb(slides / "01-noise-b1.mp4")) == cut
    second = frames_rgb(slides / "01-noise-b2.mp4")
    assert np.array_equal(second[0], frames_rgb(clip)[cut])
    info = probe(slides / "01-noise-b2.mp4")
    assert abs(info["video"]["duration"] - info["audio"]["duration"]) <= 1 / FPS
