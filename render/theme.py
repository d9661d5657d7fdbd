"""The colours of the video's themes as plain data, for what must not import Manim: the web page.

The page's CSS variables (`--background`, `--series-0`, ...) are written from these at page-writing
time (`css_variables`), so the page cannot drift from the video. scenes/look.py, which imports
Manim, holds the scenes' `Theme` with the same colours; tests/test_web.py checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThemeColours:
    """Colours of one visual theme (hex strings): the fields of scenes/look.py's `Theme`."""

    name: str
    background: str
    text: str
    muted: str
    accent: str
    panel: str
    palette: tuple[str, ...]  # groups and series (seeds, prompt groups, ...), distinguishable on the background


THEMES = {
    "dark": ThemeColours(
        name="dark",
        background="#101218",
        text="#ECECF1",
        muted="#9CA3AF",
        accent="#FFB454",
        panel="#1D212B",
        palette=("#5AB4FF", "#FF7A85", "#7EE08A", "#FFC857", "#C792EA", "#4FD1C5", "#F78C6C", "#A3BE8C"),
    ),
    "light": ThemeColours(
        name="light",
        background="#FAFAF7",
        text="#1B1D22",
        muted="#5E6470",
        accent="#D9480F",
        panel="#ECECE6",
        palette=("#1F6FD1", "#C92A3A", "#2B8A3E", "#B7791F", "#7B3FBF", "#0F8A84", "#C2410C", "#4D7C0F"),
    ),
}
DEFAULT_THEME = "dark"  # the page's colours before its `data-theme` is read


def css_variables(themes: dict[str, ThemeColours] = THEMES) -> str:
    """One CSS rule per theme, `[data-theme="NAME"]`, setting the page's colour variables; the default theme's
    rule also applies to `:root`."""
    rules = []
    for theme in themes.values():
        selector = (
            f':root,\n[data-theme="{theme.name}"]' if theme.name == DEFAULT_THEME else f'[data-theme="{theme.name}"]'
        )
        lines = [f"  color-scheme: {theme.name};"]
        lines += [
            f"  --{name}: {getattr(theme, name).lower()};"
            for name in ("background", "text", "muted", "accent", "panel")
        ]
        lines += [f"  --series-{k}: {colour.lower()};" for k, colour in enumerate(theme.palette)]
        rules.append(selector + " {\n" + "\n".join(lines) + "\n}\n")
    return "\n".join(rules)
