"""Chromium, driven by Playwright, for the web page's tests and benchmark.

Debian's `chromium` (installed by scripts/bootstrap.sh) is the browser: Playwright's own browser
download needs the network. Each launch gets a fresh profile folder and the switches that keep a
headless Chromium from calling out (this machine refuses outbound connections); the sandbox is off
because the tests run as root.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium(viewport: tuple[int, int] = (1280, 900)) -> Iterator:
    """A headless Chromium browser context with a fresh profile (Playwright's BrowserContext)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run scripts/bootstrap.sh (it installs Debian's chromium)")
    with tempfile.TemporaryDirectory(prefix="n2i-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        try:
            yield context
        finally:
            context.close()


class PageProblems:
    """Console errors and uncaught exceptions of a page, collected as they happen."""

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        page.on("console", lambda m: self.messages.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.messages.append(f"uncaught: {e}"))


def pixels(locator) -> np.ndarray:
    """A screenshot of one element, as uint8 RGB [H, W, 3]."""
    from PIL import Image

    with Image.open(io.BytesIO(locator.screenshot(animations="disabled"))) as image:
        return np.asarray(image.convert("RGB"))


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    """The share of pixels that differ between two screenshots of the same element (1.0 if the sizes differ)."""
    if a.shape != b.shape:
        return 1.0
    return float(np.any(a != b, axis=-1).mean())
