"""Benchmark: training throughput of the embedded model's transformer phase.

Runs transformer training steps of a preset (randomly initialised VAE and transformer, the
preset's batch and image size) and reports, per step:

- data:  a fresh batch from the procedural world (`world.sample_batch`) and its text conditioning
         (`text.TextConditioner`): the work besides the model;
- step:  data + VAE encode + transformer forward/backward + optimiser step: training's own
         `train.transformer_loss` and `loop.optimiser_step` (render/tiny_prx/train.py and loop.py).

Each figure is the median over --steps steps after --warmup steps; the data share (data / step)
is what the model waits for. The text cache fills up as in a real run, so the first steps of a
run are slower than later ones; --warmup steps fill it.

    .venv/bin/python bench/train_throughput.py [--preset cpu] [--steps 20] [--warmup 5]
    .venv/bin/python bench/train_throughput.py --preset gpu --device cuda --steps 200 --warmup 50
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import time

import torch

from render.tiny_prx import loop, networks, train, world
from render.tiny_prx.presets import PRESETS
from render.tiny_prx.text import TextConditioner


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    p = PRESETS[a.preset]
    dev = torch.device(a.device)
    amp = dev.type == "cuda"
    torch.manual_seed(0)
    vae = networks.make_vae(p).to(dev).eval().requires_grad_(False)
    tr = networks.make_transformer(p).to(dev).train()
    opt = torch.optim.AdamW(tr.parameters(), lr=1e-4)
    text = TextConditioner(dev)
    gen = torch.Generator(device=dev).manual_seed(0)

    def data():
        x, caps, _ = world.sample_batch(p.batch, p.size, gen, dev)
        emb, mask = text(caps)
        return x, emb, mask

    def step():
        x, emb, mask = data()
        loss = train.transformer_loss(tr, vae, x, emb, mask, gen, amp=amp)
        loop.optimiser_step(opt, tr, loss)

    def timed(fn, n):
        out = []
        for _ in range(n):
            _sync(dev)
            t = time.perf_counter()
            fn()
            _sync(dev)
            out.append(time.perf_counter() - t)
        return statistics.median(out)

    for _ in range(a.warmup):
        step()
    t_data = timed(data, a.steps)
    t_step = timed(step, a.steps)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU {platform.machine()}"
    print(f"# bench/train_throughput.py {datetime.date.today()} on {name}, {torch.get_num_threads()} threads")
    print(f"preset {p.name}: {p.size} px, batch {p.batch}; median of {a.steps} steps after {a.warmup}")
    print(f"data  {t_data * 1000:8.1f} ms/step   (world batch + text conditioning)")
    print(f"step  {t_step * 1000:8.1f} ms/step   ({1 / t_step:.2f} steps/s)")
    print(f"data share of a step: {t_data / t_step:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
