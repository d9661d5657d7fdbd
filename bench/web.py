"""The web page of a storyboard: its size without clips, and how soon its first figure is interactive.

    .venv/bin/python bench/web.py storyboard.yaml [--cache DIR] [--out DIR] [--runs 5] [--screenshot docs/web.png]

1. `noise2image export STORYBOARD --web --no-clips` in a fresh process writes <out>/web/ from the
   last render (it renders first if there is none); timed.
2. Size: every byte under web/ (no clips: the light page), per chapter figure, against the budget.
3. Time, in Chromium (Debian's, headless, a fresh profile for every run) opening index.html from
   disk: milliseconds from navigation start to the mark "n2i-first-interactive", which the page's
   runtime sets once the first figure has drawn from its sprite sheets. The baseline, measured in
   the same command and alternated with it, is the same page without its scripts (its text only)
   until its load event: the ratio says what the figures add on this machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "tests"))

from end_to_end import noise2image  # noqa: E402
from helpers_browser import chromium  # noqa: E402
from render_speed import machine  # noqa: E402

BUDGET_BYTES = 10_000_000
BUDGET_MS = 1000


def export_web(storyboard: Path, extra: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    cmd = [*noise2image(), "export", str(storyboard), "--web", "--no-clips", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"export failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start, proc.stderr


def sizes(web: Path) -> tuple[int, dict[str, int]]:
    total = sum(p.stat().st_size for p in web.rglob("*") if p.is_file() and not p.name.startswith(".bench"))
    figures = {d.name: sum(p.stat().st_size for p in d.iterdir()) for d in sorted((web / "chapters").iterdir())}
    return total, figures


def first_interactive_ms(page, url: str) -> float:
    page.goto(url)
    page.wait_for_function("performance.getEntriesByName('n2i-first-interactive').length > 0", timeout=30_000)
    return page.evaluate("performance.getEntriesByName('n2i-first-interactive')[0].startTime")


def text_only_load_ms(page, url: str) -> float:
    page.goto(url, wait_until="load")
    return page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")


def screenshot(web: Path, target: Path) -> None:
    """The top of the page down to the end of the second chapter's figure, at 1280 px."""
    with chromium((1280, 900)) as browser:
        page = browser.new_page()
        page.goto((web / "index.html").as_uri())
        second = page.locator("section.chapter").nth(1)
        second.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelectorAll('section.chapter')[1].dataset.ready === 'true'")
        step = second.locator("input[type=range]").first  # a step where noise and picture meet
        step.evaluate("e => { e.value = 9; e.dispatchEvent(new Event('input')); }")
        page.evaluate("window.scrollTo(0, 0)")
        bottom = second.locator(".figure").bounding_box()["y"] + second.locator(".figure").bounding_box()["height"]
        page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": 1280, "height": bottom + 24}, full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("storyboard", type=Path)
    parser.add_argument("--cache", help="the render's cache folder")
    parser.add_argument("--out", type=Path, help="the render's output folder (default: build/<name>)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, help="also save a screenshot of the page's top here")
    args = parser.parse_args()
    extra = [*(["--cache", args.cache] if args.cache else []), *(["--out", str(args.out)] if args.out else [])]
    out = args.out or args.storyboard.resolve().parent / "build" / args.storyboard.stem
    web = out / "web"

    print(f"# {datetime.date.today()} {machine()}")
    wall, log = export_web(args.storyboard, extra)
    print(f"export --web --no-clips: {wall:.1f} s ({log.strip().splitlines()[-1]})")
    total, figures = sizes(web)
    for name, size in figures.items():
        print(f"  {name}: {size / 1e3:.0f} kB")
    share = total / BUDGET_BYTES
    print(f"size without clips: {total / 1e6:.2f} MB ({share:.2f} of the {BUDGET_BYTES / 1e6:.0f} MB budget)")

    html = (web / "index.html").read_text(encoding="utf-8")
    baseline = web / ".bench-text-only.html"
    baseline.write_text(re.sub(r"<script\b[^>]*>.*?</script>\n?", "", html, flags=re.S), encoding="utf-8")
    interactive, text_only = [], []
    try:
        for _ in range(args.runs):  # alternated, each in a fresh browser with a fresh profile
            with chromium((1280, 900)) as browser:
                text_only.append(text_only_load_ms(browser.new_page(), baseline.as_uri()))
            with chromium((1280, 900)) as browser:
                interactive.append(first_interactive_ms(browser.new_page(), (web / "index.html").as_uri()))
    finally:
        baseline.unlink()
    first, plain = statistics.median(interactive), statistics.median(text_only)
    print(f"first section interactive from file://: median {first:.0f} ms over {args.runs} runs "
          f"({', '.join(f'{t:.0f}' for t in interactive)}); target <= {BUDGET_MS} ms")  # fmt: skip
    print(f"baseline, the same page as text only (load event): median {plain:.0f} ms; ratio {first / plain:.2f}")
    if args.screenshot:
        screenshot(web, args.screenshot)
        print(f"screenshot: {args.screenshot}")


if __name__ == "__main__":
    main()
