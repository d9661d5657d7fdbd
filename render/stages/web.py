"""The web stage: the rendered chapters as a static, offline web page with live controls (`web/`).

    web/index.html                       title, one section per chapter, the scripts
    web/static/n2i.css, n2i.js           the page's style (its colours written from render/theme.py) and runtime
    web/static/figures/<kind>.js         one drawing module per figure kind on the page
    web/chapters/<data>-<code>/          a chapter's figure: index.json (its JSON index), index.js
                                         (the same, loadable from disk), sprite sheets (*.webp)
    web/clips/NN-id.mp4, NN-id.vtt       the narrated chapter clips and their subtitles
    web/video.mp4                        the whole video (clips and video: hard links where possible)

A chapter's figure folder is named by its chapter data folder and the version of the code that
writes it (render/keys.py `figure_folder_name`), so after an edit only that chapter's figure is written again; the
page and the small static files are rewritten only when their bytes change, and files of
chapters no longer on the page are removed. Without clips (`clips=False`) the page has no media
at all and links the video beside its folder instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from render.chapter_data import CHAPTER_JSON, load_chapter_data
from render.errors import UserFacingError
from render.keys import chapter_stem, figure_folder_name
from render.kinds import KINDS
from render.media.files import atomic_folder, atomic_path, atomic_write
from render.media.subtitles import chapter_cues, vtt_text
from render.speech import ChapterTimeline
from render.stages.keyed import keyed
from render.theme import css_variables
from render.web.figure import STATIC_DIR, Sprites, WebFigure
from render.web.page import Clip, Page, Section, page_html

FIGURE_INDEX = "index.json"
FIGURE_SCRIPT = "index.js"


@dataclass(frozen=True)
class WebChapter:
    """A rendered chapter: its data bundle, and its narrated clip with the timeline it was made to."""

    id: str
    data: Path
    clip: Path | None = None
    timeline: ChapterTimeline | None = None


@dataclass
class SiteReport:
    """What `write_site` did: figure folders written and reused, total bytes with and without media."""

    folder: Path
    written: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    without_figure: list[str] = field(default_factory=list)
    bytes_total: int = 0
    bytes_without_media: int = 0


def write_site(
    folder: Path, title: str, theme: str, model: str, chapters: list[WebChapter], video: Path | None = None
) -> SiteReport:
    """Write the page for `chapters` (in order) into `folder`; `video` is the whole video to link.

    Chapters with a `clip` get it (and its subtitles) on the page; `video`, if given, is copied
    in when any chapter has a clip and linked where it lies otherwise.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = SiteReport(folder)
    infos = {chapter.id: _chapter_info(chapter.data) for chapter in chapters}
    figures: dict[str, tuple[WebFigure, Path]] = {}  # chapter id -> (its kind's figure, its folder)
    for chapter in chapters:
        kind = KINDS.get(infos[chapter.id]["kind"])
        if kind is not None and kind.web is not None:
            name = figure_folder_name(chapter.data, kind.web.build_file)
            figures[chapter.id] = (kind.web, folder / "chapters" / name)
        else:
            report.without_figure.append(chapter.id)
    with_figure = [chapter for chapter in chapters if chapter.id in figures]
    written = keyed(
        with_figure,
        lambda chapter: figures[chapter.id][1],
        lambda todo: ((chapter, (chapter.data, figures[chapter.id][0])) for chapter in todo),
        store=lambda target, made: _write_figure(target, *made),
        present=lambda chapter: (figures[chapter.id][1] / FIGURE_SCRIPT).is_file(),
    )  # no lock of its own: the caller holds the output folder's
    report.written = [chapter.id for chapter in written]
    report.reused = [chapter.id for chapter in with_figure if chapter not in written]
    sections, scripts, media = [], set(), set()
    credit = None
    for number, chapter in enumerate(chapters, 1):
        info = infos[chapter.id]
        kind_name = info["kind"]
        credit = info.get("credit", credit)
        index = script = None
        if chapter.id in figures:
            scripts.add(f"figures/{kind_name}.js")
            _copy_if_changed(figures[chapter.id][0].script, folder / "static" / "figures" / f"{kind_name}.js")
            name = figures[chapter.id][1].name
            index, script = f"chapters/{name}/{FIGURE_SCRIPT}", _versioned(folder, f"static/figures/{kind_name}.js")
        clip = _place_clip(folder, number, chapter, media) if chapter.clip is not None else None
        narration = list(info.get("narration", []))
        sections.append(Section(chapter.id, kind_name, info["title"], narration, index, script, clip))
    video_href = None
    if video is not None:
        if media:
            _link_or_copy(video, folder / "video.mp4")
            media.add("video.mp4")
            video_href = "video.mp4"
        else:
            video_href = os.path.relpath(video, folder)
    _write_if_changed(folder / "static" / "n2i.css", stylesheet())
    _copy_if_changed(STATIC_DIR / "n2i.js", folder / "static" / "n2i.js")
    page = Page(
        title=title,
        theme=theme,
        model=model,
        sections=sections,
        runtime=_versioned(folder, "static/n2i.js"),
        stylesheet=_versioned(folder, "static/n2i.css"),
        video=video_href,
        credit=credit,
    )
    _write_if_changed(folder / "index.html", page_html(page))
    _remove_stale(folder, {target.name for _, target in figures.values()}, scripts, media)
    report.bytes_total, report.bytes_without_media = _sizes(folder)
    return report


