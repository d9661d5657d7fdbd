"""Reading the procedural world back: the attributes a caption states, and those an image shows.

`parse_caption` reads a caption, `read_image` analyses an image (a render or a generated
picture) into background colour, object colour, shape and position, and `caption_matches`
compares the two, so generated images can be scored (`evaluate.py`).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import torch

from render.tiny_prx.shapes import coverage
from render.tiny_prx.world import COLOR_NAMES, COLORS, POSITION_NAMES, SHAPES, SIZES

_SHAPE_WORDS = {s: s for s in SHAPES}
_SHAPE_WORDS.update({s + "s": s for s in SHAPES})


def parse_caption(caption: str) -> dict:
    """Attributes a caption states: any of shape, color, background, size, position."""
    text = caption.lower().strip()
    main = re.split(r"\bwith\b", text)[0]
    out: dict = {}
    tokens = re.findall(r"[a-z]+", main)
    shape_i = None
    for i, tok in enumerate(tokens):
        if tok in _SHAPE_WORDS:
            out["shape"] = _SHAPE_WORDS[tok]
            shape_i = i
            break
    if shape_i is not None:
        for tok in tokens[max(0, shape_i - 3) : shape_i]:
            if tok in COLORS:
                out["color"] = tok
            if tok in SIZES:
                out["size"] = tok
            if tok == "grey":
                out["color"] = "gray"
        rest = tokens[shape_i + 1 :]
    else:
        rest = tokens
    # background: a colour after the shape, or a colour next to "background"
    for tok in rest:
        tok = "gray" if tok == "grey" else tok
        if tok in COLORS:
            out["background"] = tok
            break
    for name in sorted(POSITION_NAMES, key=len, reverse=True):
        pat = name.replace(" ", r"\s+")
        if re.search(rf"\b{pat}\b", main) or (name == "center" and re.search(r"\b(middle|centre)\b", main)):
            out["position"] = name
            break
    return out


def nearest_color(rgb) -> str:
    """The name of the palette colour nearest to an RGB triple (0-255)."""
    rgb = np.asarray(rgb, dtype=np.float64).reshape(3)
    pal = np.array([COLORS[c] for c in COLOR_NAMES], dtype=np.float64)
    return COLOR_NAMES[int(np.argmin(((pal - rgb) ** 2).sum(1)))]


_TEMPLATE_RES = 24
OBJECT_DISTANCE = 45.0  # RGB distance from the fitted background beyond which a pixel is part of an object


def _crop_resize(mask: np.ndarray, res: int = _TEMPLATE_RES) -> np.ndarray:
    """The bounding box of a mask's pixels above 0.5, resized to res x res."""
    ys, xs = np.nonzero(mask > 0.5)
    if len(ys) == 0:
        return np.zeros((res, res), np.float32)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = torch.from_numpy(mask[y0:y1, x0:x1].astype(np.float32))[None, None]
    out = torch.nn.functional.interpolate(crop, size=(res, res), mode="bilinear", align_corners=False)
    return out[0, 0].numpy()


# Edge softness (Gaussian sigma, pixels) of the templates an object is compared with: a generated
# object's edge is often softer than the world's one-pixel anti-aliasing, and softness fills a small
# star's notches, so a sharp star template would fit it worse than a sharp circle does.
EDGE_SOFTNESS = (0.0, 0.5, 1.0)
_TEMPLATE_MAX_EXTENT = 96


@functools.cache
def _templates(extent: int, softness: float) -> np.ndarray:
    """Every shape drawn as an object of `extent` pixels (its bounding box's larger side) with edges
    blurred by `softness`, cropped and resized like `_crop_resize` does to an object [shapes, res, res]."""
    from scipy import ndimage

    n, size = len(SHAPES), 2 * extent + 8
    radius = torch.tensor([extent / (_unit_extent(s) * size) for s in SHAPES], dtype=torch.float32)
    half = torch.full((n,), 0.5)
    cov = coverage(torch.arange(n), half, half, radius, size, "cpu").numpy()
    if softness:
        cov = np.stack([ndimage.gaussian_filter(c, softness, mode="constant") for c in cov])
    return np.stack([_crop_resize(c) for c in cov])


