"""The embedded model's networks: a fresh VAE and transformer of a preset's size, and saving them.

The saved folders are the diffusers layout that `load.py` reads back as a `PRXPipeline`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch

from render.tiny_prx.load import TEXT_DIM
from render.tiny_prx.presets import Preset


def make_vae(p: Preset):
    """A fresh `AutoencoderKL` of the preset's size (each level after the first halves the image).

    With `vae_identity_init` every residual block starts as the identity (its second convolution
    zeroed, as in Fixup and SkipInit): the autoencoder then starts as a short chain of convolutions
    and learns an exact round trip in minutes instead of hours."""
    from diffusers import AutoencoderKL
    from diffusers.models.resnet import ResnetBlock2D

    n = len(p.vae_channels)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * n,
        up_block_types=("UpDecoderBlock2D",) * n,
        block_out_channels=tuple(p.vae_channels),
        layers_per_block=1,
        latent_channels=p.latent_channels,
        norm_num_groups=p.vae_norm_groups,
        mid_block_add_attention=p.vae_attention,
        sample_size=p.size,
        scaling_factor=1.0,
        shift_factor=0.0,
    )
    if p.vae_identity_init:
        for block in vae.modules():
            if isinstance(block, ResnetBlock2D):
                torch.nn.init.zeros_(block.conv2.weight)
                torch.nn.init.zeros_(block.conv2.bias)
    return vae


def make_tiny_vae(p: Preset, teacher):
    """A fresh `AutoencoderTiny` (TAESD's design: plain convolutions and ReLUs, no normalisation,
    `tiny_vae_channels` wide) with the latent grid and normalisation of the VAE `teacher` (so a
    transformer trained on the teacher's latents samples for it unchanged)."""
    from diffusers import AutoencoderTiny

    levels = len(teacher.config.block_out_channels)
    channels = (p.tiny_vae_channels,) * levels
    return AutoencoderTiny(
        encoder_block_out_channels=channels,
        decoder_block_out_channels=channels,
        num_encoder_blocks=(1,) * levels,
        num_decoder_blocks=(1,) * levels,
        latent_channels=teacher.config.latent_channels,
        scaling_factor=teacher.config.scaling_factor,
        shift_factor=teacher.config.shift_factor,
    )


def encode_mean(vae, x: torch.Tensor) -> torch.Tensor:
    """The latent of pictures `x` [-1, 1]: an `AutoencoderKL`'s posterior mean, an `AutoencoderTiny`'s
    latents (in the VAE's own units, before the pipeline's normalisation)."""
    out = vae.encode(x)
    return out.latent_dist.mode() if hasattr(out, "latent_dist") else out.latents


def make_transformer(p: Preset):
    """A fresh `PRXTransformer2DModel` of the preset's size, reading MiniLM's 384-d token states."""
    from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel

    head = p.hidden // p.heads
    return PRXTransformer2DModel(
        in_channels=p.latent_channels,
        patch_size=p.patch,
        context_in_dim=TEXT_DIM,
        hidden_size=p.hidden,
        mlp_ratio=p.mlp_ratio,
        num_heads=p.heads,
        depth=p.depth,
        axes_dim=[head // 2, head - head // 2],
    )


def n_params(m) -> int:
    """The number of parameters of a module."""
    return sum(x.numel() for x in m.parameters())


def save_pipeline(out: Path, p: Preset, ema: torch.nn.Module, vae) -> None:
    """The transformer's EMA weights, the VAE and the scheduler as float16 diffusers folders."""
    ema16 = make_transformer(p)
    ema16.load_state_dict({k: v.float().cpu() for k, v in ema.state_dict().items()})
    ema16.to(torch.float16).save_pretrained(str(out / "transformer"), safe_serialization=True)
    save_vae(out, vae)
    scheduler(p).save_pretrained(str(out / "scheduler"))


def save_vae(out: Path, vae) -> None:
    """A VAE (a float16 copy; the module itself unchanged) as the model folder's `vae/`."""
    copy.deepcopy(vae).cpu().to(torch.float16).save_pretrained(str(out / "vae"), safe_serialization=True)


def scheduler(p: Preset):
    """The sampler the model is trained for: flow-matching Euler with the preset's noise-level shift."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=p.time_shift)


def pipeline_of(transformer, vae, text, p: Preset):
    """A `PRXPipeline` of modules in memory (the transformer as given, float32 while it trains), with
    the text encoder and tokenizer of a `TextConditioner` and the preset's scheduler: for learning
    curves during training."""
    from diffusers.pipelines.prx.pipeline_prx import PRXPipeline

    pipe = PRXPipeline(
        transformer=transformer,
        scheduler=scheduler(p),
        text_encoder=text.encoder,
        tokenizer=text.tokenizer,
        vae=vae,
        default_sample_size=p.size,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe
