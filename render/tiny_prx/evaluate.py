"""Evaluating the embedded model `builtin:tiny-prx` on its procedural world: `noise2image eval-model`.

Every image comes from the project's one sampling loop (`render.engine.sampling.sample_images`):
the model's native size, negative prompt "", one seed per request (initial noise from a CPU
generator, so the same on every device). `reading.read_image` reads each image back into the
attributes its prompt asked for.

    noise2image eval-model --model assets/models/tiny-prx --device cuda --out eval.md
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from render.engine.requests import GenerationRequest
from render.engine.sampling import sample_images
from render.tiny_prx import reading, world
from render.tiny_prx.networks import encode_mean

GUIDANCES = (1.0, 2.0, 4.0, 7.5)
STEP_COUNTS = (1, 2, 4, 8, 16, 28)
REFERENCE_STEPS = 50  # convergence is measured against this many steps, at guidance 4
SATURATION_GUIDANCES = (1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 12.5, 15.0)
VAGUE_PROMPTS = ("a star", "a circle", "a red square", "a heart", "a blue ring", "a triangle")
DETAILED_PROMPTS = (
    "a large red circle in the center on a blue background",
    "a small yellow star at the top left on a purple background",
    "a medium white square on the right on a black background",
    "a large green heart at the bottom on a pink background",
    "a medium orange ring on the left on a teal background",
    "a large blue triangle in the center on a yellow background",
)
ATTRS = ("background", "color", "shape", "position")


def detailed_prompts(n: int, seed: int = 0) -> list[tuple[str, dict]]:
    """n detailed single-object prompts with their attributes."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        color = str(rng.choice(world.OBJECT_COLORS))
        bg = str(rng.choice([c for c in world.BACKGROUND_COLORS if c != color]))
        s = world.Scene(
            shape=str(rng.choice(world.SHAPES)),
            color=color,
            background=bg,
            size=str(rng.choice(world.SIZE_NAMES)),
            position=str(rng.choice(world.POSITION_NAMES)),
        )
        # uniform numbers that make `make_caption` state every attribute, without a second object
        u = [0.5, 0.0] + [0.99] * 5 + [0.0, 0.99, 0.0, 0.99]
        out.append((world.make_caption(s, u), s.as_dict()))
    return out


def evaluation_requests(
    pipe, prompts: list[str], seeds: list[int], *, steps: int, guidance: float
) -> list[GenerationRequest]:
    """The requests the evaluation samples: one per (prompt, seed), at the model's native size."""
    size = pipe.default_sample_size
    return [
        GenerationRequest(prompt=p, seed=int(s), steps=steps, guidance=guidance, width=size, height=size)
        for p, s in zip(prompts, seeds, strict=True)
    ]


def _images(
    pipe, prompts: list[str], seeds: list[int], *, steps: int, guidance: float, batch_size: int
) -> tuple[np.ndarray, torch.Tensor]:
    """uint8 images [N, H, W, 3] and the decoder's unclamped output [N, 3, H, W] of the prompts."""
    requests = evaluation_requests(pipe, prompts, seeds, steps=steps, guidance=guidance)
    return sample_images(pipe, requests, batch_size=batch_size)


def _score(images, prompts: list[str]) -> dict:
    """Per attribute: the share of images whose read-back value is the one their prompt states."""
    hits = {a: [] for a in ATTRS}
    for img, p in zip(images, prompts, strict=True):
        for k, ok in reading.caption_matches(p, reading.read_image(img)).items():
            hits[k].append(ok)
    return {a: float(np.mean(v)) if v else None for a, v in hits.items()}


def _score_by(images, items: list[tuple[str, dict]], attribute: str) -> dict:
    """`_score` per value of one attribute the prompts state (per shape, size or position)."""
    groups: dict[str, list[int]] = {}
    for i, (_, attrs) in enumerate(items):
        groups.setdefault(attrs[attribute], []).append(i)
    return {
        value: _score([images[i] for i in idx], [items[i][0] for i in idx]) for value, idx in sorted(groups.items())
    }


def accuracy_of(pipe, prompts: list[str], *, seed: int = 0, steps: int = 28, guidance: float = 4.0, batch_size=32):
    """The share of images that show each attribute their prompt states (one seed per prompt)."""
    seeds = [seed * 100_000 + i for i in range(len(prompts))]
    images, _ = _images(pipe, prompts, seeds, steps=steps, guidance=guidance, batch_size=batch_size)
    return _score(images, prompts)


