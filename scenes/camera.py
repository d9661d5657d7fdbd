"""The chapter scenes' camera: Manim's Cairo camera, building a frame's vector paths in one pass.

Manim's `Camera.set_cairo_context_path` works out, for each shape on each frame, where its path
breaks into subpaths and which subpaths close, with a few NumPy calls on a few dozen points: for the
embedding map's 566 glyphs that was three quarters of the time its frames took to draw (cProfile).
`ChapterCamera` does the same comparisons for all the shapes of a frame at once (the same IEEE
operations, element by element, as `VMobject.get_subpath_split_indices_from_points` and
`consider_points_equals_2d`), then gives Cairo the same calls with the same numbers, in the same
order: every frame keeps its pixels (tests/test_kinds.py compares frames drawn by both cameras).
Shapes it does not know how to batch
(points that are not finite, fewer than a curve's four, other than cubic curves, a camera subclass's
own point transform) are drawn by Manim's own code. (Shapes without points never reach a camera.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from manim import Camera, VMobject

if TYPE_CHECKING:
    import cairo

_RTOL = 1.0e-5  # np.isclose's default, as Manim's comparisons use


def _close(a: np.ndarray, b: np.ndarray, atol: np.ndarray) -> np.ndarray:
    """Per row, whether the 2-D points a and b are equal by `consider_points_equals_2d` (b the second)."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - b)
        near = (diff <= atol[:, None] + _RTOL * np.abs(b)) & np.isfinite(diff)
    return np.all(near | (a == b), axis=1)


def _splits(ends: np.ndarray, starts: np.ndarray, atol: np.ndarray) -> np.ndarray:
    """Per curve boundary, whether the path breaks there, as `get_subpath_split_indices_from_points`."""
    with np.errstate(invalid="ignore", over="ignore"):
        diffs = np.abs(ends - starts)
        is_close = diffs <= atol[:, None] + _RTOL * np.abs(starts)
        finite = np.isfinite(diffs)
        if not finite.all():
            is_close &= finite
            is_close |= ends == starts
    return ~np.all(is_close, axis=1)


class ChapterCamera(Camera):
    """`Camera` whose frames build their vector shapes' paths in one pass (see the module's docstring)."""

    def display_multiple_non_background_colored_vmobjects(
        self, vmobjects: Iterable[VMobject], pixel_array: np.ndarray
    ) -> None:
        ctx = self.get_cairo_context(pixel_array)
        vmobjects = list(vmobjects)
        for vmobject, path in zip(vmobjects, self._paths(vmobjects), strict=True):
            if path is None:
                self.display_vectorized(vmobject, ctx)
                continue
            _set_path(ctx, *path)
            self.apply_stroke(ctx, vmobject, background=True)
            self.apply_fill(ctx, vmobject)
            self.apply_stroke(ctx, vmobject)

    def _paths(self, vmobjects: list[VMobject]) -> list[tuple | None]:
        """Per shape, (the frame's x, y numbers as floats, its subpaths as (start, end, closed) point indices
        into them), or None where Manim's own code draws the shape."""
        out: list[tuple | None] = [None] * len(vmobjects)
        if type(self).transform_points_pre_display is not Camera.transform_points_pre_display:
            return out
        chosen = [i for i, vm in enumerate(vmobjects) if vm.n_points_per_cubic_curve == 4 and len(vm.points) >= 4]
        if not chosen:
            return out
        arrays = [vmobjects[i].points for i in chosen]
        offsets = np.cumsum([0] + [len(a) for a in arrays])
        every = np.concatenate(arrays)
        finite = np.logical_and.reduceat(np.isfinite(every).all(axis=1), offsets[:-1])
        xy = every[:, :2]
        atol = np.array([vmobjects[i].tolerance_for_point_equality for i in chosen], dtype=float)
        # Where a path may break: before each curve but a shape's first (every fourth point).
        bounds = np.concatenate([np.arange(o + 4, e, 4) for o, e in zip(offsets[:-1], offsets[1:], strict=True)])
        owner = np.searchsorted(offsets, bounds, side="right") - 1
        breaks = bounds[_splits(xy[bounds - 1], xy[bounds], atol[owner])] if len(bounds) else bounds
        starts = np.sort(np.concatenate([offsets[:-1], breaks]))
        ends = np.append(starts[1:], offsets[-1])
        closed = _close(xy[starts], xy[ends - 1], atol[np.searchsorted(offsets, starts, side="right") - 1])
        first = np.searchsorted(starts, offsets).tolist()
        subpaths = list(zip(starts.tolist(), ends.tolist(), closed.tolist(), strict=True))
        flat = xy.ravel().tolist()
        for k, i in enumerate(chosen):
            if finite[k]:
                out[i] = (flat, subpaths[first[k] : first[k + 1]])
        return out


def _set_path(ctx: cairo.Context, flat: list[float], subpaths: list[tuple[int, int, bool]]) -> None:
    """Manim's `set_cairo_context_path` from precomputed subpaths: the same calls in the same order."""
    ctx.new_path()
    new_sub_path, move_to, curve_to, close_path = ctx.new_sub_path, ctx.move_to, ctx.curve_to, ctx.close_path
    for start, end, closed in subpaths:
        if end - start < 4:
            continue
        new_sub_path()
        move_to(flat[2 * start], flat[2 * start + 1])
        for b in range(2 * start + 2, 2 * end - 5, 8):  # each curve: its two handles and its end, 6 numbers
            curve_to(*flat[b : b + 6])
        if closed:
            close_path()
