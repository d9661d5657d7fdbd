"""The baselines of bench/render_speed.py: per chapter kind, the plainest Manim scene that shows the
same pictures as the project's scene, changed as often, for the same number of frames.

A baseline is a list of `Phase`s drawn by one generic scene (`plain_scene`): each state of a phase
is a fresh `ImageMobject` per picture (the bundle's uint8 array as it is, Manim scaling it), laid
out in a simple grid, drawn once and held with a frozen `self.wait`; the states share the clip's
frames evenly. There is no text, no animation and no compositing: those are what the project's
scenes add, and what the ratio measures. Where the project's scene changes a picture inside a time
window (a step slider, a race, a drag), the number of changes is worked out from the chapter's
timing with the scene's own slot fractions (`scenes.common.plan_slots`), capped at one per frame
as the scene's `step_through` does; where the scene follows an updater frame by frame, the pictures
it picks are replayed on those frames.

What each kind's baseline shows (n = steps; slot s[i] as in the kind's scene):

- noise_sampling: `samples[0]` and a 6 x 6 pixel crop of it (the scene's magnified block), still;
  then a new sample and its crop for every frame the scene draws noise (from s[1] at 72% to s[2] at
  10%). The written-out pages picture is not in the bundle and is left out.
- denoising: `previews` beside `x0_previews`, once plus once per shown step (s[2]); then the
  filmstrip's pictures (the state and the prediction at up to 7 steps) appearing column by column.
- latent_space: the final preview beside the final `latent_colour`; then both per step (s[2]), then
  both per step again for the path's replay (s[3]). The path and its dots are left out.
- embedding_map: no images: one `Dot` per prompt at its `coords` and one `Text` with the prompt
  beside it, still for the whole clip.
- seed_comparison: one picture per seed from `previews`, once plus once per shown step (s[2]).
- step_comparison: one picture per run from `previews_{i}`, at the start and at every frame of the
  race where some run takes a step (s[2]).
- prompt_detail: one picture per (prompt, seed) from `previews`, once plus once per shown step (s[1]).
- prompt_length: the first word's run `previews[0]` per shown step (s[1]); then `images[k]` for
  every further word.
- interpolation: the two end `images` and a large picture (the first, then the last end); the
  in-between `images` appearing one by one, each also shown large; then every image still and a
  large picture that shows each (mix, step) of `previews` the scene's slider passes, frame by frame.
- guidance_comparison: one picture per scale from `previews`, once plus once per shown step (s[1]);
  then a large picture through `images`, one per scale (the slider's drag).
- summary: the journey's `previews` at up to 7 steps appearing one by one; then the controls'
  pictures (`seed_noise`, `seed_images`, `image`, `step_images`, `guidance_images`) appearing one by
  one; then `previews` once plus once per shown step (the replay, s[4]).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FRAME_W, FRAME_H = 13.0, 7.0  # the part of Manim's 14.2 x 8 frame the grid may fill


@dataclass(frozen=True)
class Phase:
    """Pictures on screen together through `changes` states.

    Each of `stacks` ([k, H, W, 3]) is one picture stepping through its images: state c shows image
    c * k // changes (so a stack of `changes` images shows each in turn). Each of `growing`
    ([H, W, 3]) appears in turn and stays: state c shows the first ceil((c + 1) * len / changes).
    """

    stacks: list[np.ndarray]
    changes: int
    growing: list[np.ndarray] = field(default_factory=list)

    def states(self) -> list[list[np.ndarray]]:
        """The pictures of each state, in order."""
        out = []
        for c in range(self.changes):
            shown = [s[c * len(s) // self.changes] for s in self.stacks]
            out.append(shown + list(self.growing[: -(-(c + 1) * len(self.growing) // self.changes)]))
        return out


@dataclass(frozen=True)
class Clip:
    """What a baseline is built from: the chapter's data bundle, its timing and the frame rate."""

    info: dict
    arrays: dict[str, np.ndarray]
    timing: object  # render.chapter_data.Timing
    fps: int

    def slots(self, n: int) -> list:
        """The timing mapped onto the scene's `n` slots, as the scene maps it."""
        from scenes.common import plan_slots

        return plan_slots(self.timing, n)

    def frame(self, t: float) -> int:
        """The frame at `t` seconds."""
        return round(t * self.fps)

    def shown_steps(self, count: int, start: float, end: float) -> int:
        """How many of `count` pictures `step_through(start, end, count, ...)` shows (one per frame at most)."""
        return max(1, min(count, self.frame(end) - self.frame(start)))


