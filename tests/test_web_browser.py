"""The web page in a real browser: a small storyboard with every kind (and one from outside the package,
which has no figure) rendered with `render --web`, then opened in Chromium from disk and from a server.

The model is the embedded `builtin:tiny-prx` at 3 steps (a few seconds on a CPU): a randomly
initialised pipeline would draw the same grey image for every prompt, and the sliders over prompts
(words, interpolation, guidance) could then not show that they change the image.

Each figure must mount without a console error, each slider moved with the keyboard must change the
pixels of its image, the narrated clip must play with its subtitles, and the page must fit a phone.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from conftest import outside_caption_kind
from helpers_browser import PageProblems, changed_share, chromium, pixels
from helpers_video import run_cli, storyboard_data, write_storyboard

from render.engine.cache import CACHE_ENV

pytestmark = pytest.mark.slow

PROMPT = "a red circle"
GROUPS = {"circles": ["a red circle", "a blue circle"], "stars": ["a star", "a green star"]}


def chapter(kind: str, **params) -> dict:
    narration = [f"A first beat about the {kind} chapter.", "And a second beat, a little longer than the first."]
    return {"id": kind.replace("_", "-"), "kind": kind, "title": f"The {kind} chapter", "narration": narration,
            **params}  # fmt: skip


CHAPTERS = [
    chapter("noise_sampling", samples=4),
    chapter("denoising", prompt=PROMPT),
    chapter("latent_space", prompt=PROMPT),
    chapter("embedding_map", groups=GROUPS, highlight="a yellow heart", method="pca"),
    chapter("seed_comparison", prompt=PROMPT, seeds=[1, 2]),
    chapter("step_comparison", prompt=PROMPT, step_counts=[1, 3]),
    chapter("prompt_detail", prompts=["a shape", "a red circle on blue"], seeds=[1, 2]),
    chapter("prompt_length", prompt="a red circle"),
    chapter("interpolation", from_prompt=PROMPT, to_prompt="a green star", points=3),
    chapter("guidance_comparison", prompt=PROMPT, guidance_scales=[1.0, 8.0]),
    chapter("summary", prompt=PROMPT),
    chapter("caption", prompt=PROMPT),  # tests/data/outside_kind: a kind without a web figure
]
WITH_FIGURE = [c["id"] for c in CHAPTERS if c["kind"] != "caption"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The web folder of the storyboard above, rendered by the command line (low quality, silent voice)."""
    root = tmp_path_factory.mktemp("web")
    data = storyboard_data("builtin:tiny-prx", CHAPTERS, steps=3, voice="none")
    data["defaults"] |= {"width": None, "height": None}  # the model's own size
    storyboard = write_storyboard(root / "project" / "explorer.yaml", data)
    with pytest.MonkeyPatch.context() as mp, outside_caption_kind():
        mp.delenv(CACHE_ENV, raising=False)
        args = ["--cache", root / "cache", "--out", root / "out", "--quality", "low", "--jobs", "2", "--web"]
        code, log = run_cli("render", storyboard, *args)
    assert code == 0, log
    return root / "out" / "web"


@pytest.fixture(scope="module")
def browser():
    with chromium() as context:
        yield context


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def open_page(page, url: str) -> PageProblems:
    """Load the page, scroll every section into view and wait until every figure is drawn."""
    problems = PageProblems(page)
    page.goto(url)
    for section in page.locator("section.chapter").all():
        section.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => [...document.querySelectorAll('section.chapter')]
             .every(s => !s.querySelector('.figure') || ['true', 'error'].includes(s.dataset.ready))""",
        timeout=20_000,
    )
    return problems


def figure(page, chapter_id: str):
    return page.locator(f"section#{chapter_id} .figure")


def test_every_section_has_its_figure_and_no_errors(page, site):
    problems = open_page(page, (site / "index.html").as_uri())
    ids = page.eval_on_selector_all("section.chapter", "sections => sections.map(s => s.id)")
    assert ids == [c["id"] for c in CHAPTERS]
    ready = page.eval_on_selector_all("section.chapter", "sections => sections.map(s => s.dataset.ready || null)")
    assert ready == ["true"] * len(WITH_FIGURE) + [None]
    for chapter_id in WITH_FIGURE:
        drawn = figure(page, chapter_id).locator("canvas, svg")
        assert drawn.count() >= 1, chapter_id
    caption = page.locator("section#caption")  # no figure, never blank: its title, narration and clip
    assert caption.locator("h2").inner_text().endswith("The caption chapter")
    assert caption.locator(".narration").inner_text().startswith("A first beat about the caption chapter.")
    assert "no interactive figure" in caption.locator(".no-figure").inner_text()
    assert caption.locator("video track").count() == 1
    assert problems.messages == []


@pytest.mark.parametrize(
    "chapter_id", [c for c in WITH_FIGURE if c not in ("noise-sampling", "embedding-map", "step-comparison")]
)
def test_each_slider_moved_by_keyboard_changes_the_image(page, site, chapter_id):
    open_page(page, (site / "index.html").as_uri())
    image = figure(page, chapter_id).locator("canvas").first
    sliders = figure(page, chapter_id).locator("input[type=range]").all()
    assert sliders, f"{chapter_id} has no slider"
    for slider in sliders:
        slider.focus()
        page.keyboard.press("End")
        before, value = pixels(image), slider.get_attribute("aria-valuetext")
        page.keyboard.press("ArrowLeft")
        assert slider.get_attribute("aria-valuetext") != value
        assert changed_share(before, pixels(image)) > 0, f"{chapter_id}: {value} -> one step back changed nothing"
        focused = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert focused != "none", "the focused slider must show where the keyboard is"


def test_choosing_a_step_count_by_keyboard_changes_the_images(page, site):
    open_page(page, (site / "index.html").as_uri())
    steps = figure(page, "step-comparison")
    run = steps.locator("canvas").nth(1)  # the chosen run, state after state
    steps.locator("input[type=radio]:checked").focus()
    before = pixels(run)
    page.keyboard.press("ArrowLeft")
    assert steps.locator("input[type=radio]:checked").get_attribute("value") == "0"
    assert changed_share(before, pixels(run)) > 0


def test_embedding_map_names_the_prompt_under_focus(page, site):
    open_page(page, (site / "index.html").as_uri())
    embedding = figure(page, "embedding-map")
    assert "a yellow heart" in embedding.locator("svg").text_content()  # the highlight is labelled
    embedding.locator(".point").first.focus()
    assert "“a red circle”: group “circles”" in embedding.locator(".readout").inner_text()
    page.keyboard.press("Tab")
    assert "“a blue circle”" in embedding.locator(".readout").inner_text()
    embedding.locator(".point").nth(2).hover()
    assert "“a star”: group “stars”" in embedding.locator(".readout").inner_text()


def test_noise_flickers_until_paused(page, site):
    open_page(page, (site / "index.html").as_uri())
    noise = figure(page, "noise-sampling")
    noise.scroll_into_view_if_needed()
    canvas = noise.locator("canvas")
    first = pixels(canvas)
    page.wait_for_timeout(200)
    assert changed_share(first, pixels(canvas)) > 0.5  # fresh random pixels
    noise.locator("button.play").focus()
    page.keyboard.press("Enter")
    assert noise.locator("button.play").get_attribute("aria-pressed") == "false"
    paused = pixels(canvas)
    page.wait_for_timeout(200)
    assert changed_share(paused, pixels(canvas)) == 0


def test_play_steps_through_the_journey(page, site):
    open_page(page, (site / "index.html").as_uri())
    denoising = figure(page, "denoising")
    slider = denoising.locator("input[type=range]")
    slider.focus()
    page.keyboard.press("Home")
    denoising.locator("button.play").click()
    page.wait_for_function("s => Number(s.value) === Number(s.max)", arg=slider.element_handle(), timeout=5000)
    assert denoising.locator("button.play").get_attribute("aria-pressed") == "false"  # stops at the end


def play_clip(page, chapter_id: str) -> dict:
    """Open a section's clip, play it (muted, as autoplay rules allow) for a second; what it did."""
    page.locator(f"section#{chapter_id} details.clip summary").click()
    return page.evaluate(
        """async (id) => {
            const video = document.querySelector(`section#${id} video`);
            video.muted = true;
            await video.play();
            await new Promise(r => setTimeout(r, 1200));
            video.pause();
            const track = video.textTracks[0];
            return {time: video.currentTime, cues: track.cues ? track.cues.length : 0, mode: track.mode,
                    src: video.querySelector('track').src};
        }""",
        chapter_id,
    )


def test_clip_plays_with_its_subtitles_from_disk(page, site):
    problems = open_page(page, (site / "index.html").as_uri())
    played = play_clip(page, "denoising")
    assert played["time"] > 0.3 and played["cues"] >= 1 and played["mode"] == "showing"
    assert played["src"].startswith("blob:")  # a page opened from disk may not load the .vtt file itself
    assert problems.messages == []


def test_served_by_a_static_server(page, site):
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        problems = open_page(page, f"http://127.0.0.1:{server.server_address[1]}/")
        played = play_clip(page, "denoising")
        assert played["time"] > 0.3 and played["cues"] >= 1 and played["src"].endswith("02-denoising.vtt")
        assert problems.messages == []
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@pytest.mark.parametrize("width", [390, 1920])
def test_layout_fits_the_screen(page, site, width):
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, (site / "index.html").as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    widest = page.eval_on_selector_all(
        ".figure canvas, .figure svg, video, input", "els => Math.max(...els.map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= width


def test_export_web_after_a_render_rewrites_no_figure(site, tmp_path):
    """`export --web --no-clips` on a rendered folder: every figure reused, the media gone, the page still whole."""
    root = site.parent.parent
    out = shutil.copytree(root / "out", tmp_path / "out", copy_function=os.link)
    with outside_caption_kind():
        code, log = run_cli(
            "export", root / "project" / "explorer.yaml", "--web", "--no-clips", "--cache", root / "cache", "--out", out
        )
    assert code == 0, log
    assert f"0 chapter figures written, {len(WITH_FIGURE)} up to date, 1 without one (caption)" in log
    web = out / "web"
    assert not any((web / "clips").iterdir()) and not (web / "video.mp4").exists()
    html = (web / "index.html").read_text()
    assert "<video" not in html and 'href="../video.mp4"' in html
    assert sorted(p.name for p in (web / "chapters").iterdir()) == sorted(p.name for p in (site / "chapters").iterdir())


def test_render_web_no_clips_leaves_the_clips_out(site, tmp_path):
    """`render --web --no-clips` (everything cached): the light page, as `export --web --no-clips` makes it."""
    root = site.parent.parent
    out = shutil.copytree(root / "out", tmp_path / "out", copy_function=os.link)
    storyboard = root / "project" / "explorer.yaml"
    with outside_caption_kind():
        code, log = run_cli("render", storyboard, "--web", "--no-clips", "--cache", root / "cache", "--out", out,
                            "--quality", "low")  # fmt: skip
    assert code == 0, log
    web = out / "web"
    assert not any((web / "clips").iterdir()) and not (web / "video.mp4").exists()
    assert "<video" not in (web / "index.html").read_text()
