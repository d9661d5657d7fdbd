"""Benchmark: training throughput of the embedded model's transformer phase.

Runs transformer training steps of a preset (randomly initialised VAE and transformer, the
preset's batch and image size) and reports, per step:

- data:  a fresh batch from the procedural world (`world.sample_batch`) and its text conditioning
         (`train.TextConditioner`): the work besides the model;
- step:  data + VAE encode + transformer forward/backward + optimiser step, as in render/train.py.

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
import torch.nn.functional as F

from render import train, world


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu", choices=sorted(train.PRESETS))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    p = train.PRESETS[a.preset]
    dev = torch.device(a.device)
    amp = dev.type == "cuda"
    torch.manual_seed(0)
    vae = train.make_vae(p).to(dev).eval().requires_grad_(False)
    tr = train.make_transformer(p).to(dev).train()
    opt = torch.optim.AdamW(tr.parameters(), lr=1e-4)
    text = train.TextConditioner(dev)
    gen = torch.Generator(device=dev).manual_seed(0)

    def data():
        x, caps, _ = world.sample_batch(p.batch, p.size, gen, dev)
        emb, mask = text(caps)
        return x, emb, mask

    def step():
        x, emb, mask = data()
        with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            z0 = vae.encode(x).latent_dist.mode().float()
        noise = torch.randn(z0.shape, generator=gen, device=dev)
        s = torch.sigmoid(torch.randn(z0.shape[0], generator=gen, device=dev))
        xt = (1 - s.view(-1, 1, 1, 1)) * z0 + s.view(-1, 1, 1, 1) * noise
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            v = tr(hidden_states=xt, timestep=s, encoder_hidden_states=emb, attention_mask=mask, return_dict=False)[0]
        loss = F.mse_loss(v.float(), noise - z0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

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
