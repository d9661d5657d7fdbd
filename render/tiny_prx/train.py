"""Training the embedded model `builtin:tiny-prx` on the procedural world (`render/tiny_prx/world.py`).

Phases: a diffusers `AutoencoderKL`, then (with `tiny_vae_steps`) the `AutoencoderTiny` the pipeline
ships, taught its latent space, then a `PRXTransformer2DModel` trained with the rectified-flow
objective that `FlowMatchEulerDiscreteScheduler` + `PRXPipeline` sample with: x_t = (1 - s) x0 +
s noise, target v = noise - x0, timestep input s (logit-normal). Latents are normalised as
z = (latent - shift_factor) * scaling_factor, the inverse of what PRXPipeline does before
`vae.decode`. Text: all-MiniLM-L6-v2 token-level states, tokenised
exactly like `PRXPipeline._tokenize_prompts` (clean_text, padding to max_length 64; `text.py`).

The networks are built in `networks.py`, the phases share `loop.py`'s loop, and `card.py`
writes training.json and the model card.

    noise2image train-model --preset gpu --out assets/models/tiny-prx
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from render.tiny_prx import world
from render.tiny_prx.card import git_commit, training_meta, write_records, write_vocabulary
from render.tiny_prx.devices import hardware, training_device
from render.tiny_prx.loop import Checkpoint, Deadline, PhaseLoop, Run, optimiser_step, seconds_in
from render.tiny_prx.networks import (
    encode_mean,
    make_tiny_vae,
    make_transformer,
    make_vae,
    n_params,
    pipeline_of,
    save_pipeline,
    save_vae,
)
from render.tiny_prx.presets import PRESETS, Preset
from render.tiny_prx.text import TextConditioner

# ---------------------------------------------------------------------------------------------
# Phase 1: the VAE


def _edges(x: torch.Tensor) -> torch.Tensor:
    """The differences of neighbouring pixels, across and down, flattened per image."""
    return torch.cat([(x[..., 1:, :] - x[..., :-1, :]).flatten(1), (x[..., :, 1:] - x[..., :, :-1]).flatten(1)], 1)


def _vae_loss(vae, x: torch.Tensor, generator: torch.Generator, p: Preset, amp: bool) -> torch.Tensor:
    """Reconstruction (MSE + L1/2, and L1 of the edges with `vae_edge_weight`) of a posterior sample
    (or its mean, without `vae_sample`), plus a small KL term."""
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=amp):
        posterior = vae.encode(x).latent_dist
        z = posterior.sample(generator=generator) if p.vae_sample else posterior.mode()
        rec = vae.decode(z).sample
    return _reconstruction_loss(rec.float(), x, p) + p.kl_weight * posterior.kl().mean()


def _reconstruction_loss(rec: torch.Tensor, x: torch.Tensor, p: Preset) -> torch.Tensor:
    """MSE + L1/2 of a decoded picture against the original, and L1 of their edges with `vae_edge_weight`."""
    loss = F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x)
    if p.vae_edge_weight:
        loss = loss + p.vae_edge_weight * F.l1_loss(_edges(rec), _edges(x))
    return loss


def _read_some_losses(step: int, loss: torch.Tensor) -> float | None:
    # Reading a loss waits for the device: only the first 10 steps and every 10th are read.
    return float(loss.detach()) if step % 10 == 0 or step < 10 else None


def _mean_of_read(values: list[float | None]) -> float | None:
    read = [v for v in values if v is not None]
    return sum(read) / len(read) if read else None


def _autoencoder_loop(name: str, run: Run, vae, params, lr: float, total: int, seed: int, deadline: Deadline):
    """The loop of an autoencoder phase, resumed where its checkpoint left off: (loop, optimiser, noise generator
    on the device, scene generator on the CPU); `seed` tells the phases' generators apart."""
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, betas=(0.9, 0.99))
    gen = torch.Generator(device=run.device).manual_seed(run.seed * 1000 + seed)
    scenes = torch.Generator().manual_seed(run.seed * 1000 + 10 + seed)
    checkpoint = Checkpoint(run.checkpoints / f"{name}.pt", model=vae, opt=opt, gen=gen, scenes=scenes)
    loop = PhaseLoop(
        name,
        run,
        total=total,
        base_lr=lr,
        warmup=min(run.preset.warmup, 100),
        optimizer=opt,
        checkpoint=checkpoint,
        deadline=deadline,
        record=_read_some_losses,
        summarise=_mean_of_read,
    )
    loop.resume()
    return loop, opt, gen, scenes