def noise_sampling(clip: Clip) -> list[Phase]:
    samples = clip.arrays["samples"]
    h, w = samples.shape[1:3]
    r0, c0 = int(h * 0.3), int(w * 0.55)
    block = samples[:, r0 : r0 + 6, c0 : c0 + 6]
    s = clip.slots(4)
    drawn = np.arange(clip.frame(s[1].at(0.72)), clip.frame(s[2].at(0.1))) % len(samples)  # the updater's k
    return [Phase([samples[:1], block[:1]], 1), Phase([samples[drawn], block[drawn]], max(len(drawn), 1))]


def denoising(clip: Clip) -> list[Phase]:
    previews, x0 = clip.arrays["previews"], clip.arrays["x0_previews"]
    n, s = len(x0), clip.slots(4)
    picks = [int(k) for k in np.unique(np.linspace(0, n, min(n + 1, 7)).round())]
    film = [previews[k] for k in picks] + [x0[min(k, n - 1)] for k in picks]
    return [
        Phase([previews, x0], 1 + clip.shown_steps(n, s[2].start, s[2].at(0.9))),
        Phase([], len(picks), growing=film),
    ]


def latent_space(clip: Clip) -> list[Phase]:
    previews, colours = clip.arrays["previews"], clip.arrays["latent_colour"]
    n, s = len(previews) - 1, clip.slots(4)
    return [
        Phase([previews[-1:], colours[-1:]], 1),
        Phase([previews, colours], 1 + clip.shown_steps(n, s[2].at(0.1), s[2].at(0.9))),
        Phase([previews, colours], clip.shown_steps(n + 1, s[3].at(0.18), s[3].at(0.85))),
    ]


def seed_comparison(clip: Clip) -> list[Phase]:
    previews = clip.arrays["previews"]  # [seeds, n + 1, H, W, 3]
    n, s = previews.shape[1] - 1, clip.slots(4)
    return [Phase(list(previews), 1 + clip.shown_steps(n, s[2].start, s[2].at(0.92)))]


def step_comparison(clip: Clip) -> list[Phase]:
    counts = [int(k) for k in clip.info["step_counts"]]
    previews = [clip.arrays[f"previews_{i}"] for i in range(len(counts))]
    s = clip.slots(4)
    start, end = s[2].at(0.05), s[2].at(0.85)
    states = [(0,) * len(counts)]  # the steps done by each run, at each frame of the race where one changes
    for f in range(clip.frame(start), clip.frame(end) + 1):
        u = min(max((f / clip.fps - start) / (end - start), 0.0), 1.0)
        done = tuple(min(k, int(np.floor(u * k + 1e-9))) for k in counts)
        if done != states[-1]:
            states.append(done)
    stacks = [previews[i][[d[i] for d in states]] for i in range(len(counts))]
    return [Phase(stacks, len(states))]


def prompt_detail(clip: Clip) -> list[Phase]:
    previews = clip.arrays["previews"]  # [prompts, seeds, n + 1, H, W, 3]
    n, s = previews.shape[2] - 1, clip.slots(4)
    stacks = [previews[p, k] for p in range(previews.shape[0]) for k in range(previews.shape[1])]
    return [Phase(stacks, 1 + clip.shown_steps(n, s[1].at(0.5), s[1].at(0.95)))]


def prompt_length(clip: Clip) -> list[Phase]:
    previews, images = clip.arrays["previews"], clip.arrays["images"]
    s = clip.slots(4)
    phases = [Phase([previews[0]], clip.shown_steps(previews.shape[1], s[1].at(0.35), s[1].at(0.95)))]
    if len(images) > 1:
        phases.append(Phase([images[1:]], len(images) - 1))
    return phases


def interpolation(clip: Clip) -> list[Phase]:
    from scenes.widgets import triangle

    images, previews, ts = clip.arrays["images"], clip.arrays["previews"], clip.arrays["ts"]
    points, steps, s = len(images), previews.shape[1] - 1, clip.slots(4)
    u_of = (ts - ts[0]) / max(float(ts[-1] - ts[0]), 1e-9)
    start, end = s[3].at(0.2), s[3].at(0.92)
    passed = [(0, 0)]  # (mix, step) of the large image, as the scene's updater picks it each frame
    for f in range(clip.frame(s[3].at(0.18)), clip.frame(end + 1 / clip.fps)):
        tau = min(max((f / clip.fps - start) / max(end - start, 1e-6), 0.0), 1.0)
        shown = (int(np.argmin(np.abs(u_of - triangle(tau, 3)))), min(steps, int(round(tau * steps))))
        if shown != passed[-1]:
            passed.append(shown)
    ends = [images[:1], images[-1:]]
    middle = images[1:-1]
    big = previews[[p for p, _ in passed], [j for _, j in passed]]
    return [
        Phase([*ends, images[[0, -1]]], 2),
        Phase([*ends, middle], max(len(middle), 1), growing=list(middle)),
        Phase([*(images[p : p + 1] for p in range(points)), big], len(passed)),
    ]


