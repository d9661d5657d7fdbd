"""A small preview decoder: latents -> images, about ten times cheaper than the VAE's decoder.

Recording a trajectory shows every intermediate state and every x0 prediction as an image; on a
CPU, decoding those with the full VAE costs far more than the denoising itself. Image tools solve
the same problem for live previews with TAESD (a tiny autoencoder distilled from the real one);
this is the same idea for a model's own VAE: a few convolutions and nearest-neighbour upsamplings,
trained to reproduce the VAE decoder's output (render/tiny_prx/preview_train.py). The engine uses
it for intermediate steps and keeps the full VAE for final images.

A model folder carries one as `preview_decoder/` (`config.json` + `model.safetensors`); a model
without one (a hub model, say) is decoded by its VAE throughout.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

FOLDER = "preview_decoder"
CONFIG = "config.json"
WEIGHTS = "model.safetensors"


class PreviewConfig(BaseModel):
    """The shape of a preview decoder: `channels[i]` features at the latent size times 2^i, `blocks[i]`
    residual blocks there; a last sub-pixel convolution doubles once more to the image size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    latent_channels: int = Field(ge=1)
    channels: tuple[int, ...] = Field(min_length=1, description="features per stage, from the latent size up")
    blocks: tuple[int, ...] = Field(min_length=1, description="residual blocks per stage")
    out_channels: int = 3

    @classmethod
    def for_vae(cls, latent_channels: int, doublings: int) -> PreviewConfig:
        """The default shape for a VAE that doubles the size `doublings` times (at least once)."""
        if doublings < 1:
            raise ValueError(f"a preview decoder needs a VAE that upsamples, got {doublings} doublings")
        channels = tuple(max(16, 64 >> i) for i in range(doublings))
        return cls(latent_channels=latent_channels, channels=channels, blocks=(1,) * (doublings - 1) + (0,))

    @property
    def upscale(self) -> int:
        """Image pixels per latent pixel along each side."""
        return 2 ** len(self.channels)


class _Block(nn.Module):
    """conv-ReLU-conv with a skip connection (TAESD's block)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


class PreviewDecoder(nn.Module):
    """Latents as the transformer sees them [n, C, h, w] -> images [n, 3, h * k, w * k] in about -1..1.

    Per stage: (nearest x2 upsampling and) a 3x3 convolution, then residual blocks; at the end one
    convolution to 4x the colours and a pixel shuffle (a sub-pixel convolution: the last doubling
    costs no convolution at full size). It takes the latents before the VAE's scaling and shift
    (it learns them), so it is a drop-in for the VAE's decoder in `decode_latents`.
    """

    def __init__(self, config: PreviewConfig):
        super().__init__()
        if len(config.blocks) != len(config.channels):
            raise ValueError(f"blocks {config.blocks} and channels {config.channels} must be as long")
        self.config = config
        layers: list[nn.Module] = []
        previous = config.latent_channels
        for i, (channels, blocks) in enumerate(zip(config.channels, config.blocks, strict=True)):
            if i:
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
            layers += [nn.Conv2d(previous, channels, 3, padding=1), nn.ReLU()]
            layers += [_Block(channels) for _ in range(blocks)]
            previous = channels
        layers += [nn.Conv2d(previous, 4 * config.out_channels, 3, padding=1), nn.PixelShuffle(2)]
        self.layers = nn.Sequential(*layers)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.layers(latents)

    def save(self, folder: Path) -> Path:
        """Write `folder/preview_decoder/` (config and float16 weights); returns that folder."""
        from safetensors.torch import save_file

        out = Path(folder) / FOLDER
        out.mkdir(parents=True, exist_ok=True)
        (out / CONFIG).write_text(self.config.model_dump_json(indent=2) + "\n")
        save_file({k: v.detach().to(torch.float16).contiguous() for k, v in self.state_dict().items()}, out / WEIGHTS)
        return out


def load_preview_decoder(model_folder: Path | None, device="cpu", dtype=torch.float32) -> PreviewDecoder | None:
    """The preview decoder shipped in `model_folder/preview_decoder/`, or None if there is none."""
    if model_folder is None:
        return None
    folder = Path(model_folder) / FOLDER
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        return None
    from safetensors.torch import load_file

    config = PreviewConfig.model_validate(json.loads((folder / CONFIG).read_text()))
    decoder = PreviewDecoder(config)
    decoder.load_state_dict({k: v.float() for k, v in load_file(folder / WEIGHTS).items()})
    return decoder.to(device=device, dtype=dtype).eval().requires_grad_(False)
