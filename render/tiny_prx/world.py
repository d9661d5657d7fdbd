"""The procedural captioned world that the embedded model `builtin:tiny-prx` is trained on.

One coloured shape on a solid background, rendered with anti-aliased signed distance functions
(`shapes.py`), vectorised in torch (CPU or CUDA). Captions describe the scene at several levels of
detail; about 10% are empty (the unconditional branch for classifier-free guidance). A caption
that leaves an attribute out leaves it random. The world is kept this plain on purpose: every
picture is one object the narration can name, and a model small enough to train on two CPU
cores can learn all of it.

`reading.py` reads images and captions back into these attributes, so generated images can be scored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from render.tiny_prx.devices import to_device
from render.tiny_prx.shapes import SDFS, coverage

# Well separated in RGB (minimum pairwise distance about 100). Every channel lies inside 10..245, so that
# an object's colour shifted by up to 3% (about 8 of 255) never reaches 0 or 255: a picture of this world
# has no clipped values, and the clipped values of a generated one are the model's (the guidance
# chapter's oversaturation), not the palette's.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 35),
    "orange": (245, 135, 20),
    "yellow": (245, 225, 40),
    "green": (40, 170, 60),
    "teal": (10, 140, 150),
    "blue": (35, 75, 225),
    "purple": (135, 45, 185),
    "pink": (245, 140, 200),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "brown": (125, 75, 30),
    "gray": (128, 128, 128),
}
COLOR_NAMES = list(COLORS)
OBJECT_COLORS = COLOR_NAMES
BACKGROUND_COLORS = COLOR_NAMES
SHAPES = list(SDFS)  # circle, square, triangle, star, ring, heart
# How often each shape is drawn in training, relative to the others: the star twice as often. Its thin
# arms are the detail the model learns last (and loses first: read as a circle when unsure), and it is the
# shape the default storyboard draws most ("a star" over eight seeds, the orange star). The evaluation's
# prompts stay uniform over the shapes.
SHAPE_WEIGHTS = {k: 2.0 if k == "star" else 1.0 for k in SHAPES}
# "radius" as a fraction of the width: at 64 px a small star's arms are still a few pixels wide
SIZES = {"small": 0.16, "medium": 0.19, "large": 0.23}
SIZE_NAMES = list(SIZES)
# (x, y) centre as a fraction of the image, y down: on the corners of the transformer's tokens (a
# quarter of the width apart, for the cpu preset's 4x4 tokens), so that an object moved from one
# place to another is the same pattern of tokens moved by whole tokens, and what the model learns
# about outlines in the center holds everywhere (measured: bench/results/tiny_prx_design-cpu-2026-12-02-b.txt).
# A large star in a corner still fits in the picture.
POSITIONS: dict[str, tuple[float, float]] = {
    "center": (0.5, 0.5),
    "left": (0.25, 0.5),
    "right": (0.75, 0.5),
    "top": (0.5, 0.25),
    "bottom": (0.5, 0.75),
    "top left": (0.25, 0.25),
    "top right": (0.75, 0.25),
    "bottom left": (0.25, 0.75),
    "bottom right": (0.75, 0.75),
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
P_EMPTY = 0.10
_PALETTE = torch.tensor([COLORS[c] for c in COLOR_NAMES], dtype=torch.float32) / 255.0


@dataclass
class Scene:
    """One picture of the world: its attributes (names from the tables above), and a small shift of the
    object's colour (per channel, uniform +-3%)."""

    shape: str
    color: str
    background: str
    size: str = "medium"
    position: str = "center"
    color_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def as_dict(self) -> dict:
        """The attributes a caption can state."""
        return {
            "shape": self.shape,
            "color": self.color,
            "background": self.background,
            "size": self.size,
            "position": self.position,
        }


def article(word: str) -> str:
    """The indefinite article for a word ("a" or "an")."""
    return "an" if word[:1] in "aeiou" else "a"


# ---------------------------------------------------------------------------------------------
# Captions and random scenes


def _pick(u: float, items: list):
    return items[min(int(u * len(items)), len(items) - 1)]