def _components(mask: np.ndarray):
    """Connected components of a mask: (labels, their ids from largest to smallest)."""
    from scipy import ndimage

    lab, k = ndimage.label(mask)
    if k == 0:
        return lab, []
    sizes = ndimage.sum(mask, lab, index=range(1, k + 1))
    return lab, sorted(range(1, k + 1), key=lambda i: -sizes[i - 1])


def _fit_background(a: np.ndarray) -> tuple[str, np.ndarray]:
    """The background's colour name and its fitted colour at every pixel [H, W, 3].

    A robust linear fit over the border pixels, bg(x, y) = c0 + c1 x + c2 y, models gradients;
    when most border pixels do not fit it (an object on the border), their median names the colour."""
    h, w, _ = a.shape
    b = max(1, h // 32)
    border = np.zeros((h, w), bool)
    border[:b], border[-b:], border[:, :b], border[:, -b:] = True, True, True, True
    yy, xx = np.mgrid[0:h, 0:w]
    yn, xn = (yy + 0.5) / h - 0.5, (xx + 0.5) / w - 0.5
    bpix = a[border]
    A = np.stack([np.ones(border.sum()), xn[border], yn[border]], 1)
    keep = np.ones(len(bpix), bool)
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(A[keep], bpix[keep], rcond=None)
        res = np.linalg.norm(bpix - A @ coef, axis=1)
        keep = res < max(25.0, np.percentile(res, 75) * 2)
    fitted = np.stack([np.ones_like(xn), xn, yn], -1) @ coef
    if keep.sum() > 0.5 * len(bpix):
        return nearest_color(np.clip(coef[0], 0, 255)), fitted
    return nearest_color(np.median(bpix, 0)), fitted


def _shape_of(obj: np.ndarray, a: np.ndarray, fitted: np.ndarray, color: np.ndarray) -> str:
    """The shape whose template best overlaps (intersection over union) the object's soft mask.

    A pixel's coverage is where it lies between the background's colour (0) and the object's (1):
    its distance from the one over the sum of both distances. The world draws an edge pixel as
    such a blend, so the edge comes out as drawn; a patch of a third colour (a ring's hole darker
    than the background around it) counts by which of the two it is nearer, not as object merely
    for being far from the background. The templates are drawn at the object's own size, at each
    of the `EDGE_SOFTNESS` blurs; a shape scores its best fit over them."""
    from scipy import ndimage

    to_bg = np.linalg.norm(a - fitted, axis=-1)
    to_obj = np.linalg.norm(a - color, axis=-1)
    # over the object and a one-pixel rim (the anti-aliased edge), cropped to its bounding box like the templates
    cov = to_bg / np.maximum(to_bg + to_obj, 1e-6) * (obj | ndimage.binary_dilation(obj))
    ys, xs = np.nonzero(cov > 0.5)
    if len(ys) == 0:
        ys, xs = np.nonzero(obj)
    extent = int(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1))
    drawn = min(extent, _TEMPLATE_MAX_EXTENT)  # a large object's templates drawn smaller, their blur with them
    tm = _crop_resize(cov)
    best = np.zeros(len(SHAPES))
    for softness in EDGE_SOFTNESS:
        temps = _templates(drawn, softness * drawn / extent)
        inter = np.minimum(temps, tm[None]).sum((1, 2))
        union = np.maximum(temps, tm[None]).sum((1, 2))
        best = np.maximum(best, inter / np.maximum(union, 1e-6))
    return SHAPES[int(np.argmax(best))]


def _position_of(obj: np.ndarray) -> str:
    """The position name of the object's bounding-box centre (robust to the shape's asymmetry)."""
    h, w = obj.shape
    ys, xs = np.nonzero(obj)
    cx = (xs.min() + xs.max() + 1) / 2 / w
    cy = (ys.min() + ys.max() + 1) / 2 / h
    col = "left" if cx < 0.38 else "right" if cx > 0.62 else ""
    row = "top" if cy < 0.38 else "bottom" if cy > 0.62 else ""
    return f"{row} {col}".strip() or "center"


