"""The procedural captioned world that the embedded model `builtin:tiny-prx` is trained on.

One coloured shape (optionally a second, smaller one) on a solid or gradient background,
rendered with anti-aliased signed distance functions, vectorised in torch (CPU or CUDA).
Captions describe the scene at several levels of detail; about 10% are empty (the
unconditional branch for classifier-free guidance). A caption that leaves an attribute
out leaves it random.

`read_image` analyses an image (a render or a generated picture) back into attributes, and
`parse_caption` reads the attributes a caption states, so generated images can be scored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import torch

# Well separated in RGB (minimum pairwise distance about 100).
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 35),
    "orange": (250, 135, 20),
    "yellow": (245, 225, 40),
    "green": (40, 170, 60),
    "teal": (0, 140, 150),
    "blue": (35, 75, 225),
    "purple": (135, 45, 185),
    "pink": (250, 140, 200),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "brown": (125, 75, 30),
    "gray": (128, 128, 128),
}
COLOR_NAMES = list(COLORS)
OBJECT_COLORS = COLOR_NAMES
BACKGROUND_COLORS = COLOR_NAMES
SHAPES = ["circle", "square", "triangle", "star", "ring", "heart"]
SIZES = {"small": 0.12, "medium": 0.17, "large": 0.22}  # "radius" as a fraction of the width
SIZE_NAMES = list(SIZES)
# (x, y) centre as a fraction of the image, y down.
POSITIONS: dict[str, tuple[float, float]] = {
    "center": (0.5, 0.5),
    "left": (0.26, 0.5),
    "right": (0.74, 0.5),
    "top": (0.5, 0.26),
    "bottom": (0.5, 0.74),
    "top left": (0.26, 0.26),
    "top right": (0.74, 0.26),
    "bottom left": (0.26, 0.74),
    "bottom right": (0.74, 0.74),
}
POSITION_NAMES = list(POSITIONS)
POSITION_PHRASES = {
    "center": ["in the center", "in the middle"],
    "left": ["on the left"],
    "right": ["on the right"],
    "top": ["at the top"],
    "bottom": ["at the bottom"],
    "top left": ["at the top left", "in the top left corner"],
    "top right": ["at the top right", "in the top right corner"],
    "bottom left": ["at the bottom left", "in the bottom left corner"],
    "bottom right": ["at the bottom right", "in the bottom right corner"],
}
GRADIENTS = [None, "vertical", "horizontal"]
P_EMPTY = 0.10
P_SECOND = 0.15
_PALETTE = torch.tensor([COLORS[c] for c in COLOR_NAMES], dtype=torch.float32) / 255.0


@dataclass
class Scene:
    shape: str
    color: str
    background: str
    size: str = "medium"
    position: str = "center"
    gradient: str | None = None
    second: dict | None = None  # {"shape", "color", "position"}; always small
    jitter: tuple[float, float, float] = (0.0, 0.0, 0.0)  # dx, dy, relative size
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "shape": self.shape,
            "color": self.color,
            "background": self.background,
            "size": self.size,
            "position": self.position,
            "gradient": self.gradient,
            "second": self.second,
        }


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


# ---------------------------------------------------------------------------------------------
# Signed distance functions (negative inside), coordinates with y pointing up, unit "radius".


def _sd_circle(x, y):
    return torch.sqrt(x * x + y * y) - 1.0


def _sd_square(x, y):
    b = 0.86
    dx, dy = x.abs() - b, y.abs() - b
    out = torch.sqrt(dx.clamp(min=0) ** 2 + dy.clamp(min=0) ** 2)
    return out + torch.minimum(torch.maximum(dx, dy), torch.zeros_like(dx))


def _sd_triangle(x, y):
    # Equilateral triangle (Inigo Quilez), pointing up, circumradius about 1.1.
    r = 0.98
    k = math.sqrt(3.0)
    y = y + 0.18
    px = x.abs() - r
    py = y + r / k
    cond = (px + k * py) > 0
    nx = torch.where(cond, (px - k * py) / 2, px)
    ny = torch.where(cond, (-k * px - py) / 2, py)
    nx = nx - nx.clamp(min=-2 * r, max=0)
    return -torch.sqrt(nx * nx + ny * ny) * torch.sign(ny)


def _sd_star(x, y):
    r, rf = 1.1, 0.45
    k1x, k1y = 0.809016994375, -0.587785252292
    k2x, k2y = -k1x, k1y
    x = x.abs()
    d = (k1x * x + k1y * y).clamp(min=0)
    x, y = x - 2 * d * k1x, y - 2 * d * k1y
    d = (k2x * x + k2y * y).clamp(min=0)
    x, y = x - 2 * d * k2x, y - 2 * d * k2y
    x = x.abs()
    y = y - r
    bax, bay = rf * (-k1y) - 0.0, rf * k1x - 1.0
    h = ((x * bax + y * bay) / (bax * bax + bay * bay)).clamp(0, r)
    dx, dy = x - bax * h, y - bay * h
    return torch.sqrt(dx * dx + dy * dy) * torch.sign(y * bax - x * bay)


def _sd_ring(x, y):
    return (torch.sqrt(x * x + y * y) - 0.72).abs() - 0.28


def _sd_heart(x, y):
    s = 1.75
    x = x / s
    y = y / s + 0.55
    x = x.abs()
    d1 = torch.sqrt((x - 0.25) ** 2 + (y - 0.75) ** 2) - math.sqrt(2.0) / 4.0
    m = 0.5 * (x + y).clamp(min=0)
    d2 = torch.sqrt(torch.minimum(x * x + (y - 1.0) ** 2, (x - m) ** 2 + (y - m) ** 2)) * torch.sign(x - y)
    return torch.where((x + y) > 1.0, d1, d2) * s


_SDFS = [_sd_circle, _sd_square, _sd_triangle, _sd_star, _sd_ring, _sd_heart]


def _coverage(shape_idx, cx, cy, radius, size: int, device) -> torch.Tensor:
    """Anti-aliased coverage [N, S, S] of shapes with centres/radii given as fractions of the width.

    shape_idx is a CPU tensor: the rows are grouped by shape there, so that on a GPU the
    rendering queues without waiting for the device (no boolean indexing, no `.any()`)."""
    n = shape_idx.shape[0]
    coords = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size
    gx = coords.view(1, 1, size).expand(n, size, size)
    gy = coords.view(1, size, 1).expand(n, size, size)
    r = radius.view(n, 1, 1)
    x = (gx - cx.view(n, 1, 1)) / r
    y = -(gy - cy.view(n, 1, 1)) / r  # y up
    shape_idx = shape_idx.cpu()
    order = torch.argsort(shape_idx, stable=True)
    counts = torch.bincount(shape_idx, minlength=len(_SDFS)).tolist()
    order_dev = to_device(order, device)
    xs, ys = x.index_select(0, order_dev), y.index_select(0, order_dev)
    parts, start = [], 0
    for fn, k in zip(_SDFS, counts, strict=True):
        if k:
            parts.append(fn(xs[start : start + k], ys[start : start + k]))
        start += k
    sd = torch.empty(n, size, size, device=device).index_copy_(0, order_dev, torch.cat(parts))
    sd_px = sd * r * size  # distance in pixels
    return (0.5 - sd_px).clamp(0.0, 1.0)


def to_device(t: torch.Tensor, device) -> torch.Tensor:
    """A CPU tensor on `device`; to a GPU from pinned memory, without waiting for the copy."""
    device = torch.device(device)
    if device.type == "cpu":
        return t
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


_TABLES: dict[tuple[str, str], torch.Tensor] = {}


def _table(name: str, device) -> torch.Tensor:
    """Constant tables (palette, positions, sizes) on a device, copied there once."""
    key = (name, str(torch.device(device)))
    if key not in _TABLES:
        cpu = {
            "palette": _PALETTE,
            "positions": torch.tensor(list(POSITIONS.values()), dtype=torch.float32),
            "sizes": torch.tensor(list(SIZES.values()), dtype=torch.float32),
        }[name]
        _TABLES[key] = cpu.to(device)
    return _TABLES[key]


def _render(idx: dict[str, torch.Tensor], size: int, device) -> torch.Tensor:
    """Render from CPU index tensors (all length N) on `device`. Returns float [-1, 1] NCHW."""
    shape_cpu, shape2_cpu, any_second = idx["shape"], idx["shape2"], bool(idx["has_second"].any())
    idx = _index_to_device(idx, device)
    pal = _table("palette", device)
    n = idx["shape"].shape[0]
    bg = pal[idx["background"]]  # [N, 3]
    coords = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size
    t = (coords - 0.5) * 2  # -1..1
    grad = idx["gradient"]  # 0 none, 1 vertical (varies with y), 2 horizontal (varies with x)
    ramp_v = t.view(1, size, 1).expand(n, size, size)
    ramp_h = t.view(1, 1, size).expand(n, size, size)
    ramp = torch.where(
        (grad == 1).view(n, 1, 1), ramp_v, torch.where((grad == 2).view(n, 1, 1), ramp_h, torch.zeros_like(ramp_v))
    )
    ramp = ramp * idx["grad_sign"].view(n, 1, 1)
    amount = 0.22
    bgc = bg.view(n, 3, 1, 1)
    light = bgc + (1 - bgc) * amount
    dark = bgc * (1 - amount)
    rp = ramp.unsqueeze(1)
    img = torch.where(rp > 0, bgc + (light - bgc) * rp, bgc + (bgc - dark) * rp)
    # main object
    pos = _table("positions", device)
    sizes = _table("sizes", device)
    p = pos[idx["position"]]
    cx = p[:, 0] + idx["dx"]
    cy = p[:, 1] + idx["dy"]
    rad = sizes[idx["size"]] * (1 + idx["ds"])
    cov = _coverage(shape_cpu, cx, cy, rad, size, device).unsqueeze(1)
    col = (pal[idx["color"]] + idx["cjit"]).clamp(0, 1).view(n, 3, 1, 1)
    img = img * (1 - cov) + col * cov
    has2 = idx["has_second"]
    if any_second:
        p2 = pos[idx["position2"]]
        cov2 = _coverage(shape2_cpu, p2[:, 0], p2[:, 1], sizes[0].expand(n) * 0.85, size, device).unsqueeze(1)
        cov2 = cov2 * has2.view(n, 1, 1, 1).float()
        col2 = pal[idx["color2"]].view(n, 3, 1, 1)
        img = img * (1 - cov2) + col2 * cov2
    return img * 2 - 1


# Positions far enough apart for a second, small object next to the main one.
def _far_positions(main: str, main_size: str) -> list[str]:
    mx, my = POSITIONS[main]
    need = SIZES[main_size] + SIZES["small"] * 0.85 + 0.06
    return [k for k, (x, y) in POSITIONS.items() if math.hypot(x - mx, y - my) > need + 0.12]


def _pick(u: float, items: list):
    return items[min(int(u * len(items)), len(items) - 1)]


def make_caption(s: Scene, u: list[float]) -> str:
    """Caption of a scene; u are uniform numbers in [0, 1) that choose the level and phrasing."""
    if u[0] < P_EMPTY:
        return ""
    detailed = u[1] < 0.3
    say_color = detailed or u[2] < 0.65
    say_size = detailed or u[3] < 0.35
    say_pos = detailed or u[4] < 0.4
    say_bg = detailed or u[5] < 0.55
    words = []
    if say_size:
        words.append(s.size)
    if say_color:
        words.append(s.color)
    words.append(s.shape)
    noun = " ".join(words)
    bare = u[6] < 0.08 and not detailed
    text = noun if bare else f"{article(words[0])} {noun}"
    if say_pos:
        text += " " + _pick(u[7], POSITION_PHRASES[s.position])
    if say_bg:
        grad = " gradient" if (s.gradient and u[8] < 0.5) else ""
        style = u[9]
        if style < 0.5:
            text += f" on {article(s.background)} {s.background}{grad} background"
        elif style < 0.8:
            text += f" on {s.background}"
        else:
            text = f"{text}, {s.background}{grad} background"
    if s.second is not None and detailed and u[10] < 0.7:
        sec = s.second
        text += f" with a small {sec['color']} {sec['shape']} " + POSITION_PHRASES[sec["position"]][0]
    return text


def _sample_scenes(n: int, generator: torch.Generator) -> tuple[list[Scene], torch.Tensor]:
    gdev = generator.device
    u = torch.rand(n, 32, generator=generator, device=gdev).cpu().double().numpy()
    scenes = []
    for i in range(n):
        r = u[i]
        shape = _pick(r[0], SHAPES)
        color = _pick(r[1], OBJECT_COLORS)
        bg = _pick(r[2], [c for c in BACKGROUND_COLORS if c != color])
        size = _pick(r[3], SIZE_NAMES)
        pos = _pick(r[4], POSITION_NAMES)
        grad = _pick(r[5], GRADIENTS)
        second = None
        if r[6] < P_SECOND:
            far = _far_positions(pos, size)
            if far:
                second = {
                    "shape": _pick(r[7], SHAPES),
                    "color": _pick(r[8], [c for c in OBJECT_COLORS if c not in (color, bg)]),
                    "position": _pick(r[9], far),
                }
        jit = ((r[10] - 0.5) * 0.06, (r[11] - 0.5) * 0.06, (r[12] - 0.5) * 0.16)
        sc = Scene(shape, color, bg, size, pos, grad, second, jit)
        sc.extra = {"grad_sign": 1.0 if r[13] < 0.5 else -1.0, "cjit": [(r[14 + k] - 0.5) * 0.06 for k in range(3)]}
        scenes.append(sc)
    return scenes, torch.as_tensor(u[:, 20:], dtype=torch.float64)


_LONG_FIELDS = ("shape", "color", "background", "size", "position", "gradient", "shape2", "color2", "position2")
_FLOAT_FIELDS = ("grad_sign", "dx", "dy", "ds", "cjit_r", "cjit_g", "cjit_b", "has_second")


def _index_tensors(scenes: list[Scene]) -> dict[str, torch.Tensor]:
    """The scenes as CPU tensors of indices and offsets, one entry per scene."""

    def t(vals, dtype=torch.long):
        return torch.tensor(vals, dtype=dtype)

    f = torch.float32
    cjit = t([s.extra.get("cjit", [0.0, 0.0, 0.0]) for s in scenes], f).view(-1, 3)
    return {
        "shape": t([SHAPES.index(s.shape) for s in scenes]),
        "color": t([COLOR_NAMES.index(s.color) for s in scenes]),
        "background": t([COLOR_NAMES.index(s.background) for s in scenes]),
        "size": t([SIZE_NAMES.index(s.size) for s in scenes]),
        "position": t([POSITION_NAMES.index(s.position) for s in scenes]),
        "gradient": t([GRADIENTS.index(s.gradient) for s in scenes]),
        "grad_sign": t([s.extra.get("grad_sign", 1.0) for s in scenes], f),
        "dx": t([s.jitter[0] for s in scenes], f),
        "dy": t([s.jitter[1] for s in scenes], f),
        "ds": t([s.jitter[2] for s in scenes], f),
        "cjit_r": cjit[:, 0],
        "cjit_g": cjit[:, 1],
        "cjit_b": cjit[:, 2],
        "has_second": t([s.second is not None for s in scenes], torch.bool),
        "shape2": t([SHAPES.index(s.second["shape"]) if s.second else 0 for s in scenes]),
        "color2": t([COLOR_NAMES.index(s.second["color"]) if s.second else 0 for s in scenes]),
        "position2": t([POSITION_NAMES.index(s.second["position"]) if s.second else 0 for s in scenes]),
    }


def _index_to_device(idx: dict[str, torch.Tensor], device) -> dict[str, torch.Tensor]:
    """All index tensors in one copy (indices are exact in float32), split again on the device."""
    packed = torch.stack([idx[k].float() for k in _LONG_FIELDS + _FLOAT_FIELDS], 1)
    cols = to_device(packed, device).unbind(1)
    out = dict(zip(_LONG_FIELDS + _FLOAT_FIELDS, cols, strict=True))
    for k in _LONG_FIELDS:
        out[k] = out[k].long()
    out["has_second"] = out["has_second"] > 0.5
    out["cjit"] = torch.stack([out.pop("cjit_r"), out.pop("cjit_g"), out.pop("cjit_b")], 1)
    return out


def render_scenes(scenes: list[Scene], size: int, device="cpu") -> torch.Tensor:
    """Render scenes to float [-1, 1] NCHW."""
    return _render(_index_tensors(scenes), size, device)


def render_scene(attrs: dict | Scene, size: int = 64) -> np.ndarray:
    """Render one scene with fixed attributes (missing ones default: medium, center, solid)."""
    if isinstance(attrs, dict):
        a = dict(attrs)
        s = Scene(
            shape=a["shape"],
            color=a["color"],
            background=a["background"],
            size=a.get("size", "medium"),
            position=a.get("position", "center"),
            gradient=a.get("gradient"),
            second=a.get("second"),
        )
    else:
        s = attrs
    img = render_scenes([s], size)[0]
    return to_uint8(img)


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """float [-1, 1] CHW -> uint8 HWC."""
    return ((img.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()


def sample_batch(n: int, size: int, generator: torch.Generator, device="cpu", p_empty: float | None = None):
    """Fresh random scenes: (images float [-1,1] NCHW on device, captions, list of attribute dicts)."""
    scenes, u = _sample_scenes(n, generator)
    uu = u.numpy()
    captions = []
    for i, s in enumerate(scenes):
        row = list(uu[i])
        if p_empty is not None:
            row[0] = P_EMPTY if row[0] >= p_empty else 0.0
        captions.append(make_caption(s, row))
    imgs = render_scenes(scenes, size, device)
    return imgs, captions, [s.as_dict() for s in scenes]


# ---------------------------------------------------------------------------------------------
# Reading captions and images back


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
    rgb = np.asarray(rgb, dtype=np.float64).reshape(3)
    pal = np.array([COLORS[c] for c in COLOR_NAMES], dtype=np.float64)
    return COLOR_NAMES[int(np.argmin(((pal - rgb) ** 2).sum(1)))]


_TEMPLATE_RES = 24
_templates: np.ndarray | None = None


def _crop_resize(mask: np.ndarray, res: int = _TEMPLATE_RES) -> np.ndarray:
    ys, xs = np.nonzero(mask > 0.5)
    if len(ys) == 0:
        return np.zeros((res, res), np.float32)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = torch.from_numpy(mask[y0:y1, x0:x1].astype(np.float32))[None, None]
    out = torch.nn.functional.interpolate(crop, size=(res, res), mode="bilinear", align_corners=False)
    return out[0, 0].numpy()


def _get_templates() -> np.ndarray:
    global _templates
    if _templates is None:
        n = len(SHAPES)
        size = 96
        cov = _coverage(
            torch.arange(n), torch.full((n,), 0.5), torch.full((n,), 0.5), torch.full((n,), 0.3), size, "cpu"
        )
        _templates = np.stack([_crop_resize(c.numpy()) for c in cov])
    return _templates


def _components(mask: np.ndarray):
    from scipy import ndimage

    lab, k = ndimage.label(mask)
    if k == 0:
        return lab, []
    sizes = ndimage.sum(mask, lab, index=range(1, k + 1))
    return lab, sorted(range(1, k + 1), key=lambda i: -sizes[i - 1])


def read_image(img: np.ndarray) -> dict:
    """Analyse a uint8 HxWx3 image: background colour, object colour, shape and position.

    Background: nearest named colour of the border pixels' median (a linear fit across the
    border models gradients). Object: pixels far from that background; the largest connected
    component is the main object (the object's colour is the median of its core pixels, shape
    the best template match of its bounding-box-normalised mask, position its centroid)."""
    a = np.asarray(img).astype(np.float64)
    h, w, _ = a.shape
    b = max(1, h // 32)
    border = np.zeros((h, w), bool)
    border[:b], border[-b:], border[:, :b], border[:, -b:] = True, True, True, True
    yy, xx = np.mgrid[0:h, 0:w]
    yn, xn = (yy + 0.5) / h - 0.5, (xx + 0.5) / w - 0.5
    bpix = a[border]
    # robust linear fit of the background over the border: bg(x, y) = c0 + c1 x + c2 y
    A = np.stack([np.ones(border.sum()), xn[border], yn[border]], 1)
    keep = np.ones(len(bpix), bool)
    med = np.median(bpix, 0)
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(A[keep], bpix[keep], rcond=None)
        res = np.linalg.norm(bpix - A @ coef, axis=1)
        keep = res < max(25.0, np.percentile(res, 75) * 2)
    bgfit = np.stack([np.ones_like(xn), xn, yn], -1) @ coef
    background = nearest_color(np.clip(coef[0], 0, 255)) if keep.sum() > 0.5 * len(bpix) else nearest_color(med)
    dist = np.linalg.norm(a - bgfit, axis=-1)
    mask = dist > 45.0
    out = {"background": background, "color": None, "shape": None, "position": None}
    lab, comps = _components(mask)
    if not comps or (lab == comps[0]).sum() < max(4, h * w // 400):
        return out
    obj = lab == comps[0]
    # fill the holes of rings before template matching (the template keeps its hole)
    core = obj & (dist > 0.7 * np.percentile(dist[obj], 90))
    out["color"] = nearest_color(np.median(a[core if core.sum() >= 3 else obj], 0))
    cov = np.clip((dist - 15.0) / 60.0, 0, 1) * (obj | _dilate(obj))
    tm = _crop_resize(cov)
    temps = _get_templates()
    inter = np.minimum(temps, tm[None]).sum((1, 2))
    union = np.maximum(temps, tm[None]).sum((1, 2))
    out["shape"] = SHAPES[int(np.argmax(inter / np.maximum(union, 1e-6)))]
    # position from the centroid of the bounding box (robust to shape asymmetry)
    ys, xs = np.nonzero(obj)
    cx = (xs.min() + xs.max() + 1) / 2 / w
    cy = (ys.min() + ys.max() + 1) / 2 / h
    col = "left" if cx < 0.38 else "right" if cx > 0.62 else ""
    row = "top" if cy < 0.38 else "bottom" if cy > 0.62 else ""
    out["position"] = (f"{row} {col}".strip()) or "center"
    out["area"] = float(obj.mean())
    return out


def _dilate(m: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_dilation(m)


def caption_matches(caption: str, read: dict) -> dict[str, bool]:
    """Per stated attribute (bg, colour, shape, position): does the analysed image match it?"""
    want = parse_caption(caption)
    return {k: read.get(k) == v for k, v in want.items() if k in ("background", "color", "shape", "position")}