def _pick_weighted(u: float, weights: dict[str, float]) -> str:
    """The key whose share of the total weight holds u (uniform in [0, 1))."""
    total, edge = sum(weights.values()), 0.0
    for key, w in weights.items():
        edge += w / total
        if u < edge:
            return key
    return key


def _levels(u) -> tuple[bool, bool, bool, bool, bool]:
    """What a caption says, from its uniform numbers u: (detailed, colour, size, position, background)."""
    detailed = u[1] < 0.3
    return detailed, detailed or u[2] < 0.65, detailed or u[3] < 0.35, detailed or u[4] < 0.4, detailed or u[5] < 0.55


def make_caption(s: Scene, u: list[float]) -> str:
    """Caption of a scene; u are uniform numbers in [0, 1) that choose the level and phrasing."""
    if u[0] < P_EMPTY:
        return ""
    detailed, say_color, say_size, say_pos, say_bg = _levels(u)
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
        style = u[9]
        if style < 0.5:
            text += f" on {article(s.background)} {s.background} background"
        elif style < 0.8:
            text += f" on {s.background}"
        else:
            text = f"{text}, {s.background} background"
    return text


def _sample_scenes(n: int, generator: torch.Generator, fixed: dict | None = None) -> tuple[list[Scene], np.ndarray]:
    """n random scenes, and per scene the uniform numbers [n, 12] that choose its caption; `fixed`
    gives the size and position every scene takes (e.g. {"size": "large", "position": "center"})."""
    gdev = generator.device
    u = torch.rand(n, 32, generator=generator, device=gdev).cpu().double().numpy()
    scenes = []
    for i in range(n):
        r = u[i]
        shape = _pick_weighted(r[0], SHAPE_WEIGHTS)
        color = _pick(r[1], OBJECT_COLORS)
        bg = _pick(r[2], [c for c in BACKGROUND_COLORS if c != color])
        size = _pick(r[3], SIZE_NAMES)
        pos = _pick(r[4], POSITION_NAMES)
        if fixed:
            size, pos = fixed.get("size", size), fixed.get("position", pos)
        offset = tuple((r[14 + k] - 0.5) * 0.06 for k in range(3))
        scenes.append(Scene(shape, color, bg, size, pos, offset))
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
    """Solid backgrounds [N, 3, S, S] in [0, 1] of the named colours."""
    bg = _table("palette", device)[idx["background"]]  # [N, 3]
    return bg.view(-1, 3, 1, 1).expand(-1, 3, size, size).clone()


def _paint(img: torch.Tensor, cover: torch.Tensor, color: torch.Tensor) -> torch.Tensor:
    """Images [N, 3, S, S] with one colour per image [N, 3] laid over them where `cover` [N, S, S] says."""
    cov = cover.unsqueeze(1)
    return img * (1 - cov) + color.view(-1, 3, 1, 1) * cov


