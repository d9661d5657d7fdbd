"""Evaluating a PRX text-to-image pipeline (the embedded tiny-prx) on the procedural world.

Generates with a batched sampling loop of its own over the pipeline's components (PRXPipeline
fails with guidance > 1 and more than one prompt), initial noise from a CPU generator per
seed, and reads the images back with `world.read_image`.

    python -m render.model_eval --model assets/models/tiny-prx --device cuda --out eval.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import torch

from render import world

GUIDANCES = (1.0, 2.0, 4.0, 7.5)
STEP_COUNTS = (1, 2, 4, 8, 16, 28)
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


def initial_noise(pipe, seeds: list[int], size: int) -> torch.Tensor:
    """Per-seed initial latents drawn from CPU generators (the same on every device)."""
    c = pipe.vae.config.latent_channels
    h = size // pipe.vae_scale_factor
    return torch.stack([torch.randn(c, h, h, generator=torch.Generator().manual_seed(int(s))) for s in seeds])


@torch.no_grad()
def generate(
    pipe,
    prompts: list[str],
    seeds: list[int],
    steps: int = 28,
    guidance: float = 4.0,
    size: int | None = None,
    device=None,
    batch_size: int = 64,
    return_float: bool = False,
):
    """Batched text-to-image: uint8 images [N, H, W, 3] (and the unclamped decoded floats)."""
    device = torch.device(device or pipe.device)
    size = size or pipe.default_sample_size
    dtype = pipe.transformer.dtype
    outs, floats = [], []
    for i in range(0, len(prompts), batch_size):
        ps, ss = prompts[i : i + batch_size], seeds[i : i + batch_size]
        cfg = guidance > 1.0
        emb, mask, nemb, nmask = pipe.encode_prompt(ps, device, do_classifier_free_guidance=cfg, negative_prompt="")
        if cfg:
            ca, cm = torch.cat([nemb, emb]), torch.cat([nmask, mask])
        else:
            ca, cm = emb, mask
        ca = ca.to(dtype)
        lat = initial_noise(pipe, ss, size).to(device=device, dtype=dtype)
        pipe.scheduler.set_timesteps(steps, device=device)
        for t in pipe.scheduler.timesteps:
            x_in = torch.cat([lat, lat]) if cfg else lat
            tc = (t.float() / pipe.scheduler.config.num_train_timesteps).expand(x_in.shape[0]).to(device)
            v = pipe.transformer(
                hidden_states=x_in, timestep=tc, encoder_hidden_states=ca, attention_mask=cm, return_dict=False
            )[0]
            if cfg:
                vu, vc = v.chunk(2)
                v = vu + guidance * (vc - vu)
            lat = pipe.scheduler.step(v, t, lat).prev_sample
        sf = pipe.vae.config.scaling_factor
        sh = pipe.vae.config.shift_factor or 0.0
        img = pipe.vae.decode((lat / sf + sh).to(pipe.vae.dtype), return_dict=False)[0].float()
        floats.append(img.cpu())
        outs.append(((img.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy())
    imgs = np.concatenate(outs)
    return (imgs, torch.cat(floats)) if return_float else imgs


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
        u = [0.5, 0.0] + [0.99] * 5 + [0.0, 0.99, 0.0, 0.99]
        out.append((world.make_caption(s, u), s.as_dict()))
    return out


def _score(images, prompts: list[str]) -> dict:
    hits = {a: [] for a in ATTRS}
    for img, p in zip(images, prompts, strict=True):
        for k, ok in world.caption_matches(p, world.read_image(img)).items():
            hits[k].append(ok)
    return {a: float(np.mean(v)) if v else None for a, v in hits.items()}


@torch.no_grad()
def vae_round_trip(pipe, items: list[tuple[str, dict]], device=None, batch_size: int = 64) -> dict:
    """Accuracy on the prompts' ground-truth renders after the VAE's encode + decode: the best the
    model can score, since every image it makes comes out of this decoder."""
    device = torch.device(device or pipe.device)
    keys = ("shape", "color", "background", "size", "position")
    scenes = [world.Scene(**{k: d[k] for k in keys}) for _, d in items]
    out = []
    for i in range(0, len(scenes), batch_size):
        x = world.render_scenes(scenes[i : i + batch_size], pipe.default_sample_size, device).to(pipe.vae.dtype)
        rec = pipe.vae.decode(pipe.vae.encode(x).latent_dist.mode(), return_dict=False)[0]
        out += [world.to_uint8(r) for r in rec]
    return _score(out, [p for p, _ in items])


def _pairwise(imgs: np.ndarray) -> float:
    x = imgs.astype(np.float32) / 255.0
    d = [np.abs(a - b).mean() for a, b in itertools.combinations(x, 2)]
    return float(np.mean(d))


def _saturation(imgs: np.ndarray) -> float:
    x = imgs.astype(np.float32) / 255.0
    mx, mn = x.max(-1), x.min(-1)
    return float(np.mean(np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0)))


def evaluate(
    pipe,
    n_prompts: int = 200,
    device=None,
    seed: int = 0,
    guidances=GUIDANCES,
    steps: int = 28,
    step_counts=STEP_COUNTS,
    n_step_prompts: int = 16,
    n_seeds: int = 8,
    saturation_guidances=SATURATION_GUIDANCES,
    n_sat_prompts: int = 16,
    batch_size: int = 64,
    log=print,
) -> dict:
    """Attribute accuracy per guidance, convergence vs steps, seed spread, saturation vs guidance."""
    t0 = time.time()
    device = device or pipe.device
    res: dict = {"n_prompts": n_prompts, "steps": steps, "seed": seed}
    items = detailed_prompts(n_prompts, seed)
    prompts = [p for p, _ in items]
    seeds = [seed * 100_000 + i for i in range(n_prompts)]
    res["vae_round_trip"] = vae_round_trip(pipe, items, device=device, batch_size=batch_size)
    log(f"VAE round trip of the ground truth: {res['vae_round_trip']}")
    acc = {}
    for g in guidances:
        imgs = generate(pipe, prompts, seeds, steps, g, device=device, batch_size=batch_size)
        acc[str(g)] = _score(imgs, prompts)
        log(f"guidance {g}: {acc[str(g)]}")
    res["accuracy"] = acc
    # convergence: distance of k-step results from the 50-step result of the same seed
    k = min(n_step_prompts, n_prompts)
    ref = generate(pipe, prompts[:k], seeds[:k], 50, 4.0, device=device, batch_size=batch_size).astype(np.float32)
    conv = {}
    for s in step_counts:
        im = generate(pipe, prompts[:k], seeds[:k], s, 4.0, device=device, batch_size=batch_size).astype(np.float32)
        conv[str(s)] = float(np.abs(im - ref).mean() / 255.0)
    res["distance_to_50_steps"] = conv
    # spread across seeds
    spread = {}
    for name, group in (("vague", VAGUE_PROMPTS), ("detailed", DETAILED_PROMPTS)):
        ps = [p for p in group for _ in range(n_seeds)]
        ss = [seed * 1000 + j for _ in group for j in range(n_seeds)]
        im = generate(pipe, ps, ss, steps, 4.0, device=device, batch_size=batch_size)
        spread[name] = float(np.mean([_pairwise(im[i * n_seeds : (i + 1) * n_seeds]) for i in range(len(group))]))
    res["seed_spread"] = spread
    # oversaturation vs guidance
    sat = {}
    k = min(n_sat_prompts, n_prompts)
    for g in saturation_guidances:
        im, fl = generate(
            pipe, prompts[:k], seeds[:k], steps, g, device=device, batch_size=batch_size, return_float=True
        )
        sat[str(g)] = {"saturation": _saturation(im), "clipped": float((fl.abs() > 1.0 + 1 / 255).float().mean())}
    res["saturation"] = sat
    res["seconds"] = time.time() - t0
    return res


def to_markdown(res: dict) -> str:
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


def run_eval(
    model_dir: Path | str | None = None, device: str = "auto", n_prompts: int = 200, out: Path | str | None = None
) -> dict:
    """`noise2image eval-model`: evaluate a tiny-prx folder, print the table (and write it to `out`)."""
    from render.models import resolve_device
    from render.tiny_prx import load_tiny_prx

    dev = resolve_device(device or "auto")
    pipe = load_tiny_prx(model_dir, device=dev)
    res = evaluate(pipe, n_prompts=n_prompts, device=dev, batch_size=256 if dev == "cuda" else 32)
    md = to_markdown(res)
    print(md)
    if out:
        Path(out).write_text(md + "\n")
        Path(out).with_suffix(".json").write_text(json.dumps(res, indent=1))
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Evaluate the embedded tiny-prx model.")
    ap.add_argument("--model", default=None, help="model folder (default: assets/models/tiny-prx)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    run_eval(a.model, a.device, a.n, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