def _round_trip_after(name: str, run: Run, vae) -> dict:
    """Freeze the autoencoder after a phase and measure (and log) its round trip."""
    vae.eval().requires_grad_(False)
    final = vae_point(vae, run.preset, run.device)
    run.log(f"[{name}] round trip of 200 scenes: " + ", ".join(f"{k} {v:.1%}" for k, v in final["round_trip"].items()))
    return final


def _train_vae(run: Run, vae, deadline: Deadline) -> dict:
    """Train the autoencoder; returns its metrics (`vae_steps_done`, `vae_stopped`, ...)."""
    p, dev = run.preset, run.device
    loop, opt, gen, scenes = _autoencoder_loop("vae", run, vae, vae.parameters(), p.vae_lr, p.vae_steps, 1, deadline)
    vae.train()
    curve = Curve(p.curve_every_minutes, lambda: vae_point(vae, p, dev), run.checkpoints / "vae_curve.json",
                  run.resume)  # fmt: skip
    for _ in loop.steps():
        x, _, _ = world.sample_batch(p.vae_batch, p.size, scenes, dev)
        loss = _vae_loss(vae, x, gen, p, run.amp)
        optimiser_step(opt, vae, loss)
        loop.done(loss)
        if curve.due():
            point = curve.take(loop.step)
            run.log(
                f"[vae] step {loop.step}: round trip "
                + ", ".join(f"{k} {v:.1%}" for k, v in point["round_trip"].items())
            )
    steps, stopped, seconds, losses = loop.finish()
    final = _round_trip_after("vae", run, vae)
    return {
        "vae_steps_done": steps,
        "vae_stopped": stopped,
        "vae_seconds": seconds,
        "vae_losses": losses,
        "vae_round_trip": final["round_trip"],
        "vae_curve": curve.points,
        "vae_code": loop.code,
    }


def _blurred_noise(shape, sigma: float, generator: torch.Generator, device) -> torch.Tensor:
    """Unit-variance Gaussian noise of `shape` [N, C, H, W], blurred over H and W by a Gaussian of `sigma`
    cells (none at 0), each channel apart."""
    eps = torch.randn(shape, generator=generator, device=device)
    if not sigma:
        return eps
    r = torch.arange(-2, 3, device=device, dtype=eps.dtype)
    k = torch.exp(-(r**2) / (2 * sigma**2))
    kernel = k[:, None] * k[None, :]
    kernel = (kernel / kernel.square().sum().sqrt()).expand(shape[1], 1, 5, 5)  # unit gain on white noise
    return F.conv2d(F.pad(eps, (2, 2, 2, 2), mode="reflect"), kernel, groups=shape[1])


