"""The ways to train the embedded model: sizes and training lengths (no torch here: the CLI reads them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """The sizes and training lengths of one way to train the model (see PRESETS)."""

    name: str
    size: int
    vae_channels: tuple[int, ...]
    latent_channels: int
    vae_steps: int
    vae_batch: int
    vae_lr: float
    hidden: int
    depth: int
    heads: int
    patch: int
    steps: int
    batch: int
    lr: float
    mlp_ratio: float = 3.5
    warmup: int = 200
    ema: float = 0.999
    kl_weight: float = 1e-6
    ckpt_every: int = 500
    log_every: int = 100
    max_minutes: float | None = None  # wall-clock cap for both phases together
    vae_share: float = 0.3  # share of max_minutes the VAE may use at most


# fmt: off
PRESETS: dict[str, Preset] = {
    # 64 px -> 16x16x4 latent (12x fewer numbers), 1.6M-parameter transformer. On this project's
    # 2-core machine (bench/train_throughput.py) the VAE takes ~0.32 s/step and the transformer
    # ~0.37 s/step: about 16 + 50 minutes, capped at 75.
    "cpu": Preset(
        name="cpu", size=64, vae_channels=(32, 64, 64), latent_channels=4, vae_steps=3000, vae_batch=8,
        vae_lr=1e-3, hidden=128, depth=4, heads=2, patch=2, steps=8000, batch=32, lr=6e-4,
        warmup=200, ckpt_every=250, log_every=100, max_minutes=75.0, vae_share=0.25,
    ),
    # 128 px -> 16x16x16 latent (8x down, like the Flux VAE); one H100/H200, 7 minutes. The
    # step counts are ceilings: the time cap decides (the learning rate follows the clock).
    "gpu": Preset(
        name="gpu", size=128, vae_channels=(32, 64, 128, 128), latent_channels=16, vae_steps=3000,
        vae_batch=64, vae_lr=1e-3, hidden=256, depth=6, heads=4, patch=2, steps=12000, batch=256,
        lr=5e-4, warmup=200, ckpt_every=1000, log_every=250, max_minutes=7.0, vae_share=0.4,
    ),
    # tiny, for tests
    "smoke": Preset(
        name="smoke", size=32, vae_channels=(32, 32, 32), latent_channels=4, vae_steps=30, vae_batch=8,
        vae_lr=2e-3, hidden=64, depth=2, heads=2, patch=2, steps=40, batch=16, lr=2e-3, warmup=5,
        ckpt_every=20, log_every=10,
    ),
}
# fmt: on