@torch.no_grad()
def vae_round_trip(pipe, items: list[tuple[str, dict]], device=None, batch_size: int = 64) -> dict:
    """Accuracy on the prompts' ground-truth renders after the VAE's encode + decode: the best the
    model can score, since every image it makes comes out of this decoder."""
    return round_trip(pipe.vae, pipe.default_sample_size, items, device or pipe.device, batch_size)


@torch.no_grad()
def round_trip(vae, size: int, items: list[tuple[str, dict]], device, batch_size: int = 64) -> dict:
    """`vae_round_trip` of a VAE on its own (float32 whatever the VAE's dtype)."""
    device = torch.device(device)
    keys = ("shape", "color", "background", "size", "position")
    scenes = [world.Scene(**{k: d[k] for k in keys}) for _, d in items]
    out = []
    for i in range(0, len(scenes), batch_size):
        x = world.render_scenes(scenes[i : i + batch_size], size, device).to(vae.dtype)
        rec = vae.decode(encode_mean(vae, x), return_dict=False)[0]
        out += [world.to_uint8(r) for r in rec]
    return _score(out, [p for p, _ in items])


def _pairwise(imgs: np.ndarray) -> float:
    """Mean absolute pixel distance (0-1) over all pairs of images."""
    x = imgs.astype(np.float32) / 255.0
    d = [np.abs(a - b).mean() for a, b in itertools.combinations(x, 2)]
    return float(np.mean(d))


def _mean_saturation(imgs: np.ndarray) -> float:
    """Mean HSV saturation of the pixels."""
    x = imgs.astype(np.float32) / 255.0
    mx, mn = x.max(-1), x.min(-1)
    return float(np.mean(np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0)))


def _accuracy_by_guidance(pipe, items, seeds, guidances, steps: int, batch_size: int, log) -> tuple[dict, dict]:
    """Attribute accuracy per guidance scale; and at guidance 4 its breakdown per shape, size and
    position, and the share of images with a speck apart from the object."""
    prompts = [p for p, _ in items]
    accuracy, detail = {}, {}
    for g in guidances:
        images, _ = _images(pipe, prompts, seeds, steps=steps, guidance=g, batch_size=batch_size)
        accuracy[str(g)] = _score(images, prompts)
        log(f"guidance {g}: {accuracy[str(g)]}")
        if g == 4.0:
            detail = {
                "by_shape": _score_by(images, items, "shape"),
                "by_size": _score_by(images, items, "size"),
                "by_position": _score_by(images, items, "position"),
                "specks": float(np.mean([reading.specks(im) > 0 for im in images])),
            }
    return accuracy, detail


def _distance_to_reference(pipe, prompts, seeds, step_counts, batch_size: int) -> dict:
    """Convergence: mean pixel distance of k-step images from the 50-step image of the same seed."""

    def images(steps: int) -> np.ndarray:
        out, _ = _images(pipe, prompts, seeds, steps=steps, guidance=4.0, batch_size=batch_size)
        return out.astype(np.float32)

    reference = images(REFERENCE_STEPS)
    return {str(s): float(np.abs(images(s) - reference).mean() / 255.0) for s in step_counts}


def _seed_spread(pipe, seed: int, steps: int, n_seeds: int, batch_size: int) -> dict:
    """How much images vary across seeds, for vague and for detailed prompts."""
    spread = {}
    for name, group in (("vague", VAGUE_PROMPTS), ("detailed", DETAILED_PROMPTS)):
        prompts = [p for p in group for _ in range(n_seeds)]
        seeds = [seed * 1000 + j for _ in group for j in range(n_seeds)]
        images, _ = _images(pipe, prompts, seeds, steps=steps, guidance=4.0, batch_size=batch_size)
        per_prompt = [_pairwise(images[i * n_seeds : (i + 1) * n_seeds]) for i in range(len(group))]
        spread[name] = float(np.mean(per_prompt))
    return spread


def _saturation_by_guidance(pipe, prompts, seeds, guidances, steps: int, batch_size: int) -> dict:
    """Oversaturation: mean saturation, and the share of decoder outputs beyond [-1, 1] (clipped)."""
    saturation = {}
    for g in guidances:
        images, decoded = _images(pipe, prompts, seeds, steps=steps, guidance=g, batch_size=batch_size)
        clipped = float((decoded.abs() > 1.0 + 1 / 255).float().mean())
        saturation[str(g)] = {"saturation": _mean_saturation(images), "clipped": clipped}
    return saturation