def _render(idx: dict[str, torch.Tensor], size: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Render from CPU index tensors (all length N) on `device`: images float [-1, 1] NCHW, and the
    object's coverage [N, S, S] (0..1)."""
    # 1. Indices to the device in one copy (the shapes stay on the CPU to group the rows by shape)
    shape_cpu = idx["shape"]
    idx = _index_to_device(idx, device)
    pal, pos, sizes = _table("palette", device), _table("positions", device), _table("sizes", device)

    # 2. Background
    img = _backgrounds(idx, size, device)

    # 3. The main object, its colour shifted a little
    p = pos[idx["position"]]
    cov = coverage(shape_cpu, p[:, 0], p[:, 1], sizes[idx["size"]], size, device)
    img = _paint(img, cov, (pal[idx["color"]] + idx["cjit"]).clamp(0, 1))
    return img * 2 - 1, cov


_LONG_FIELDS = ("shape", "color", "background", "size", "position")
_FLOAT_FIELDS = ("cjit_r", "cjit_g", "cjit_b")


def _index_tensors(scenes: list[Scene]) -> dict[str, torch.Tensor]:
    """The scenes as CPU tensors of indices and colour offsets, one entry per scene."""

    def t(vals, dtype=torch.long):
        return torch.tensor(vals, dtype=dtype)

    f = torch.float32
    cjit = t([s.color_offset for s in scenes], f).view(-1, 3)
    return {
        "shape": t([SHAPES.index(s.shape) for s in scenes]),
        "color": t([COLOR_NAMES.index(s.color) for s in scenes]),
        "background": t([COLOR_NAMES.index(s.background) for s in scenes]),
        "size": t([SIZE_NAMES.index(s.size) for s in scenes]),
        "position": t([POSITION_NAMES.index(s.position) for s in scenes]),
        "cjit_r": cjit[:, 0],
        "cjit_g": cjit[:, 1],
        "cjit_b": cjit[:, 2],
    }


def _index_to_device(idx: dict[str, torch.Tensor], device) -> dict[str, torch.Tensor]:
    """All index tensors in one copy (indices are exact in float32), split again on the device."""
    packed = torch.stack([idx[k].float() for k in _LONG_FIELDS + _FLOAT_FIELDS], 1)
    cols = to_device(packed, device).unbind(1)
    out = dict(zip(_LONG_FIELDS + _FLOAT_FIELDS, cols, strict=True))
    for k in _LONG_FIELDS:
        out[k] = out[k].long()
    out["cjit"] = torch.stack([out.pop("cjit_r"), out.pop("cjit_g"), out.pop("cjit_b")], 1)
    return out


def render_scenes(scenes: list[Scene], size: int, device="cpu") -> torch.Tensor:
    """Render scenes to float [-1, 1] NCHW."""
    return _render(_index_tensors(scenes), size, device)[0]


def render_scene(attrs: dict | Scene, size: int = 64) -> np.ndarray:
    """Render one scene with fixed attributes (missing ones default: medium, center)."""
    if isinstance(attrs, dict):
        a = dict(attrs)
        s = Scene(
            shape=a["shape"],
            color=a["color"],
            background=a["background"],
            size=a.get("size", "medium"),
            position=a.get("position", "center"),
        )
    else:
        s = attrs
    img = render_scenes([s], size)[0]
    return to_uint8(img)


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """float [-1, 1] CHW -> uint8 HWC."""
    return ((img.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()


def _as_told(s: Scene, u: np.ndarray, wrong_shape: float) -> Scene:
    """The scene as its caption tells it: in a share `wrong_shape` of the captions that name the object's
    colour or place (u[10] below it), another shape than the one drawn (u[11] picks which among the
    others); nothing else is ever told wrong. A vague caption ("a star") is always told right: it carries
    no other word that draws the object, and the model must still draw the shape it names."""
    _, say_color, _, say_pos, _ = _levels(u)
    if u[10] >= wrong_shape or not (say_color or say_pos):
        return s
    return replace(s, shape=_pick(u[11], [k for k in SHAPES if k != s.shape]))


def sample_batch(
    n: int, size: int, generator: torch.Generator, device="cpu"
) -> tuple[torch.Tensor, list[str], list[dict]]:
    """Fresh random scenes: (images float [-1,1] NCHW on device, captions, list of attribute dicts)."""
    imgs, captions, attrs, _ = sample_batch_with_masks(n, size, generator, device)
    return imgs, captions, attrs


def sample_batch_with_masks(
    n: int,
    size: int,
    generator: torch.Generator,
    device="cpu",
    fixed: dict | None = None,
    wrong_shape: float = 0.0,
) -> tuple[torch.Tensor, list[str], list[dict], torch.Tensor]:
    """`sample_batch` and where each object is: its coverage [N, S, S] (0..1) on the device. With
    `fixed`, every scene takes those attributes (size and position; the captions say them as usual).
    A share `wrong_shape` of the captions name another shape than the one drawn (as web captions
    miss what their picture shows); the attributes returned are those drawn."""
    scenes, u = _sample_scenes(n, generator, fixed)
    captions = [make_caption(_as_told(s, row, wrong_shape), list(row)) for s, row in zip(scenes, u, strict=True)]
    imgs, cover = _render(_index_tensors(scenes), size, device)
    return imgs, captions, [s.as_dict() for s in scenes], cover