def distil_tiny_vae(run: Run, teacher, deadline: Deadline):
    """Train an `AutoencoderTiny` on the trained autoencoder's latent space (`Preset.tiny_vae_steps`):
    its encoder to give the teacher's latents, its decoder to draw the pictures from them with blurred
    noise added (`tiny_vae_noise`, `tiny_vae_noise_blur`: a sampled latent is never exactly an encoded
    picture), but for a share `tiny_vae_clean` of the pictures. Both losses in the normalised units the
    transformer sees. Returns (the tiny VAE, frozen, its metrics)."""
    p, dev = run.preset, run.device
    tiny = make_tiny_vae(p, teacher).to(dev)
    loop, opt, gen, scenes = _autoencoder_loop(
        "tiny_vae", run, tiny, tiny.parameters(), p.tiny_vae_lr, p.tiny_vae_steps, 5, deadline
    )
    tiny.train()
    scale = teacher.config.scaling_factor
    for _ in loop.steps():
        x, _, _ = world.sample_batch(p.vae_batch, p.size, scenes, dev)
        with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=run.amp):
            z = encode_mean(teacher, x).float()
        lo, hi = p.tiny_vae_noise
        level = (lo + (hi - lo) * torch.rand(z.shape[0], 1, 1, 1, generator=gen, device=dev)) / scale
        level = level * (torch.rand(level.shape, generator=gen, device=dev) >= p.tiny_vae_clean)
        noisy = z + level * _blurred_noise(z.shape, p.tiny_vae_noise_blur, gen, dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=run.amp):
            own = tiny.encode(x).latents
            rec = tiny.decode(noisy).sample
        loss = _reconstruction_loss(rec.float(), x, p) + F.mse_loss(own.float() * scale, z * scale)
        optimiser_step(opt, tiny, loss)
        loop.done(loss)
    steps, stopped, seconds, losses = loop.finish()
    final = _round_trip_after("tiny_vae", run, tiny)
    return tiny, {
        "tiny_vae_steps_done": steps,
        "tiny_vae_stopped": stopped,
        "tiny_vae_seconds": seconds,
        "tiny_vae_losses": losses,
        "tiny_vae_round_trip": final["round_trip"],
        "tiny_vae_params": n_params(tiny),
        "tiny_vae_code": loop.code,
    }


@torch.no_grad()
def vae_point(vae, p: Preset, device) -> dict:
    """The autoencoder's round trip on 200 scenes: the share of each attribute read back right."""
    from render.tiny_prx.evaluate import detailed_prompts, round_trip

    was_training = vae.training
    vae.eval()
    point = {"round_trip": round_trip(vae, p.size, detailed_prompts(200, seed=1), device)}
    vae.train(was_training)
    return point