def evaluate(
    pipe,
    n_prompts: int = 200,
    seed: int = 0,
    guidances=GUIDANCES,
    steps: int = 28,
    step_counts=STEP_COUNTS,
    n_step_prompts: int = 16,
    n_seeds: int = 8,
    saturation_guidances=SATURATION_GUIDANCES,
    n_sat_prompts: int = 16,
    batch_size: int = 64,
    log: Callable[[str], None] = print,
) -> dict:
    """Attribute accuracy per guidance, convergence vs steps, seed spread, saturation vs guidance.

    The pipeline samples on its own device; `batch_size` requests go through the loop at once.
    """
    t0 = time.time()
    res: dict = {"n_prompts": n_prompts, "steps": steps, "seed": seed}
    items = detailed_prompts(n_prompts, seed)
    prompts = [p for p, _ in items]
    seeds = [seed * 100_000 + i for i in range(n_prompts)]

    # 1. The ceiling: the ground truth through the VAE
    res["vae_round_trip"] = vae_round_trip(pipe, items, batch_size=batch_size)
    log(f"VAE round trip of the ground truth: {res['vae_round_trip']}")

    # 2. Attribute accuracy per guidance scale; per shape, size and position, and specks, at guidance 4
    res["accuracy"], detail = _accuracy_by_guidance(pipe, items, seeds, guidances, steps, batch_size, log)
    res.update(detail)

    # 3. Convergence with the number of steps (on the first prompts)
    k = min(n_step_prompts, n_prompts)
    res["distance_to_50_steps"] = _distance_to_reference(pipe, prompts[:k], seeds[:k], step_counts, batch_size)

    # 4. Spread across seeds
    res["seed_spread"] = _seed_spread(pipe, seed, steps, n_seeds, batch_size)

    # 5. Oversaturation vs guidance (on the first prompts)
    k = min(n_sat_prompts, n_prompts)
    res["saturation"] = _saturation_by_guidance(pipe, prompts[:k], seeds[:k], saturation_guidances, steps, batch_size)
    res["seconds"] = time.time() - t0
    return res


def to_markdown(res: dict) -> str:
    """The results of `evaluate` as Markdown tables."""
    lines = [
        f"Attribute accuracy over {res['n_prompts']} detailed prompts, {res['steps']} steps:",
        "",
        "| guidance | background | object colour | shape | position |",
        "|---|---|---|---|---|",
    ]

    def cells(a: dict) -> str:
        return " | ".join(f"{100 * a[k]:.1f}%" if a.get(k) is not None else "-" for k in ATTRS)

    for g, a in res["accuracy"].items():
        lines.append(f"| {g} | {cells(a)} |")
    if "vae_round_trip" in res:
        lines.append(f"| ceiling: the ground truth through the VAE | {cells(res['vae_round_trip'])} |")
    for name in ("by_shape", "by_size", "by_position"):
        if name in res:
            head = "| | background | object colour | shape | position |"
            lines += ["", f"At guidance 4, {name.replace('_', ' ')}:", "", head, "|---|---|---|---|---|"]
            lines += [f"| {value} | {cells(a)} |" for value, a in res[name].items()]
    if "specks" in res:
        lines += ["", f"Images with a speck apart from the object (guidance 4): {100 * res['specks']:.1f}%"]
    lines += [
        "",
        "Mean pixel distance (0-1) from the 50-step result, guidance 4:",
        "",
        "| steps | " + " | ".join(res["distance_to_50_steps"]) + " |",
        "|---|" + "---|" * len(res["distance_to_50_steps"]),
        "| distance | " + " | ".join(f"{v:.3f}" for v in res["distance_to_50_steps"].values()) + " |",
    ]
    sp = res["seed_spread"]
    lines += [
        "",
        f"Spread across seeds (mean pairwise pixel distance): vague {sp['vague']:.3f}, detailed {sp['detailed']:.3f}",
        "",
        "Saturation vs guidance:",
        "",
        "| guidance | mean saturation | clipped values |",
        "|---|---|---|",
    ]
    for g, v in res["saturation"].items():
        lines.append(f"| {g} | {v['saturation']:.3f} | {100 * v['clipped']:.2f}% |")
    lines.append("")
    lines.append(f"({res['seconds']:.0f} s)")
    return "\n".join(lines)


def evaluate_folder(
    model_dir: Path | str | None, *, device: str, n_prompts: int, seed: int = 0, log: Callable[[str], None] = print
) -> dict:
    """Load a tiny-prx folder (None: the shipped one) on `device` and `evaluate` it."""
    from render.tiny_prx.load import load_tiny_prx

    pipe = load_tiny_prx(model_dir, device=device)
    # GPUs sample fastest in large batches; on the CPU small ones stay in cache
    batch_size = 256 if torch.device(device).type == "cuda" else 32
    return evaluate(pipe, n_prompts=n_prompts, seed=seed, batch_size=batch_size, log=log)


# ---------------------------------------------------------------------------------------------
# `noise2image eval-model`
