"""Distil a preview decoder (render/engine/preview.py) from a model's VAE decoder.

What the decoder must reproduce is what the engine shows: intermediate states and x0 predictions
of real trajectories, not clean latents only. So the training latents come from the model itself:
random captions of the procedural world, random seeds, guidance scales and step counts, sampled with
the engine's own loop (`denoise`), a few states and predictions kept from each run. The targets are
the VAE decoder's outputs for those latents; the student learns them with a mean squared error.

`preview_fidelity` measures the result the way the video uses it: PSNR of the uint8 preview against
the uint8 full decode, over every state and prediction of held-out trajectories.

    noise2image train-model --preview-decoder [--out MODEL_DIR] [--max-minutes M]
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from render.engine.decoding import decode_float, decode_latents, to_uint8
from render.engine.preview import PreviewConfig, PreviewDecoder, load_preview_decoder
from render.engine.requests import GenerationRequest
from render.engine.sampling import denoise


@dataclass(frozen=True)
class PreviewTraining:
    """How much to sample and train."""

    requests: int = 160  # trajectories sampled for training
    per_trajectory: int = 14  # latents kept from each: half states, half predictions, at random steps
    step_counts: tuple[int, ...] = (6, 12, 20, 28)
    guidance: tuple[float, ...] = (1.0, 2.0, 4.0, 7.0, 10.0, 15.0)
    batch: int = 16  # requests per sampling batch, and latents per training step
    steps: int = 2500  # training steps
    lr: float = 2e-3
    seed: int = 0


def _captions(n: int, size: int, generator: torch.Generator) -> list[str]:
    from render.tiny_prx.world import sample_batch

    return sample_batch(n, size, generator)[1]


def _requests(p: PreviewTraining, size: int, rng: random.Random, generator: torch.Generator) -> list:
    captions = _captions(p.requests, size, generator)
    return [
        GenerationRequest(
            prompt=caption,
            seed=rng.randrange(2**32),
            steps=rng.choice(p.step_counts),
            guidance=rng.choice(p.guidance),
            width=size,
            height=size,
        )
        for caption in captions
    ]


@torch.no_grad()
def training_latents(pipe, p: PreviewTraining, size: int, log: Callable[[str], None]) -> torch.Tensor:
    """Latents the engine will show: [N, C, h, w] states and x0 predictions of sampled trajectories."""
    rng, generator = random.Random(p.seed), torch.Generator().manual_seed(p.seed)
    requests = _requests(p, size, rng, generator)
    groups: dict[int, list[GenerationRequest]] = {}
    for r in requests:
        groups.setdefault(r.steps, []).append(r)
    kept: list[torch.Tensor] = []
    done = 0
    for steps, group in sorted(groups.items()):
        for i in range(0, len(group), p.batch):
            run = denoise(pipe, group[i : i + p.batch])
            states, predictions = torch.stack(run.states, 1), torch.stack(run.predictions, 1)  # [n, s(+1), ...]
            for j in range(states.shape[0]):
                half = p.per_trajectory // 2
                kept += [states[j, rng.randrange(steps + 1)] for _ in range(p.per_trajectory - half)]
                kept += [predictions[j, rng.randrange(steps)] for _ in range(half)]
            done += states.shape[0]
            log(f"[preview] sampled {done} of {len(requests)} trajectories")
    return torch.stack(kept)


def train_preview_decoder(
    latents: torch.Tensor,
    targets: torch.Tensor,
    config: PreviewConfig,
    p: PreviewTraining,
    log: Callable[[str], None],
    minutes: float | None = None,
) -> tuple[PreviewDecoder, list[float]]:
    """Fit a PreviewDecoder to (latents, VAE outputs); returns it and the loss every 100 steps."""
    torch.manual_seed(p.seed)
    decoder = PreviewDecoder(config)
    optimiser = torch.optim.Adam(decoder.parameters(), lr=p.lr)
    order = torch.Generator().manual_seed(p.seed)
    t_end = None if minutes is None else time.monotonic() + 60 * minutes
    losses, running = [], []
    for step in range(p.steps):
        frac = step / p.steps if t_end is None else max(step / p.steps, 1 - (t_end - time.monotonic()) / (60 * minutes))
        for group in optimiser.param_groups:  # cosine to 5%, following the clock under a time cap
            group["lr"] = p.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        pick = torch.randint(0, latents.shape[0], (p.batch,), generator=order)
        loss = torch.nn.functional.mse_loss(decoder(latents[pick]), targets[pick].float())
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        running.append(loss.item())
        if (step + 1) % 100 == 0:
            losses.append(float(np.mean(running)))
            running = []
            log(f"[preview] step {step + 1}/{p.steps} loss {losses[-1]:.5f}")
        if t_end is not None and time.monotonic() > t_end:
            log(f"[preview] time cap reached at step {step + 1}")
            break
    return decoder.eval().requires_grad_(False), losses


def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """PSNR in dB of uint8 images a against b, one value per image (the leading axis)."""
    err = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    mse = err.reshape(err.shape[0], -1).mean(axis=1)
    return 10 * np.log10(255.0**2 / np.maximum(mse, 1e-10))


@torch.no_grad()
def preview_fidelity(pipe, decoder: PreviewDecoder, requests: list[GenerationRequest]) -> dict[str, float]:
    """PSNR (dB) of previews against full VAE decodes over every state and prediction of `requests`:
    mean and worst for states (noisy, sigma > 0.5, and the rest) and for x0 predictions."""
    groups: dict[str, list[np.ndarray]] = {"states": [], "noisy states": [], "clearer states": [], "predictions": []}
    for steps in sorted({r.steps for r in requests}):
        run = denoise(pipe, [r for r in requests if r.steps == steps])
        noisy = run.sigmas[:-1] > 0.5  # the final state (sigma 0) is decoded by the VAE in the engine
        for name, stack, mask in (("states", run.states[:-1], noisy), ("predictions", run.predictions, None)):
            latents = torch.stack(stack, 1).flatten(0, 1)
            values = psnr(to_uint8(decoder(latents)), decode_latents(pipe.vae, latents)).reshape(len(stack[0]), -1)
            groups[name].append(values.reshape(-1))
            if mask is not None:
                groups["noisy states"].append(values[:, mask.numpy()].reshape(-1))
                groups["clearer states"].append(values[:, ~mask.numpy()].reshape(-1))
    out = {}
    for name, parts in groups.items():
        values = np.concatenate(parts)
        out[f"{name} mean"] = float(values.mean())
        out[f"{name} worst"] = float(values.min())
    return out


FIDELITY_PROMPTS = [
    "a red circle on a blue background",
    "a large orange star in the center on a teal background",
    "a small green triangle in the top left corner",
    "a purple heart on a yellow to white gradient",
]


def fidelity_requests(size: int, steps: int = 28) -> list[GenerationRequest]:
    """Held-out requests (seeds 1000+, never sampled in training): 4 prompts x 2 seeds x 2 guidance scales."""
    return [
        GenerationRequest(prompt=prompt, seed=1000 + s, steps=steps, guidance=g, width=size, height=size)
        for prompt in FIDELITY_PROMPTS
        for s in range(2)
        for g in (1.0, 4.0)
    ]


def train_preview(
    model_dir: Path,
    *,
    settings: PreviewTraining | None = None,
    device: str = "cpu",
    minutes: float | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Distil `model_dir`'s VAE decoder into `model_dir/preview_decoder/`; returns figures (also
    written as `preview_decoder/training.json`)."""
    import json

    from render.tiny_prx.load import load_tiny_prx, native_size

    p = settings or PreviewTraining()
    started = time.monotonic()
    pipe = load_tiny_prx(model_dir, device=device)
    size = native_size(model_dir)
    vae = pipe.vae
    doublings = len(vae.config.block_out_channels) - 1
    config = PreviewConfig.for_vae(vae.config.latent_channels, doublings)
    log(f"[preview] distilling {model_dir} VAE decoder into {config} with {asdict(p)}")

    latents = training_latents(pipe, p, size, log)
    with torch.no_grad():
        targets = decode_float(vae, latents).clamp(-1, 1).to(torch.float16)
    log(f"[preview] {latents.shape[0]} latents and their VAE decodes in {time.monotonic() - started:.0f} s")
    left = None if minutes is None else max(1.0, minutes - (time.monotonic() - started) / 60)
    decoder, losses = train_preview_decoder(latents.cpu(), targets.cpu(), config, p, log, left)
    decoder.save(model_dir)
    shipped = load_preview_decoder(model_dir)  # measured as stored (float16 weights)
    fidelity = preview_fidelity(pipe, shipped, fidelity_requests(size))
    meta = {
        "config": config.model_dump(),
        "training": asdict(p),
        "samples": int(latents.shape[0]),
        "losses_every_100_steps": losses,
        "psnr_db": fidelity,
        "seconds": time.monotonic() - started,
    }
    (Path(model_dir) / "preview_decoder" / "training.json").write_text(json.dumps(meta, indent=1) + "\n")
    log("[preview] PSNR against full decodes: " + ", ".join(f"{k} {v:.1f} dB" for k, v in fidelity.items()))
    return meta
