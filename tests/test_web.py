"""The web page's files, without a browser: each kind's figure JSON and sprite sheets against its chapter
data, the page's HTML, and how the site is rewritten after an edit (tests/test_web_browser.py drives it
in Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import base_params, run_analysis
from helpers_media import make_chapters
from helpers_video import snapshot

from render.chapter_data import write_chapter_data
from render.kinds import KINDS
from render.stages.web import FIGURE_INDEX, WebChapter, write_site
from render.web.figure import Sprites, read_sprite


def bundle(folder: Path, kind: str, title: str | None = None, narration: list[str] | None = None, **params) -> Path:
    """A chapter data bundle of `kind` (fake 16 px recordings, tests/conftest.py) in `folder`."""
    resolved = base_params(**(params or KINDS[kind].example))
    info, arrays = run_analysis(kind, resolved)
    info |= {"kind": kind, "title": title or kind, "params": resolved, "theme": "dark"}
    info["narration"] = narration or [f"The {kind} chapter."]
    return write_chapter_data(folder, info, arrays)


def site(folder: Path, chapters: list[WebChapter], theme: str = "dark", **kwargs):
    return write_site(folder, "A test page", theme, "builtin:tiny-prx", chapters, **kwargs)


def figure_index(web: Path, chapter_id: str) -> tuple[Path, dict]:
    """The figure folder and JSON index of a chapter, found through the page's figure element."""
    html = (web / "index.html").read_text()
    section = html[html.index(f'<section class="chapter" id="{chapter_id}"') :]
    src = re.search(r'<div class="figure"[^>]* data-index="(chapters/[^"]+)/index\.js"', section).group(1)
    return web / src, json.loads((web / src / FIGURE_INDEX).read_text())


def test_every_shipped_kind_has_a_figure_script():
    for name, kind in KINDS.items():
        assert kind.web is not None, name
        assert f'N2I.figure("{name}"' in kind.web.script.read_text(), kind.web.script