def read_image(img: np.ndarray) -> dict:
    """Analyse a uint8 HxWx3 image: background colour, object colour, shape and position.

    Background: nearest named colour of the border pixels' median (a linear fit across the
    border models gradients). Object: pixels far from that background; the largest connected
    component is the main object (the object's colour is the median of its core pixels, shape
    the best template match of its bounding-box-normalised mask, position its centroid)."""
    a = np.asarray(img).astype(np.float64)
    h, w, _ = a.shape
    # 1. Background, and every pixel's distance from it
    background, fitted = _fit_background(a)
    dist = np.linalg.norm(a - fitted, axis=-1)
    out = {"background": background, "color": None, "shape": None, "position": None}

    # 2. The main object: the largest component of the pixels far from the background
    lab, comps = _components(dist > OBJECT_DISTANCE)
    if not comps or (lab == comps[0]).sum() < max(4, h * w // 400):
        return out
    obj = lab == comps[0]

    # 3. Its colour (from its core, away from the blended edge), shape and position
    core = obj & (dist > 0.7 * np.percentile(dist[obj], 90))
    color = np.median(a[core if core.sum() >= 3 else obj], 0)
    out["color"] = nearest_color(color)
    out["shape"] = _shape_of(obj, a, fitted, color)
    out["position"] = _position_of(obj)
    out["area"] = float(obj.mean())
    return out


SPECK_GAP = 2  # pixels between the object and a blob for the blob to count as apart from it


def specks(img: np.ndarray) -> int:
    """How many small off-colour specks lie apart from the main object: connected groups of at least
    two pixels (at 64 px; more at larger sizes) that differ from the background like an object does,
    more than SPECK_GAP pixels away from the largest such group (the object itself)."""
    from scipy import ndimage

    a = np.asarray(img).astype(np.float64)
    h, w, _ = a.shape
    _, fitted = _fit_background(a)
    lab, comps = _components(np.linalg.norm(a - fitted, axis=-1) > OBJECT_DISTANCE)
    if len(comps) < 2:
        return 0
    near = ndimage.binary_dilation(lab == comps[0], iterations=max(1, SPECK_GAP * h // 64))
    least = max(2, 2 * (h // 64) ** 2)
    return sum(1 for c in comps[1:] if (lab == c).sum() >= least and not (near & (lab == c)).any())


def caption_matches(caption: str, read: dict) -> dict[str, bool]:
    """Per stated attribute (bg, colour, shape, position): does the analysed image match it?"""
    want = parse_caption(caption)
    return {k: read.get(k) == v for k, v in want.items() if k in ("background", "color", "shape", "position")}


def size_of(obj: np.ndarray, shape: str) -> str:
    """The size name whose radius best explains the object's extent (its bounding box's larger side,
    against the extent of the shape drawn at unit radius)."""
    h, w = obj.shape
    ys, xs = np.nonzero(obj)
    extent = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) / w
    radius = extent / _unit_extent(shape)
    return min(SIZES, key=lambda name: abs(np.log(SIZES[name] / radius)))


@functools.cache
def _unit_extent(shape: str) -> float:
    """The larger side of a shape's bounding box when drawn at radius 1 (in radii)."""
    n = 256
    cov = coverage(torch.tensor([SHAPES.index(shape)]), torch.tensor([0.5]), torch.tensor([0.5]), torch.tensor([0.25]),
                   n, "cpu")[0].numpy()  # fmt: skip
    ys, xs = np.nonzero(cov > 0.5)
    return max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) / n / 0.25


class WorldReader:
    """The embedded model's reader (render/kinds/base.py `Reader`): what a picture of the procedural
    world shows, and what a prompt asks of it."""

    attributes = ("shape", "color", "background", "position", "size")

    def read(self, image: np.ndarray) -> dict:
        """shape, color, background, position and size of the largest object (None: no object)."""
        a = np.asarray(image).astype(np.float64)
        out = read_image(image)
        out["size"] = None
        if out["shape"] is not None:
            background, fitted = _fit_background(a)
            lab, comps = _components(np.linalg.norm(a - fitted, axis=-1) > OBJECT_DISTANCE)
            out["size"] = size_of(lab == comps[0], out["shape"])
        return {k: out.get(k) for k in self.attributes}

    def asked(self, prompt: str) -> dict:
        """The attributes a prompt states."""
        return parse_caption(prompt)
