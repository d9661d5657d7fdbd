"""Measurements of pictures that the kinds' facts are made of (numpy only).

Distances are on a 0..1 scale (uint8 images divided by 255). "Layout" compares pictures blurred to
an 8 x 8 grid (where the colours are); "edges" compares their gradients (how sharp the shapes are).
What a picture shows (a shape, a colour) comes from the model's reader (render/kinds/base.py
`Reader`); without one those measures are None.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

SETTLED = 0.04  # RMS distance (0..1) under which two pictures count as the same picture
LAYOUT_CELLS = 8


def as_float(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def rms(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance of two uint8 images on a 0..1 scale."""
    d = as_float(a) - as_float(b)
    return float(np.sqrt(np.mean(d * d)))


def layout(image: np.ndarray, cells: int = LAYOUT_CELLS) -> np.ndarray:
    """The picture averaged over a cells x cells grid [cells, cells, 3]: its colours and layout, no edges."""
    x = as_float(image)
    h, w = x.shape[:2]
    ys, xs = np.linspace(0, h, cells + 1).astype(int), np.linspace(0, w, cells + 1).astype(int)
    return np.array(
        [[x[ys[i] : ys[i + 1], xs[j] : xs[j + 1]].mean((0, 1)) for j in range(cells)] for i in range(cells)]
    )


def layout_distance(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance of two pictures' layouts (0..1)."""
    return float(np.sqrt(np.mean((layout(a) - layout(b)) ** 2)))


def gradients(image: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the grey picture [H-1, W-1] (0..1 per pixel step)."""
    g = as_float(image).mean(-1)
    gx, gy = g[:-1, 1:] - g[:-1, :-1], g[1:, :-1] - g[:-1, :-1]
    return np.sqrt(gx * gx + gy * gy)


def edge_energy(image: np.ndarray) -> float:
    """Mean gradient magnitude: how much sharp change a picture holds (noise and harsh edges score high)."""
    return float(gradients(image).mean())


def edge_distance(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance of two pictures' gradient maps (0..1): where their edges differ."""
    return float(np.sqrt(np.mean((gradients(a) - gradients(b)) ** 2)))


def neighbour_correlation(image: np.ndarray, lag: int = 1) -> float:
    """Correlation of pixel values `lag` pixels apart (across and down, averaged): about 0 for static,
    near 1 for smooth pictures."""
    x = as_float(image).mean(-1)
    pairs = [(x[:, :-lag], x[:, lag:]), (x[:-lag, :], x[lag:, :])]
    values = []
    for a, b in pairs:
        a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
        denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
        values.append(float((a * b).sum()) / denominator if denominator > 0 else 1.0)
    return float(np.mean(values))


def clipped_share(image: np.ndarray) -> float:
    """The share of colour values at the ends of the range (0 or 255): harsh, oversaturated pixels."""
    x = np.asarray(image)
    return float(np.mean((x == 0) | (x == 255)))


def saturation(image: np.ndarray) -> float:
    """Mean HSV saturation (0..1) of a uint8 RGB image (or a stack of them)."""
    x = as_float(image)
    mx, mn = x.max(axis=-1), x.min(axis=-1)
    return float(np.where(mx > 1e-6, (mx - mn) / np.maximum(mx, 1e-6), 0.0).mean())


def mean_pairwise(images: Sequence[np.ndarray]) -> float:
    """Mean RMS distance over all pairs of images (0 for fewer than two)."""
    pairs = list(combinations(range(len(images)), 2))
    return float(np.mean([rms(images[i], images[j]) for i, j in pairs])) if pairs else 0.0


def min_pairwise(images: Sequence[np.ndarray]) -> float:
    """The smallest RMS distance between two of the images (0 for fewer than two)."""
    pairs = list(combinations(range(len(images)), 2))
    return float(min(rms(images[i], images[j]) for i, j in pairs)) if pairs else 0.0


# ---- what pictures show (needs the model's reader) -------------------------------------------------


def matches(reader, image: np.ndarray, prompt: str) -> dict[str, bool] | None:
    """For each attribute the prompt names: does the picture show it? (None without a reader)."""
    if reader is None:
        return None
    asked, seen = reader.asked(prompt), reader.read(image)
    return {k: seen.get(k) == v for k, v in asked.items()}


def shows_prompt(reader, image: np.ndarray, prompt: str) -> bool | None:
    """True if the picture shows everything the prompt names (None without a reader)."""
    m = matches(reader, image, prompt)
    return None if m is None else all(m.values())


def share_showing(reader, images: Sequence[np.ndarray], prompt: str) -> float | None:
    """The share of pictures that show everything the prompt names (None without a reader)."""
    if reader is None or not len(images):
        return None
    return float(np.mean([bool(shows_prompt(reader, im, prompt)) for im in images]))


def count_showing(reader, images: Sequence[np.ndarray], prompt: str) -> int | None:
    """How many pictures show everything the prompt names (None without a reader)."""
    if reader is None:
        return None
    return sum(bool(shows_prompt(reader, im, prompt)) for im in images)


VARIETY_ATTRIBUTES = ("shape", "color", "background", "position", "size")


def attribute_variety(readings: Sequence[dict[str, Any]], attributes=VARIETY_ATTRIBUTES) -> float:
    """How many choices were left open: over the attributes, the mean share of picture pairs that
    differ in it (0: every picture the same; 1: every pair differs in every attribute)."""
    pairs = list(combinations(range(len(readings)), 2))
    if not pairs:
        return 0.0
    return float(np.mean([np.mean([readings[i][a] != readings[j][a] for i, j in pairs]) for a in attributes]))


def distinct(readings: Sequence[dict[str, Any]], attribute: str) -> list[Any]:
    """The different values of one attribute among the readings, in order of first appearance."""
    return list(dict.fromkeys(r[attribute] for r in readings if r.get(attribute) is not None))


def described(reading: dict[str, Any]) -> str:
    """A reading in words: 'a large red circle on blue' (what is not seen is left out)."""
    if reading.get("shape") is None:
        return f"no clear shape on {reading['background']}" if reading.get("background") else "no clear shape"
    words = [reading.get("size"), reading.get("color"), reading["shape"]]
    noun = " ".join(w for w in words if w)
    article = "an" if noun[:1] in "aeiou" else "a"
    on = f" on {reading['background']}" if reading.get("background") else ""
    return f"{article} {noun}{on}"