@pytest.mark.parametrize("kind", list(KINDS))
def test_figure_sprites_hold_the_chapter_images(kind, tmp_path):
    data = bundle(tmp_path / "data" / f"{kind}-0123456789ab", kind)
    site(tmp_path / "web", [WebChapter(kind, data)])
    folder, index = figure_index(tmp_path / "web", kind)
    # every image of the chapter data, by its bytes: each sprite's images must be among them
    images = {
        im.tobytes() for a in np.load(data / "arrays.npz").values() if a.ndim >= 3 and a.shape[-1] == 3
        for im in a.reshape(-1, *a.shape[-3:])
    }  # fmt: skip
    for ref in _sprites(index):
        count = int(np.prod(ref["shape"])) if ref["shape"] else 1
        for i in sorted({0, count // 2, count - 1}):
            # 16 px images (and latents, drawn pixel by pixel) are stored losslessly
            assert read_sprite(folder, ref, i).tobytes() in images, (ref["sheets"], i)
    files = {p.name for p in folder.iterdir()}
    assert files == {"index.json", "index.js", *_sheets(index)}


def _sprites(value) -> list[dict]:
    """Every sprite reference of a figure index, at any depth."""
    if isinstance(value, dict):
        return [value] if "sheets" in value else [r for v in value.values() for r in _sprites(v)]
    if isinstance(value, list):
        return [r for v in value for r in _sprites(v)]
    return []


def _sheets(value) -> set[str]:
    """Every sprite sheet a figure index references, at any depth."""
    if isinstance(value, dict):
        return set(value.get("sheets", [])) | {s for v in value.values() for s in _sheets(v)}
    if isinstance(value, list):
        return {s for v in value for s in _sheets(v)}
    return set()


def test_step_comparison_runs_follow_each_other_in_one_sprite(tmp_path):
    data = bundle(tmp_path / "step-comparison-0123456789ab", "step_comparison", prompt="a star", step_counts=[1, 3])
    site(tmp_path / "web", [WebChapter("steps", data)])
    folder, index = figure_index(tmp_path / "web", "steps")
    arrays = np.load(data / "arrays.npz")
    assert index["step_counts"] == [1, 3] and index["starts"] == [0, 2]
    last_of_run_1 = read_sprite(folder, index["states"], index["starts"][1] + 3)
    assert np.array_equal(last_of_run_1, arrays["previews_1"][3])


def test_large_grids_are_split_into_several_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr("render.web.figure.SHEET_SIDE", 64)  # 4 x 4 images of 16 px per sheet
    images = np.random.default_rng(0).integers(0, 256, (3, 7, 16, 16, 3), dtype=np.uint8)
    ref = Sprites(tmp_path).add("grid", images, lossless=True)
    assert ref["per_sheet"] == 16 and len(ref["sheets"]) == 2 and ref["shape"] == [3, 7]
    for i, j in [(0, 0), (2, 1), (2, 6)]:
        assert np.array_equal(read_sprite(tmp_path, ref, i * 7 + j), images[i, j])


def test_sprites_reject_what_is_not_an_image_stack(tmp_path):
    with pytest.raises(ValueError, match=r"sprites 'x': expected uint8 images"):
        Sprites(tmp_path).add("x", np.zeros((4, 16, 16), np.uint8))


def test_page_has_every_chapter_in_order_with_text_and_clip(tmp_path):
    title = 'Noise & "images" <b>'
    chapters = []
    media = make_chapters(tmp_path / "media", [("seeds", "S", ["One beat."]), ("denoise", "D", ["Two."])])
    for m, kind in zip(media, ["seed_comparison", "denoising"], strict=True):
        data = bundle(tmp_path / "data" / f"{m.id}-0123456789ab", kind, title=f"{title} {m.id}")
        chapters.append(WebChapter(m.id, data, m.clip, m.timeline))
    video = media[0].clip
    report = site(tmp_path / "web", chapters, video=video)
    web = tmp_path / "web"
    html = (web / "index.html").read_text()
    assert html.index('id="seeds"') < html.index('id="denoise"')
    assert "Noise &amp; &quot;images&quot; &lt;b&gt; seeds" in html and "<b>" not in html
    assert "<p>The seed_comparison chapter.</p>" in html
    for n, m in enumerate(media, 1):
        assert (web / "clips" / f"{n:02d}-{m.id}.mp4").samefile(m.clip)  # a hard link, not a copy
        vtt = (web / "clips" / f"{n:02d}-{m.id}.vtt").read_text()
        assert vtt.startswith("WEBVTT") and m.timeline.beats[0].text in vtt
        assert f'data-src="clips/{n:02d}-{m.id}.vtt"' in html and vtt in html  # file:// pages use the text
    assert (web / "video.mp4").samefile(video) and 'href="video.mp4"' in html
    assert (web / "static" / "n2i.js").is_file() and '<script src="static/n2i.js?v=' in html
    for kind in ("seed_comparison", "denoising"):
        assert (web / "static" / "figures" / f"{kind}.js").is_file()
        assert f'data-script="static/figures/{kind}.js?v=' in html
    assert report.bytes_without_media < report.bytes_total


def test_light_page_without_clips_links_the_video_beside_it(tmp_path):
    """--no-clips after a page with clips: the media go, the video is linked where it lies."""
    (media,) = make_chapters(tmp_path / "media", [("denoise", "D", ["One beat."])])
    data = bundle(tmp_path / "data" / "denoise-0123456789ab", "denoising")
    video = tmp_path / "out" / "video.mp4"
    video.parent.mkdir()
    video.write_bytes(media.clip.read_bytes())
    site(tmp_path / "out" / "web", [WebChapter("denoise", data, media.clip, media.timeline)], video=video)
    assert (tmp_path / "out" / "web" / "clips").is_dir()
    report = site(tmp_path / "out" / "web", [WebChapter("denoise", data)], theme="light", video=video)
    web = tmp_path / "out" / "web"
    html = (web / "index.html").read_text()
    assert "<video" not in html and 'href="../video.mp4"' in html
    assert '<html lang="en" data-theme="light">' in html
    assert not any((web / "clips").iterdir()) and not (web / "video.mp4").exists()
    assert report.bytes_total == report.bytes_without_media


def test_editing_one_chapter_rewrites_only_its_figure(tmp_path):
    a = bundle(tmp_path / "data" / "denoise-aaaaaaaaaaaa", "denoising")
    b = bundle(tmp_path / "data" / "seeds-bbbbbbbbbbbb", "seed_comparison")
    web = tmp_path / "web"
    first = site(web, [WebChapter("denoise", a), WebChapter("seeds", b)])
    assert first.written == ["denoise", "seeds"] and first.reused == []
    before = snapshot(web)

    again = site(web, [WebChapter("denoise", a), WebChapter("seeds", b)])
    assert again.written == [] and snapshot(web) == before  # nothing changed: not one file rewritten

    # An edited chapter has a new chapter data folder (its analysis key changed)
    edited = bundle(tmp_path / "data" / "seeds-cccccccccccc", "seed_comparison", narration=["Edited."])
    third = site(web, [WebChapter("denoise", a), WebChapter("seeds", edited)])
    assert third.written == ["seeds"] and third.reused == ["denoise"]
    after = snapshot(web)
    denoise_files = {p: v for p, v in before.items() if p.startswith("chapters/denoise-")}
    assert denoise_files and all(after[p] == v for p, v in denoise_files.items())
    assert not any(p.startswith("chapters/seeds-bbbb") for p in after)  # the old figure is gone
    assert any(p.startswith("chapters/seeds-cccc") for p in after)
    assert "<p>Edited.</p>" in (web / "index.html").read_text()


def test_a_kind_without_a_figure_still_gets_its_text_and_clip(caption_kind, tmp_path):
    (media,) = make_chapters(tmp_path / "media", [("caption", "C", ["An image and its words."])])
    data = write_chapter_data(
        tmp_path / "data" / "caption-0123456789ab",
        {"kind": "caption", "title": "A caption", "narration": ["An image and its words."], "params": {},
         "theme": "dark", "prompt": "a red circle"},
        {"image": np.zeros((16, 16, 3), np.uint8)},
    )  # fmt: skip
    report = site(tmp_path / "web", [WebChapter("caption", data, media.clip, media.timeline)])
    html = (tmp_path / "web" / "index.html").read_text()
    section = html[html.index('<section class="chapter" id="caption"') :]
    assert report.without_figure == ["caption"]
    assert "A caption" in section and "<p>An image and its words.</p>" in section
    assert "no interactive figure: its narrated clip shows it" in section and 'src="clips/01-caption.mp4"' in section
    assert "data-figure" not in section and not (tmp_path / "web" / "static" / "figures").exists()


def test_no_clips_without_web_is_a_usage_error(tmp_path, capsys):
    from render.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["render", str(tmp_path / "sb.yaml"), "--no-clips"])
    assert exit_.value.code == 2
    assert "--no-clips goes with --web" in capsys.readouterr().err


def test_model_sized_images_are_lossy_and_close(tmp_path):
    """128 px images (the embedded model's) are stored as lossy WebP, within a few levels of the original."""
    y, x = np.mgrid[0:128, 0:128]
    images = np.stack([np.stack([60 + x, 80 + y // 2, 120 + (x + y) // 4], -1) + 10 * k for k in range(3)]).astype(
        np.uint8
    )
    ref = Sprites(tmp_path).add("smooth", images)
    for k in range(3):
        assert np.abs(read_sprite(tmp_path, ref, k).astype(int) - images[k]).mean() < 3
    assert (tmp_path / "smooth-0.webp").stat().st_size < images.nbytes / 10


def test_a_missing_clip_says_to_render_again(tmp_path):
    from render.errors import UserFacingError

    data = bundle(tmp_path / "data" / "denoise-0123456789ab", "denoising")
    with pytest.raises(UserFacingError, match=r"web: .*01-denoise\.mp4 is missing; render again"):
        site(tmp_path / "web", [WebChapter("denoise", data, tmp_path / "out" / "chapters" / "01-denoise.mp4")])


def test_the_page_takes_its_colours_from_the_videos_themes(tmp_path):
    """The scenes' themes (scenes/look.py, with Manim) and the page's (render/theme.py, without) are the same
    colours, and the page's stylesheet sets each of them as a CSS variable of its theme."""
    from render.theme import THEMES
    from scenes.look import THEMES as SCENE_THEMES

    assert sorted(THEMES) == sorted(SCENE_THEMES)
    for name, theme in THEMES.items():
        assert vars(theme) == {key: getattr(SCENE_THEMES[name], key) for key in vars(theme)}, name
    data = bundle(tmp_path / "data" / "denoise-0123456789ab", "denoising")
    site(tmp_path / "web", [WebChapter("denoise", data)])
    css = (tmp_path / "web" / "static" / "n2i.css").read_text()
    for name, theme in THEMES.items():
        rule = css[css.index(f'[data-theme="{name}"] {{') :]
        rule = rule[: rule.index("}")]
        assert f"color-scheme: {name};" in rule
        for key in ("background", "text", "muted", "accent", "panel"):
            assert f"--{key}: {getattr(theme, key).lower()};" in rule, (name, key)
        for k, colour in enumerate(theme.palette):
            assert f"--series-{k}: {colour.lower()};" in rule, (name, k)
    assert css.index(':root,\n[data-theme="dark"]') < css.index("* {"), "the default theme applies to :root"
