"""Latents -> images by the model's VAE, in fixed-size chunks.

Every call goes through `in_fixed_chunks`: a network sees its inputs in chunks of one fixed size
(the last one padded with copies of its first row). On the CPU a convolution or matrix product of a
different batch size may add up in a different order (measured: batch 1 against 2 differ in the
last bits), but within one chunk size every row comes out the same wherever it sits and whatever
sits next to it. So what a request records does not depend on which requests shared its batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

# Rows per call of a network. On the CPU small chunks stay in cache (the 128 px VAE decodes about
# twice as fast per latent in chunks of 4 as of 64); GPUs want large ones.
DECODE_CHUNK = {"cpu": 4, "cuda": 64, "mps": 16}


def chunk_size(table: dict[str, int], device: torch.device | str) -> int:
    return table.get(torch.device(device).type, 16)


def in_fixed_chunks(fn: Callable[..., torch.Tensor], size: int, *inputs: torch.Tensor) -> torch.Tensor:
    """`fn(*inputs)` computed `size` rows at a time, every call exactly `size` rows (see the module doc)."""
    n = inputs[0].shape[0]
    if n == 0:
        raise ValueError("in_fixed_chunks needs at least one row")
    out = []
    for i in range(0, n, size):
        part = [x[i : i + size] for x in inputs]
        k = part[0].shape[0]
        if k < size:
            part = [torch.cat([x, x[:1].expand(size - k, *x.shape[1:])]) for x in part]
        out.append(fn(*part)[:k])
    return torch.cat(out)


def quantise(images: torch.Tensor) -> torch.Tensor:
    """Decoder output [n, 3, H, W] (about -1..1) -> uint8 [n, 3, H, W] on the CPU."""
    return ((images / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).cpu()


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Decoder output [n, 3, H, W] (about -1..1) -> uint8 RGB images [n, H, W, 3] on the CPU."""
    return quantise(images).permute(0, 2, 3, 1).numpy()


def _vae_fn(vae) -> Callable[[torch.Tensor], torch.Tensor]:
    scaling = getattr(vae.config, "scaling_factor", None) or 0.18215
    shift = getattr(vae.config, "shift_factor", None) or 0.0

    def decode(latents: torch.Tensor) -> torch.Tensor:
        latents = latents.to(device=vae.device, dtype=vae.dtype) / scaling + shift
        return vae.decode(latents, return_dict=False)[0].float()

    return decode


@torch.no_grad()
def decode_float(vae, latents: torch.Tensor) -> torch.Tensor:
    """Latents (as the transformer sees them) -> the VAE decoder's unclamped output [n, 3, H, W] on the CPU."""
    fn = _vae_fn(vae)
    return in_fixed_chunks(lambda x: fn(x).cpu(), chunk_size(DECODE_CHUNK, vae.device), latents)


@torch.no_grad()
def decode_latents(vae, latents: torch.Tensor) -> np.ndarray:
    """Latents (as the transformer sees them) -> uint8 RGB images [n, H, W, 3] by the full VAE."""
    fn = _vae_fn(vae)  # quantised chunk by chunk: large decodes on a GPU need not hold floats
    images = in_fixed_chunks(lambda x: quantise(fn(x)), chunk_size(DECODE_CHUNK, vae.device), latents)
    return images.permute(0, 2, 3, 1).numpy()


def noise_share(sigma: float, flow: bool) -> float:
    """How much of a state is noise at noise level `sigma`: sigma itself for flow matching
    (x = (1 - sigma) x0 + sigma noise), sigma / sqrt(1 + sigma^2) for schedulers whose sigmas are
    the noise's scale over an unscaled x0."""
    return float(sigma) if flow else float(sigma / np.sqrt(1.0 + sigma * sigma))


def noise_picture(noise: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """A latent's noise made visible [3, H, W] in 0..1: its first three channels, scaled to unit
    RMS, through the normal distribution's CDF (so Gaussian noise becomes uniform static, like
    random pixels) and enlarged without smoothing, one block of pixels per latent cell."""
    x = noise.float()
    x = x / x.pow(2).mean().sqrt().clamp(min=1e-6)
    rgb = x[[i % x.shape[0] for i in range(3)]]
    return torch.nn.functional.interpolate(torch.special.ndtr(rgb)[None], size=(height, width), mode="nearest")[0]


def state_pictures(
    states: torch.Tensor, predictions: torch.Tensor, sigmas: np.ndarray, decoded: np.ndarray, final: np.ndarray
) -> np.ndarray:
    """What each state looks like, uint8 [steps+1, H, W, 3], without decoding noise through the VAE.

    A state is a mix of a clean latent and noise, x = (1 - a) x0 + a noise. Decoding it whole gives a
    smooth, blotchy field, not the noise it holds; so each part is shown as what it is: the model's
    prediction x0 through the decoder (`decoded` [steps, H, W, 3]) and the rest, the noise, made
    visible (`noise_picture`), mixed in the same proportion. The first state is pure noise, static;
    the last is the final image (`final`). `states` [steps+1, C, h, w], `predictions` [steps, C, h, w].
    """
    flow = float(sigmas.max()) <= 1.0 + 1e-4
    height, width = final.shape[:2]
    out = [None] * (len(sigmas))
    for k in range(len(sigmas) - 1):
        a = noise_share(float(sigmas[k]), flow)
        noise = noise_picture(states[k].float() - (1 - a) * predictions[k].float(), height, width)
        picture = torch.from_numpy(decoded[k]).float().permute(2, 0, 1) / 255 * (1 - a) + noise * a
        out[k] = (picture.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    out[-1] = final
    return np.stack(out)
