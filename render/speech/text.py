"""Text to speak: normalised so every engine reads it sensibly and nothing in it is ever interpreted."""

from __future__ import annotations

import re
import unicodedata

_SPOKEN_SYMBOLS = {
    "&": " and ",
    "%": " percent ",
    "+": " plus ",
    "=": " equals ",
    "@": " at ",
    "<": " less than ",
    ">": " greater than ",
    "≈": " approximately ",
    "≤": " at most ",
    "≥": " at least ",
    "→": " to ",
    "←": " from ",
    "×": " times ",
    "÷": " divided by ",
    "°": " degrees ",
    "±": " plus or minus ",
    "…": ". ",
    "–": ", ",
    "—": ", ",
}
# Markup, code and shell characters: skipped (spoken as a pause, never interpreted).
_SKIPPED = set('{}[]$`|\\^~*_#"')
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def normalize_text(text: str) -> str:
    """Make `text` safe and sensible to speak.

    Unicode is folded (NFKC), emoji and other pictographs are dropped, HTML-like tags are
    removed, symbols with a spoken form are spelled out ("&" -> "and", "50%" -> "50 percent",
    "$5" -> "5 dollars", "512x512" -> "512 by 512") and markup or shell characters are skipped.
    Digits are left to the phonemiser, which reads them as numbers. The result is only ever
    passed to the engines as data (a Python string or a program's stdin), never to a shell.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = re.sub(r"</?[A-Za-z][^<>]{0,60}>", " ", text)  # <b>, </i>, <br/>: markup, not words
    text = re.sub(r"(\d)\s*[x×]\s*(\d)", r"\1 by \2", text)
    text = re.sub(r"\$\s?(\d+(?:,\d{3})*(?:\.\d+)?)", r"\1 dollars", text)
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _SPOKEN_SYMBOLS:
            out.append(_SPOKEN_SYMBOLS[ch])
        elif ch in _SKIPPED:
            out.append(" ")
        elif ch.isspace() or category.startswith("Z"):
            out.append(" ")
        elif category[0] == "C" or category in ("So", "Sk", "Sm"):
            out.append(" ")  # controls, emoji, pictographs, unspoken math symbols
        else:
            out.append(ch)
    text = "".join(out)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def speakable(text: str) -> bool:
    """True if `text` has anything to say (a letter or a digit)."""
    return any(ch.isalnum() for ch in text)


def split_sentences(text: str) -> list[str]:
    """The speakable sentences of `text`."""
    return [s for s in re.split(r"(?<=[.!?;:])\s+", text) if speakable(s)]


def count_words(text: str) -> int:
    return len(re.findall(r"\w+", text))
