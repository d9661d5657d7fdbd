"""The world's shapes as anti-aliased signed distance functions, vectorised in torch (CPU or CUDA).

`SDFS` names every shape the world draws, in the order of its shape indices; `coverage` draws
a batch of them, one per row, each at its own centre and size.
"""

from __future__ import annotations

import math

import torch

from render.tiny_prx.devices import to_device

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


def _sd_star(x, y, inner=0.45):
    # `inner` sets how far in the notches between the arms lie (larger: plumper arms)
    r, rf = 1.1, inner
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


# Every shape, by name, in the order of the shape indices that `coverage` takes.
SDFS = {
    "circle": _sd_circle,
    "square": _sd_square,
    "triangle": _sd_triangle,
    "star": _sd_star,
    "ring": _sd_ring,
    "heart": _sd_heart,
}


def coverage(shape_idx, cx, cy, radius, size: int, device) -> torch.Tensor:
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
    counts = torch.bincount(shape_idx, minlength=len(SDFS)).tolist()
    order_dev = to_device(order, device)
    xs, ys = x.index_select(0, order_dev), y.index_select(0, order_dev)
    parts, start = [], 0
    for fn, k in zip(SDFS.values(), counts, strict=True):
        if k:
            parts.append(fn(xs[start : start + k], ys[start : start + k]))
        start += k
    sd = torch.empty(n, size, size, device=device).index_copy_(0, order_dev, torch.cat(parts))
    sd_px = sd * r * size  # distance in pixels
    return (0.5 - sd_px).clamp(0.0, 1.0)
