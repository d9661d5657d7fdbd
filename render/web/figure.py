"""How a chapter kind appears on the web page: its figure's data and the script that draws it.

A kind offers a figure by setting its `web` attribute (render/kinds/base.py) to a `WebFigure`:

    web = WebFigure(build=figure, script=FIGURE_SCRIPTS / "denoising.js")  # `figure` beside the kind

`build(info, arrays, sprites)` receives the chapter data bundle (chapter.json as a dict, the arrays
of arrays.npz) and returns the figure's JSON: plain numbers and text, with images passed through
`sprites.add(name, images)`, which writes them as sprite sheets and returns the reference the
script reads. The script is a classic browser script that registers the drawing function,
`N2I.figure("<kind>", (root, data, kit) => ...)` (render/web/static/n2i.js documents `kit`).

A kind without a figure (`web = None`, the default) still gets its section: title, narration
and narrated clip.
"""

from __future__ import annotations

import inspect
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

STATIC_DIR = Path(__file__).resolve().parent / "static"
FIGURE_SCRIPTS = STATIC_DIR / "figures"

SHEET_SIDE = 4096
"""Largest side of one sprite sheet in pixels: a browser decodes a whole sheet when it first draws from it,
so big grids are split into several sheets (WebP itself allows 16383)."""

WEBP_QUALITY = 80
"""Lossy WebP quality of image sheets: the default storyboard's 870 images take about 1 MB."""

LOSSLESS_BELOW = 64
"""Images smaller than this (pixels on their longer side) are stored losslessly: lossy WebP codes 16-pixel
blocks, which costs a tiny image most of its detail while lossless costs it few bytes."""


@dataclass(frozen=True)
class WebFigure:
    """A kind's interactive figure: `build` makes its JSON and sprite sheets, `script` draws it."""

    build: Callable[[dict[str, Any], dict[str, np.ndarray], Sprites], dict[str, Any]]
    script: Path

    @property
    def build_file(self) -> Path:
        """The file of `build`: its code decides the figure's JSON and sprites (part of their key)."""
        return Path(inspect.getfile(self.build))


class Sprites:
    """Writes a figure's images into `folder` as sprite sheets and says where each image is."""

    def __init__(self, folder: Path, quality: int = WEBP_QUALITY):
        self.folder = Path(folder)
        self.quality = quality
        self.written: list[Path] = []

    def add(self, name: str, images: np.ndarray, *, lossless: bool = False, pixelated: bool = True) -> dict[str, Any]:
        """Write `images` (uint8 [..., H, W, 3]) as `name-K.webp` sheets; returns their reference.

        The reference holds `sheets` (file names), `width`, `height`, `columns` and `per_sheet`
        (images per sheet, row by row), `shape` (the leading dimensions of `images`: image
        [i, j] is number i * shape[1] + j) and `pixelated`: enlarged pixel by pixel (nearest
        neighbour), as the video shows a model's small images (the default), or smoothed.
        `lossless` images (small latents) and images under `LOSSLESS_BELOW` pixels are stored
        losslessly.
        """
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim < 4 or images.shape[-1] != 3:
            got = f"{images.dtype} {images.shape}"
            raise ValueError(f"sprites {name!r}: expected uint8 images [..., H, W, 3], got {got}")
        lead, (height, width) = list(images.shape[:-3]), images.shape[-3:-1]
        flat = images.reshape(-1, height, width, 3)
        if flat.shape[0] == 0:
            raise ValueError(f"sprites {name!r}: no images")
        max_columns, max_rows = max(1, SHEET_SIDE // width), max(1, SHEET_SIDE // height)
        per_sheet = min(flat.shape[0], max_columns * max_rows)
        columns = min(max_columns, math.ceil(math.sqrt(per_sheet)))
        sheets = []
        for k, start in enumerate(range(0, flat.shape[0], per_sheet)):
            file = f"{name}-{k}.webp"
            exact = lossless or max(height, width) < LOSSLESS_BELOW
            self._write_sheet(self.folder / file, flat[start : start + per_sheet], columns, exact)
            sheets.append(file)
        return {
            "sheets": sheets,
            "width": int(width),
            "height": int(height),
            "columns": columns,
            "per_sheet": per_sheet,
            "shape": lead,
            "pixelated": pixelated,
        }

    def _write_sheet(self, path: Path, images: np.ndarray, columns: int, lossless: bool) -> None:
        from PIL import Image

        n, h, w, _ = images.shape
        rows = math.ceil(n / columns)
        sheet = np.zeros((rows * h, columns * w, 3), np.uint8)
        for i, image in enumerate(images):
            r, c = divmod(i, columns)
            sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = image
        buffer = io.BytesIO()
        options = {"lossless": True} if lossless else {"quality": self.quality}
        Image.fromarray(sheet).save(buffer, "WEBP", method=4, **options)
        path.write_bytes(buffer.getvalue())
        self.written.append(path)


def read_sprite(folder: Path, ref: dict[str, Any], index: int) -> np.ndarray:
    """Image number `index` (flat, row by row) of a sprite reference, decoded: uint8 [H, W, 3].

    What the page's script does with drawImage, in Python (the tests compare it with the bundle).
    """
    from PIL import Image

    sheet, within = divmod(index, ref["per_sheet"])
    r, c = divmod(within, ref["columns"])
    w, h = ref["width"], ref["height"]
    with Image.open(Path(folder) / ref["sheets"][sheet]) as image:
        return np.asarray(image.convert("RGB"))[r * h : (r + 1) * h, c * w : (c + 1) * w]


def rounded(values: Any, digits: int = 4) -> Any:
    """Numbers (an array, a list, a scalar) rounded for JSON: the figure needs no more precision."""
    array = np.asarray(values, np.float64)
    return np.round(array, digits).tolist()


def pick(info: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The named entries of chapter.json, as a figure passes them on unchanged."""
    return {key: info[key] for key in keys}