@torch.no_grad()
def _latent_stats(run: Run, vae) -> tuple[float, float, float]:
    """(shift_factor, scaling_factor, reconstruction MSE) of the trained VAE, on fresh scenes."""
    p, dev = run.preset, run.device
    gen = torch.Generator().manual_seed(run.seed * 1000 + 2)
    zs, recs = [], []
    for _ in range(max(2, 512 // p.vae_batch if dev.type == "cuda" else 4)):
        x, _, _ = world.sample_batch(p.vae_batch, p.size, gen, dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=run.amp):
            z = encode_mean(vae, x)
            r = vae.decode(z).sample
        zs.append(z.float())
        recs.append(F.mse_loss(r.float(), x).item())
    z = torch.cat(zs)
    shift = float(z.mean())
    scale = float(1.0 / (z.std() + 1e-6))
    return shift, scale, sum(recs) / len(recs)


# ---------------------------------------------------------------------------------------------
# Phase 2: the transformer


def transformer_loss(
    transformer,
    vae,
    x: torch.Tensor,
    emb: torch.Tensor,
    mask: torch.Tensor,
    generator: torch.Generator,
    *,
    amp: bool,
    cover: torch.Tensor | None = None,
    object_weight: float = 0.0,
    time_shift: float = 1.0,
) -> torch.Tensor:
    """The rectified-flow loss of a batch of images `x` [-1, 1] with their text `emb` and `mask`.

    x0 = the VAE latent normalised as PRXPipeline expects, x_t = (1 - s) x0 + s noise with s
    logit-normal (its logit moved by log(`time_shift`)), target v = noise - x0. Noise and noise
    levels come from `generator`. With `object_weight`, the latent cells an object covers (`cover`
    [N, S, S], from the world) count 1 + object_weight times: the object is a small part of each
    picture, and its shape is what the model finds hardest."""
    dev = x.device
    with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
        lat = encode_mean(vae, x)
    z0 = (lat.float() - vae.config.shift_factor) * vae.config.scaling_factor
    noise = torch.randn(z0.shape, generator=generator, device=dev)
    s = torch.sigmoid(torch.randn(z0.shape[0], generator=generator, device=dev) + math.log(time_shift))
    sv = s.view(-1, 1, 1, 1)
    xt = (1 - sv) * z0 + sv * noise
    with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
        v = transformer(hidden_states=xt, timestep=s, encoder_hidden_states=emb, attention_mask=mask, return_dict=False)
    err = (v[0].float() - (noise - z0)) ** 2
    if not object_weight or cover is None:
        return err.mean()
    weight = 1 + object_weight * F.adaptive_max_pool2d(cover[:, None], z0.shape[-2:])
    return (err * weight).sum() / (weight.sum() * err.shape[1])


@torch.no_grad()
def _update_ema(ema_params: list[torch.Tensor], params: list[torch.Tensor], steps_done: int, decay: float) -> None:
    # the decay ramps up over the first steps, so the average does not keep the initial weights
    decay = min(decay, (1 + steps_done) / (10 + steps_done))
    torch._foreach_lerp_(ema_params, [q.detach() for q in params], 1 - decay)


def _mean_of_tensors(values: list[torch.Tensor]) -> float | None:
    return float(torch.stack(values).mean()) if values else None


CENTRED = {"size": "large", "position": "center"}  # the curriculum's scenes (Preset.centred_steps)


def _train_transformer(
    run: Run, tr, vae, text: TextConditioner, deadline: Deadline, pipeline_vae=None
) -> tuple[torch.nn.Module, dict]:
    """Train the transformer on the VAE's normalised latents; returns its EMA copy and the metrics. Its
    learning curve decodes with `pipeline_vae` (the VAE the pipeline ships; `vae` without one)."""
    p, dev = run.preset, run.device
    opt = torch.optim.AdamW(tr.parameters(), lr=p.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ema = copy.deepcopy(tr).eval().requires_grad_(False)
    gen = torch.Generator(device=dev).manual_seed(run.seed * 1000 + 3)  # noise, on the device
    scenes = torch.Generator().manual_seed(run.seed * 1000 + 13)  # the world's scenes, on the CPU
    checkpoint = Checkpoint(run.checkpoints / "transformer.pt", model=tr, ema=ema, opt=opt, gen=gen, scenes=scenes)
    loop = PhaseLoop(
        "transformer",
        run,
        total=p.steps,
        base_lr=p.lr,
        warmup=p.warmup,
        optimizer=opt,
        checkpoint=checkpoint,
        deadline=deadline,
        record=lambda step, loss: loss.detach(),  # kept on the device: no wait for it
        summarise=_mean_of_tensors,
        status=lambda: f" ({len(text.slots)} captions cached)",
    )
    loop.resume()
    tr.train()
    ema_params, params = list(ema.parameters()), list(tr.parameters())
    decoding = pipeline_vae or vae
    curve = Curve(p.curve_every_minutes, lambda: learning_point(ema, decoding, text, p), run.checkpoints / "curve.json",
                  run.resume)  # fmt: skip
    for step in loop.steps():
        fixed = CENTRED if step < p.centred_steps else None
        wrong = p.wrong_shape_share if loop.progress() >= p.wrong_shape_from else 0.0
        x, captions, _, cover = world.sample_batch_with_masks(p.batch, p.size, scenes, dev, fixed, wrong)
        emb, mask = text(captions)
        loss = transformer_loss(tr, vae, x, emb, mask, gen, amp=run.amp, cover=cover, object_weight=p.object_weight,
                                time_shift=p.time_shift)  # fmt: skip
        optimiser_step(opt, tr, loss)
        _update_ema(ema_params, params, steps_done=step + 1, decay=p.ema)
        loop.done(loss)
        if curve.due():
            point = curve.take(loop.step)
            run.log(
                f"[transformer] step {loop.step}: " + ", ".join(f"{k} {v:.1%}" for k, v in point["accuracy"].items())
            )
    steps, stopped, seconds, losses = loop.finish()
    return ema, {
        "steps_done": steps,
        "stopped": stopped,
        "transformer_seconds": seconds,
        "transformer_losses": losses,
        "learning_curve": curve.points,
        "transformer_code": loop.code,
    }


# ---------------------------------------------------------------------------------------------
# Learning curves: the EMA model's attribute accuracy while it trains


class Curve:
    """Points of a learning curve, one every `minutes` of training time (the measuring itself not
    counted, so a slow measurement never crowds out the training); never, with None."""

    def __init__(self, minutes: float | None, measure: Callable[[], dict], path: Path, resume: bool):
        self.every = None if minutes is None else minutes * 60
        self.measure = measure
        self.path = path  # kept beside the checkpoints, so a resumed run goes on with its curve
        self.points: list[dict] = json.loads(path.read_text()) if resume and path.is_file() else []
        done = self.points[-1]["seconds"] if self.points else 0.0
        self.t0 = time.monotonic() - done
        self.spent = 0.0  # seconds spent measuring: not training time

    def training_seconds(self) -> float:
        return time.monotonic() - self.t0 - self.spent

    def due(self) -> bool:
        return self.every is not None and self.training_seconds() >= self.every * (len(self.points) + 1)

    def take(self, step: int) -> dict:
        start = time.monotonic()
        point = {"step": step, "seconds": round(self.training_seconds(), 1), **self.measure()}
        self.spent += time.monotonic() - start
        self.points.append(point)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.points))
        return point


@torch.no_grad()
def learning_point(ema, vae, text: TextConditioner, p: Preset) -> dict:
    """The EMA transformer's attribute accuracy on `curve_prompts` detailed prompts (28 steps,
    guidance 4, float32), as `noise2image eval-model` measures it."""
    from render.tiny_prx.evaluate import accuracy_of, detailed_prompts

    pipe = pipeline_of(ema, vae, text, p)
    items = detailed_prompts(p.curve_prompts, seed=1)  # not the evaluation's own prompts (seed 0)
    return {"accuracy": accuracy_of(pipe, [q for q, _ in items], seed=1, batch_size=32)}


# ---------------------------------------------------------------------------------------------
# The whole run


def _configure(preset: str, overrides: dict | None, max_steps: int | None, max_minutes: float | None) -> Preset:
    """The preset with the caller's changes: overrides, a step cap for trials, a time cap."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(sorted(PRESETS))}")
    p = PRESETS[preset]
    if overrides:
        p = replace(p, **overrides)
    if max_steps is not None:
        p = replace(
            p,
            vae_steps=min(p.vae_steps, max_steps),
            steps=min(p.steps, max_steps),
            warmup=min(p.warmup, max(1, max_steps // 4)),
            ckpt_every=min(p.ckpt_every, max_steps),
            log_every=min(p.log_every, max(1, max_steps // 2)),
        )
    if max_minutes is not None:
        p = replace(p, max_minutes=max_minutes)
    return p


def train_model(
    preset: str,
    out_dir: Path,
    seed: int = 0,
    resume: bool = True,
    log: Callable[[str], None] = print,
    device: str | None = None,
    max_steps: int | None = None,
    max_minutes: float | None = None,
    overrides: dict | None = None,
) -> dict:
    """Train VAE then transformer for a preset; save a diffusers folder into out_dir; return metrics.

    max_steps caps both phases' step counts (for trials); max_minutes caps the run's wall-clock time,
    saving included (the VAE gets at most `vae_share` of it); a capped phase stops
    gracefully and everything is still saved. Checkpoints in out_dir/checkpoints let a killed
    run resume."""
    # 1. Settings, output folder, device
    p = _configure(preset, overrides, max_steps, max_minutes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run = Run(p, training_device(device), seed, out / "checkpoints", resume, log, git_commit())
    torch.manual_seed(seed)
    t_start = time.time()
    # the time cap counts the training a resumed run did before (as its checkpoints hold it)
    before = {
        phase: seconds_in(run.checkpoints / f"{phase}.pt") if resume else 0.0
        for phase in ("vae", "tiny_vae", "transformer")
    }
    # the last 1% of the cap is kept for the transformer's last checkpoint and the saving (the run that made the
    # shipped weights, without it, ended 13 s past its 90 minutes)
    deadline = Deadline(p.max_minutes, spent=sum(before.values()), reserve=0.01)
    log(f"training tiny-prx preset {p.name} on {hardware(run.device)}: {asdict(p)}")

    # 2. Models, initialised from the seed (the VAE first)
    vae = make_vae(p).to(run.device)
    tr = make_transformer(p).to(run.device)
    log(f"VAE {n_params(vae) / 1e6:.2f}M params, transformer {n_params(tr) / 1e6:.2f}M params")

    # 3. The VAE, then the latent normalisation that PRXPipeline undoes before decoding, then the tiny
    # VAE the pipeline ships, taught by it (both within the VAE's share of the time)
    vae_cap = None if p.max_minutes is None else p.max_minutes * p.vae_share
    vae_deadline = Deadline(vae_cap, spent=before["vae"] + before["tiny_vae"])
    vm = _train_vae(run, vae, vae_deadline)
    log(f"[vae] phase done: {vm['vae_steps_done']} steps in {vm['vae_seconds']:.1f} s ({vm['vae_stopped']})")
    stats = _latent_stats(run, vae)
    shift, scale, rec = stats
    vae.register_to_config(scaling_factor=scale, shift_factor=shift)
    log(f"latent shift_factor {shift:.4f} scaling_factor {scale:.4f} recon MSE {rec:.5f}")
    shipped = vae
    if p.tiny_vae_steps:
        shipped, tiny_metrics = distil_tiny_vae(run, vae, vae_deadline)
        vm |= tiny_metrics
        log(f"[tiny_vae] phase done: {vm['tiny_vae_steps_done']} steps in {vm['tiny_vae_seconds']:.1f} s "
            f"({vm['tiny_vae_stopped']})")  # fmt: skip

    # 4. The transformer, within what is left of the time cap
    text = TextConditioner(run.device, amp=run.amp)
    ema, tm = _train_transformer(run, tr, vae, text, deadline, pipeline_vae=shipped)
    log(f"[transformer] phase done: {tm['steps_done']} steps in {tm['transformer_seconds']:.1f} s ({tm['stopped']})")

    # 5. Save: float16 safetensors in the diffusers layout, training.json and the model card
    t_save = time.time()
    save_pipeline(out, p, ema, shipped)
    meta = training_meta(run, vae, tr, stats, {**vm, **tm})
    meta["total_seconds"] = sum(before.values()) + time.time() - t_start  # this session and those before
    write_vocabulary(out)
    write_records(out, meta)
    total, size_mb = meta["total_seconds"], meta["size_mb"]
    log(f"saved to {out} ({size_mb:.1f} MB) in {time.time() - t_save:.1f} s; total {total:.1f} s")
    return meta


def add_tiny_vae(
    model_dir: Path, preset: str = "cpu", log: Callable[[str], None] = print, overrides: dict | None = None
) -> dict:
    """Give a trained model folder whose VAE is the autoencoder (`AutoencoderKL`) the tiny VAE phase of
    `preset`, as a run of it does after the autoencoder: the tiny VAE, taught by the folder's VAE, becomes
    the pipeline's VAE; training.json gains the phase's metrics and commit. The transformer is unchanged
    (its latents are the teacher's). Resumable from model_dir/checkpoints/tiny_vae.pt."""
    from diffusers import AutoencoderKL

    model_dir = Path(model_dir)
    meta = json.loads((model_dir / "training.json").read_text())
    recipe = _configure(preset, overrides, None, None)
    ran = {k: v for k, v in meta["preset"].items() if k in Preset.__dataclass_fields__}
    p = replace(Preset(**ran), **{k: v for k, v in asdict(recipe).items() if k.startswith("tiny_vae")})
    if not p.tiny_vae_steps or meta.get("tiny_vae_steps_done"):
        raise ValueError(f"{model_dir}: preset {preset} has no tiny VAE phase, or the folder has one already")
    device = training_device(None)
    teacher = AutoencoderKL.from_pretrained(str(model_dir / "vae"), torch_dtype=torch.float32, local_files_only=True)
    teacher = teacher.to(device).eval().requires_grad_(False)
    run = Run(p, device, meta.get("seed", 0), model_dir / "checkpoints", True, log, git_commit())
    tiny, metrics = distil_tiny_vae(run, teacher, Deadline(None))
    log(f"[tiny_vae] phase done: {metrics['tiny_vae_steps_done']} steps in {metrics['tiny_vae_seconds']:.1f} s")
    metrics["tiny_vae_hardware"] = hardware(device)  # this phase's machine, where it is not the run's
    save_vae(model_dir, tiny)
    meta |= metrics
    meta["preset"] = asdict(p)
    meta["total_seconds"] += metrics["tiny_vae_seconds"]
    write_records(model_dir, meta)
    return meta
