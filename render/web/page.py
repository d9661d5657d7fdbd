"""The page's HTML: a title, then one section per chapter (title, narration, figure, narrated clip).

Everything a reader needs without JavaScript is in the HTML itself (titles, narration, clips);
n2i.js adds the figures: when a section nears the viewport it loads the section's figure script
and JSON index (named by the figure's `data-script` and `data-index`) and draws it, so the first
figure does not wait for the others. Scripts are classic scripts and each chapter's JSON index
arrives as a script (`index.js`) because a page opened from disk (file://) may neither fetch files
nor load ES modules in Chromium; for the same reason the subtitles are also embedded as text
(a `<track>` may not load a .vtt file from disk), and n2i.js picks the .vtt file or the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from render.chapter_data import ESTIMATED_WORDS_PER_SECOND
from render.words import plural


@dataclass(frozen=True)
class Clip:
    """A chapter's narrated clip on the page: paths relative to the page, its subtitles, its length."""

    video: str
    subtitles: str
    subtitles_text: str  # the same WebVTT, for pages opened from disk
    duration: float


@dataclass(frozen=True)
class Section:
    """One chapter as the page shows it."""

    id: str
    kind: str
    title: str
    narration: list[str]
    index: str | None  # the chapter's index.js, relative to the page; None: no figure
    script: str | None  # the figure's drawing script, relative to the page (with a version query)
    clip: Clip | None


@dataclass(frozen=True)
class Page:
    title: str
    theme: str
    model: str
    sections: list[Section]
    runtime: str  # n2i.js, relative to the page (with a version query)
    stylesheet: str
    video: str | None  # the full video, relative to the page
    credit: str | None = None  # what made the pictures (the video ends with the same words)


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _attrs(**values: str) -> str:
    return "".join(f' {name.replace("_", "-")}="{escape(value)}"' for name, value in values.items())


def _section_html(number: int, section: Section, has_video: bool) -> str:
    anchor = escape(section.id)
    parts = [
        f'<section class="chapter" id="{anchor}"{_attrs(data_kind=section.kind)} aria-labelledby="{anchor}-title">',
        f'<h2 id="{anchor}-title"><span class="number">{number}</span> {escape(section.title)}</h2>',
        '<div class="narration">' + "".join(f"<p>{escape(beat)}</p>" for beat in section.narration) + "</div>",
    ]
    if section.index is not None and section.script is not None:
        figure = _attrs(data_figure=section.kind, data_script=section.script, data_index=section.index)
        parts.append(
            f'<div class="figure"{figure} role="group"'
            f' aria-label="Interactive figure: {escape(section.title)}">'
            '<p class="figure-note">The interactive figure needs JavaScript.</p></div>'
        )
    else:
        where = "its narrated clip" if section.clip else ("the video" if has_video else "the narration above")
        parts.append(f'<p class="figure-note no-figure">This chapter has no interactive figure: {where} shows it.</p>')
    if section.clip is not None:
        clip = section.clip
        parts.append(
            '<details class="clip">'
            f"<summary>Watch the narrated clip ({_clock(clip.duration)})</summary>"
            f'<video controls preload="none" playsinline{_attrs(src=clip.video)}>'
            f'<track kind="subtitles" srclang="en" label="English" default{_attrs(data_src=clip.subtitles)}>'
            "</video>"
            f'<p class="figure-note"><a{_attrs(href=clip.video)}>Video file</a>,'
            f" <a{_attrs(href=clip.subtitles)}>subtitles</a></p>"
            f'<script type="text/vtt" class="subtitles">{clip.subtitles_text}</script>'
            "</details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def page_html(page: Page) -> str:
    """The whole page (UTF-8 HTML)."""
    toc = "".join(f'<li><a href="#{escape(s.id)}">{escape(s.title)}</a></li>' for s in page.sections)
    words = sum(len(beat.split()) for s in page.sections for beat in s.narration)
    minutes = max(1, round(words / ESTIMATED_WORDS_PER_SECOND / 60))
    video = (
        f' Watch the <a class="video-link"{_attrs(href=page.video)}>narrated video</a>, or play each chapter below.'
        if page.video
        else ""
    )
    sections = "\n".join(_section_html(k + 1, s, page.video is not None) for k, s in enumerate(page.sections))
    credit = f'<p class="credit">{escape(page.credit)}</p>' if page.credit else ""
    return f"""<!doctype html>
<html lang="en" data-theme="{escape(page.theme)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="noise2image">
<title>{escape(page.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet"{_attrs(href=page.stylesheet)}>
</head>
<body>
<header class="intro">
<h1>{escape(page.title)}</h1>
<p class="lede">Every image on this page was made by a real diffusion model ({escape(page.model)}), recorded step
by step. Drag the controls to explore it; sliders also take the arrow keys.{video}</p>
<p class="reading-time">{plural(len(page.sections), "chapter")}, about {plural(minutes, "minute")} of narration.</p>
<nav aria-label="Chapters"><ol class="toc">{toc}</ol></nav>
</header>
<main>
{sections}
</main>
<footer><p>Made with noise2image from one storyboard: the same chapters as the narrated video.</p>{credit}</footer>
<script{_attrs(src=page.runtime)}></script>
</body>
</html>
"""
