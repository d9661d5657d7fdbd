"""Counts in messages read as English: "1 chapter", "2 chapters" (render/words.py)."""

from render.web.page import Page, Section, page_html
from render.words import plural


def test_plural_is_singular_for_one_only():
    assert plural(1, "chapter") == "1 chapter"
    assert [plural(n, "chapter") for n in (0, 2)] == ["0 chapters", "2 chapters"]
    assert plural(1, "trajectory", "trajectories") == "1 trajectory"
    assert plural(3, "trajectory", "trajectories") == "3 trajectories"
    assert plural(2.0, "CPU") == "2 CPUs" and plural(1.0, "GPU") == "1 GPU" and plural(0.5, "CPU") == "0.5 CPUs"


def test_a_one_chapter_page_says_one_chapter_and_one_minute():
    section = Section("only", "denoising", "Only", ["A few words."], None, None, None)
    html = page_html(Page("T", "dark", "m", [section], "n2i.js", "n2i.css", None))
    assert "1 chapter, about 1 minute of narration." in html