def guidance_comparison(clip: Clip) -> list[Phase]:
    previews, images = clip.arrays["previews"], clip.arrays["images"]  # [scales, n + 1, ...], [scales, ...]
    n, s = previews.shape[1] - 1, clip.slots(4)
    return [Phase(list(previews), 1 + clip.shown_steps(n, s[1].at(0.25), s[1].at(0.95))), Phase([images], len(images))]


def summary(clip: Clip) -> list[Phase]:
    a = clip.arrays
    previews = a["previews"]
    n, s = len(previews) - 1, clip.slots(5)
    picks = [int(k) for k in np.unique(np.linspace(0, n, min(7, n + 1)).round())]
    controls = [*a["seed_noise"], *a["seed_images"], a["image"], *a["step_images"], *a["guidance_images"]]
    return [
        Phase([], len(picks), growing=[previews[k] for k in picks]),
        Phase([], len(controls), growing=controls),
        Phase([previews], 1 + clip.shown_steps(n, s[4].at(0.18), s[4].at(0.7))),
    ]


PHASES: dict[str, Callable[[Clip], list[Phase]]] = {
    "noise_sampling": noise_sampling,
    "denoising": denoising,
    "latent_space": latent_space,
    "embedding_map": lambda clip: [],
    "seed_comparison": seed_comparison,
    "step_comparison": step_comparison,
    "prompt_detail": prompt_detail,
    "prompt_length": prompt_length,
    "interpolation": interpolation,
    "guidance_comparison": guidance_comparison,
    "summary": summary,
}


def embedding_map_still(clip: Clip) -> Callable[[], list]:
    """A Dot per prompt at its coordinates and a Text of the prompt beside it (made inside the render)."""

    def make() -> list:
        from manim import RIGHT, Dot, Text

        coords = np.asarray(clip.arrays["coords"], np.float64)
        points = coords * np.array([FRAME_W / 2 - 2.5, FRAME_H / 2 - 0.5])
        mobjects = []
        for (x, y), prompt in zip(points, clip.info["prompts"], strict=True):
            dot = Dot((x, y, 0), radius=0.08)
            mobjects += [dot, Text(prompt, font_size=14).next_to(dot, RIGHT, buff=0.1)]
        return mobjects

    return make


def plain_scene(kind: str, chapter_dir: Path, timing: Path, fps: int, frames: int) -> tuple[type, int]:
    """The baseline Scene class of a chapter of `kind`, and its number of states (see the module docstring)."""
    from render.chapter_data import load_chapter_data, load_timing

    if kind not in PHASES:
        raise SystemExit(f"no plain baseline for kind {kind!r} (known: {', '.join(PHASES)}): add one to {__file__}")
    info, arrays = load_chapter_data(chapter_dir)
    clip = Clip(info, arrays, load_timing(timing), fps)
    states = [pictures for phase in PHASES[kind](clip) for pictures in phase.states()] or [[]]
    still = embedding_map_still(clip) if kind == "embedding_map" else None
    return images_scene(states, frames, still), len(states)


def images_scene(states: list[list[np.ndarray]], frames: int, still: Callable[[], list] | None = None) -> type:
    """A Scene that shows each state's pictures (one ImageMobject each, in a grid), held for an even share
    of `frames`, over the mobjects `still()` makes once."""
    from manim import Group, ImageMobject, Scene, config

    class PlainScene(Scene):
        def construct(self) -> None:
            if still is not None:
                self.add(*still())
            for i, pictures in enumerate(states):
                hold = round((i + 1) * frames / len(states)) - round(i * frames / len(states))
                if not hold:  # a state shorter than a frame (the project's scene merges those too)
                    continue
                group = Group(*[ImageMobject(np.ascontiguousarray(p)).set_height(2) for p in pictures])
                if pictures:
                    group.arrange_in_grid(cols=min(len(pictures), math.ceil(math.sqrt(len(pictures) * 1.8))))
                    group.scale(min(FRAME_W / group.width, FRAME_H / group.height))
                self.add(group)
                # A still picture: Manim draws one frame and writes it `hold` times (what wait() picks by itself).
                self.wait((hold + 0.5) / config.frame_rate, frozen_frame=True)
                self.remove(group)

    return PlainScene