def stylesheet() -> str:
    """The page's n2i.css: the themes' colour variables, written from the video's (render/theme.py), then the
    layout and controls (render/web/static/n2i.css)."""
    header = "/* noise2image web explorer. Colours follow the video's themes (render/theme.py). */\n\n"
    return header + css_variables() + "\n" + (STATIC_DIR / "n2i.css").read_text(encoding="utf-8")


def _chapter_info(data: Path) -> dict:
    return json.loads((Path(data) / CHAPTER_JSON).read_text(encoding="utf-8"))


def _write_figure(target: Path, data: Path, figure: WebFigure) -> None:
    """Write a chapter's figure folder from its chapter data, atomically."""
    info, arrays = load_chapter_data(data)
    with atomic_folder(target, replace=False) as tmp:
        index = figure.build(info, arrays, Sprites(tmp))
        text = json.dumps(index, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        (tmp / FIGURE_INDEX).write_text(text, encoding="utf-8")
        # One call a classic script can make from disk: the page's script tag says which section it is for.
        (tmp / FIGURE_SCRIPT).write_text(f"N2I.chapter(document.currentScript, {text});\n", encoding="utf-8")


def _place_clip(folder: Path, number: int, chapter: WebChapter, media: set[str]) -> Clip:
    """The chapter's narrated clip and its WebVTT subtitles in web/clips/, as `Clip`."""
    stem = chapter_stem(number - 1, chapter.id)
    _link_or_copy(chapter.clip, folder / "clips" / f"{stem}.mp4")
    timeline = chapter.timeline
    text = vtt_text(chapter_cues(timeline, until=timeline.total)) if timeline else "WEBVTT\n"
    _write_if_changed(folder / "clips" / f"{stem}.vtt", text)
    media |= {f"clips/{stem}.mp4", f"clips/{stem}.vtt"}
    return Clip(f"clips/{stem}.mp4", f"clips/{stem}.vtt", text, timeline.total if timeline else 0.0)


def _versioned(folder: Path, relative: str) -> str:
    """`relative?v=HASH`: a server's visitors get the new file after a change, not a cached old one."""
    digest = hashlib.sha256((folder / relative).read_bytes()).hexdigest()[:10]
    return f"{relative}?v={digest}"


def _write_if_changed(path: Path, text: str) -> None:
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        atomic_write(path, text)


def _copy_if_changed(source: Path, target: Path) -> None:
    data = source.read_bytes()
    if not (target.is_file() and target.read_bytes() == data):
        atomic_write(target, data)


def _link_or_copy(source: Path, target: Path) -> None:
    """Make `target` hold `source`: a hard link (no second copy of a large clip), else a copy."""
    source = Path(source)
    if not source.is_file():
        raise UserFacingError(f"web: {source} is missing; render again to make it")
    if target.is_file() and (os.path.samefile(source, target) or _same_bytes_stamp(source, target)):
        return
    with atomic_path(target) as tmp:
        try:
            os.link(source, tmp)
        except OSError:  # another file system, or one without hard links
            shutil.copy2(source, tmp)


def _same_bytes_stamp(a: Path, b: Path) -> bool:
    sa, sb = a.stat(), b.stat()
    return sa.st_size == sb.st_size and sa.st_mtime_ns == sb.st_mtime_ns


def _remove_stale(folder: Path, figure_folders: set[str], scripts: set[str], media: set[str]) -> None:
    """Delete what an earlier page had and this one does not (old figure folders, clips, scripts)."""
    for path in (folder / "chapters").glob("*"):
        if path.is_dir() and not path.name.startswith(".") and path.name not in figure_folders:
            shutil.rmtree(path)
    for path in (folder / "static" / "figures").glob("*.js"):
        if f"figures/{path.name}" not in scripts:
            path.unlink()
    for path in [*(folder / "clips").glob("*"), folder / "video.mp4"]:
        if path.is_file() and path.relative_to(folder).as_posix() not in media:
            path.unlink()


def _sizes(folder: Path) -> tuple[int, int]:
    total = without_media = 0
    for path in folder.rglob("*"):
        if path.is_file():
            size = path.stat().st_size
            total += size
            if path.suffix not in (".mp4", ".vtt"):
                without_media += size
    return total, without_media
