"""The procedural captioned world that the embedded model `builtin:tiny-prx` is trained on.

One coloured shape (optionally a second, smaller one) on a solid or gradient background,
rendered with anti-aliased signed distance functions (`shapes.py`), vectorised in torch (CPU
or CUDA). Captions describe the scene at several levels of detail; about 10% are empty (the
unconditional branch for classifier-free guidance). A caption that leaves an attribute out
leaves it random.

`reading.py` reads images and captions back into these attributes, so generated images can be scored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from render.tiny_prx.devices import to_device
from render.tiny_prx.shapes import SDFS, coverage

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
SHAPES = list(SDFS)  # circle, square, triangle, star, ring, heart
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
    """One picture of the world: its attributes (names from the tables above) and small random offsets."""

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
        """The attributes a caption can state, and the background style and second object."""
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
    """The indefinite article for a word ("a" or "an")."""
    return "an" if word[:1] in "aeiou" else "a"


# ---------------------------------------------------------------------------------------------
# Captions and random scenes


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


def _sample_scenes(n: int, generator: torch.Generator) -> tuple[list[Scene], np.ndarray]:
    """n random scenes, and per scene the uniform numbers [n, 12] that choose its caption."""
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
    return scenes, u[:, 20:]


# ---------------------------------------------------------------------------------------------
# Rendering scenes


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


def _backgrounds(idx: dict[str, torch.Tensor], size: int, device) -> torch.Tensor:
    """Solid or gradient backgrounds [N, 3, S, S] in [0, 1]: a gradient runs from 22% lighter to
    22% darker than the named colour, vertically or horizontally, either way round."""
    bg = _table("palette", device)[idx["background"]]  # [N, 3]
    n = bg.shape[0]
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
    return torch.where(rp > 0, bgc + (light - bgc) * rp, bgc + (bgc - dark) * rp)


def _paint(img: torch.Tensor, cover: torch.Tensor, color: torch.Tensor) -> torch.Tensor:
    """Images [N, 3, S, S] with one colour per image [N, 3] laid over them where `cover` [N, S, S] says."""
    cov = cover.unsqueeze(1)
    return img * (1 - cov) + color.view(-1, 3, 1, 1) * cov


def _render(idx: dict[str, torch.Tensor], size: int, device) -> torch.Tensor:
    """Render from CPU index tensors (all length N) on `device`. Returns float [-1, 1] NCHW."""
    # 1. Indices to the device in one copy (the shapes stay on the CPU to group the rows by shape)
    shape_cpu, shape2_cpu, any_second = idx["shape"], idx["shape2"], bool(idx["has_second"].any())
    idx = _index_to_device(idx, device)
    pal, pos, sizes = _table("palette", device), _table("positions", device), _table("sizes", device)
    n = idx["shape"].shape[0]

    # 2. Background
    img = _backgrounds(idx, size, device)

    # 3. The main object, jittered in place, size and colour
    p = pos[idx["position"]]
    rad = sizes[idx["size"]] * (1 + idx["ds"])
    cov = coverage(shape_cpu, p[:, 0] + idx["dx"], p[:, 1] + idx["dy"], rad, size, device)
    img = _paint(img, cov, (pal[idx["color"]] + idx["cjit"]).clamp(0, 1))

    # 4. The second, small object, in the scenes that have one
    if any_second:
        p2 = pos[idx["position2"]]
        cov2 = coverage(shape2_cpu, p2[:, 0], p2[:, 1], sizes[0].expand(n) * 0.85, size, device)
        img = _paint(img, cov2 * idx["has_second"].view(n, 1, 1).float(), pal[idx["color2"]])
    return img * 2 - 1


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


def sample_batch(
    n: int, size: int, generator: torch.Generator, device="cpu"
) -> tuple[torch.Tensor, list[str], list[dict]]:
    """Fresh random scenes: (images float [-1,1] NCHW on device, captions, list of attribute dicts)."""
    scenes, u = _sample_scenes(n, generator)
    captions = [make_caption(s, list(row)) for s, row in zip(scenes, u, strict=True)]
    imgs = render_scenes(scenes, size, device)
    return imgs, captions, [s.as_dict() for s in scenes]
